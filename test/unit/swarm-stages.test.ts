import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { stageDocument, stageServices, type Stage } from '../../src/swarm/stages.js';

const stackFile = `version: "3.9"
services:
  postgres:
    image: mcpgw/postgres:15
  everything:
    image: mcpgw/npm-everything:1
  litellm-migrate:
    image: mcpgw/litellm-db:1.108.7
  litellm:
    image: mcpgw/litellm-db:1.108.7
  front-door:
    image: mcpgw/haproxy:2.6
networks:
  net: {driver: overlay}
secrets:
  litellm_env: {file: ../env/litellm.env, name: s_litellm_env_1}
`;
const stageOf = (name: string): Stage => (name === 'litellm-migrate' ? 'migrate' : name === 'litellm' || name === 'front-door' ? 'serve' : 'data');

describe('a stack file deployed in stages', () => {
  it('keeps the services of the stage and the ones before it, and every network and secret', () => {
    const data = parse(stageDocument(stackFile, stageOf, 'data'));
    expect(Object.keys(data.services)).toEqual(['postgres', 'everything']);
    expect(data.networks).toEqual({ net: { driver: 'overlay' } });
    expect(data.secrets.litellm_env.name).toBe('s_litellm_env_1');
    expect(Object.keys(parse(stageDocument(stackFile, stageOf, 'migrate')).services)).toEqual(['postgres', 'everything', 'litellm-migrate']);
    expect(Object.keys(parse(stageDocument(stackFile, stageOf, 'serve')).services)).toHaveLength(5);
  });

  it('names the services each stage waits for', () => {
    expect(stageServices(stackFile, stageOf, 'data')).toEqual(['postgres', 'everything']);
    expect(stageServices(stackFile, stageOf, 'migrate')).toEqual(['litellm-migrate']);
    expect(stageServices(stackFile, stageOf, 'serve')).toEqual(['litellm', 'front-door']);
  });
});
