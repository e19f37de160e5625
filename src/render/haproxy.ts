import { FRONT_DOOR_ADMIN_PORT, type FrontDoorModel, REPLICA_HEADER } from '../stack/model.js';
import { fillPlaceholders, type Templates } from './templates.js';

/**
 * haproxy.cfg of a front door (templates/haproxy.cfg): LiteLLM's containers (or a swarm's tasks) by DNS,
 * health-checked, sessions sticky.
 */
export function renderHaproxyConfig(stack: string, door: FrontDoorModel, templates: Templates): string {
  return fillPlaceholders(templates.haproxyConfig, {
    stack,
    port: String(door.listens),
    backend_host: door.backendHost,
    backend_port: String(door.backendPort),
    slots: String(door.slots),
    replica_header: REPLICA_HEADER,
    admin_port: String(FRONT_DOOR_ADMIN_PORT),
  });
}
