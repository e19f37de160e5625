import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { doorSlots, setSlots } from '../../src/stack/front-door-admin.js';

// Answers in the format HAProxy 2.6 (Debian's, in mcpgw's image) gives them, as read from a running front door: here
// with the old LiteLLM in slot 1 and its successor, not yet health-checked up, in slot 2 (`show stat` cut after status).
const SERVERS_STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 litellm 1 replica1 172.20.0.3 2 0 1 1 40 15 3 4 6 0 0 0 litellm 4000 - 0 0 - - 0
3 litellm 2 replica2 172.20.0.5 0 0 1 1 2 7 2 0 6 0 0 0 litellm 4000 - 0 0 - - 0
4 litellm_sse 1 replica1 172.20.0.3 2 0 1 1 40 15 3 4 6 0 0 0 litellm 4000 - 0 0 - - 0
4 litellm_sse 2 replica2 - 0 32 1 1 2 1 0 0 14 0 0 0 litellm 4000 - 0 0 - - 0

`;
const STAT = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status
gateway,FRONTEND,,,2,3,9983,40,0,0,0,0,0,,,,,OPEN
litellm,replica1,0,0,2,2,,38,0,0,,0,,0,0,0,0,UP
litellm,replica2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN
litellm,BACKEND,0,0,2,2,999,38,0,0,0,0,,0,0,0,0,UP

`;

/** A front door container that answers the runtime API commands it is sent (as `docker exec` would run them). */
function door(answers: Record<string, string>) {
  const sent: string[] = [];
  const engine: Pick<Engine, 'exec'> = {
    async exec(container, cmd) {
      expect(container).toBe('gw-front-door');
      const command = cmd.at(-1) ?? '';
      sent.push(command);
      const answer = answers[command.replace(/ state \w+$/, ' state')];
      return answer === undefined ? { exitCode: 1, output: 'bash: connect: Connection refused' } : { exitCode: 0, output: answer };
    },
  };
  return { engine, sent };
}

describe("the front door's runtime API", () => {
  it('reads every slot with its address, whether it is up, and its requests under way; a free slot has no address', async () => {
    const { engine } = door({ 'show servers state': SERVERS_STATE, 'show stat': STAT });
    expect(await doorSlots(engine, 'gw-front-door')).toEqual([
      { backend: 'litellm', name: 'replica1', address: '172.20.0.3', up: true, sessions: 2 },
      { backend: 'litellm', name: 'replica2', address: '172.20.0.5', up: false, sessions: 0 },
      { backend: 'litellm_sse', name: 'replica1', address: '172.20.0.3', up: true, sessions: 0 },
      { backend: 'litellm_sse', name: 'replica2', up: false, sessions: 0 },
    ]);
  });

  it('sets each slot by backend and name, and says so when HAProxy refuses or does not answer', async () => {
    const { engine, sent } = door({ 'set server litellm/replica1 state': '\n', 'set server litellm_sse/replica1 state': 'No such server.\n' });
    const slot = (backend: string) => ({ backend, name: 'replica1', up: true, sessions: 0 });
    await setSlots(engine, 'gw-front-door', [slot('litellm')], 'maint');
    expect(sent).toEqual(['set server litellm/replica1 state maint']);
    await expect(setSlots(engine, 'gw-front-door', [slot('litellm_sse')], 'ready')).rejects.toThrow(
      'the front door refused to set litellm_sse/replica1 ready: No such server.',
    );
    await expect(doorSlots(door({}).engine, 'gw-front-door')).rejects.toThrow(/the front door's runtime API did not answer `show stat` \(exit 1\)/);
  });
});
