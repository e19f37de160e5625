import type { Engine } from '../docker/engine.js';
import { FRONT_DOOR_ADMIN_PORT } from './model.js';
import { withDeadline } from '../gateway/container-script.js';

/**
 * One engine's front door asked through HAProxy's runtime API, which listens on the front door container's own
 * loopback only (templates/haproxy.cfg): mcpgw reaches it with docker exec and bash's /dev/tcp, nothing else can.
 * An upgrade takes the old LiteLLM out of rotation through it before stopping it, so no request meets a LiteLLM that
 * is shutting down or gone.
 */

/** One server slot of a backend, as HAProxy holds it now. */
export interface DoorSlot {
  backend: string;
  name: string;
  /** The LiteLLM container's address DNS filled the slot with; none while the slot is free. */
  address?: string;
  /** Health-checked and taking requests. */
  up: boolean;
  /** Requests under way on it now. */
  sessions: number;
}

const ASK_MS = 10_000;

/** One runtime API command; HAProxy answers and closes the connection. */
async function ask(engine: Pick<Engine, 'exec'>, door: string, command: string): Promise<string> {
  const script = `exec 3<>/dev/tcp/127.0.0.1/${FRONT_DOOR_ADMIN_PORT} && printf '%s\\n' "$1" >&3 && cat <&3`;
  const run = await withDeadline(engine.exec(door, ['bash', '-c', script, 'mcpgw', command]), ASK_MS);
  if (run.exitCode !== 0)
    throw new Error(`the front door's runtime API did not answer \`${command}\` (exit ${run.exitCode}): ${run.output.trim().slice(0, 200)}`);
  return run.output;
}

/** Every server slot of every backend, with its address, whether it is up, and its sessions. */
export async function doorSlots(engine: Pick<Engine, 'exec'>, door: string): Promise<DoorSlot[]> {
  const sessions = new Map<string, number>();
  const stat = (await ask(engine, door, 'show stat')).split('\n').filter((line) => line.trim() !== '');
  const header = (stat[0] ?? '').replace(/^# /, '').split(',');
  const [proxy, server, current] = ['pxname', 'svname', 'scur'].map((field) => header.indexOf(field));
  for (const line of stat.slice(1)) {
    const fields = line.split(',');
    sessions.set(`${fields[proxy ?? -1]}/${fields[server ?? -1]}`, Number(fields[current ?? -1] ?? 0));
  }
  // `show servers state`: a version line, a header, then `be_id be_name srv_id srv_name srv_addr srv_op_state ...`;
  // op_state 2 is running. A free slot has the address 0.0.0.0 (or none).
  return (await ask(engine, door, 'show servers state'))
    .split('\n')
    .filter((line) => /^\d+ /.test(line))
    .map((line) => line.split(' '))
    .filter((fields) => fields.length > 5)
    .map(([, backend = '', , name = '', address = '', state = '']) => ({
      backend,
      name,
      ...(address && address !== '0.0.0.0' && address !== '-' ? { address } : {}),
      up: state === '2',
      sessions: sessions.get(`${backend}/${name}`) ?? 0,
    }));
}

/** Takes slots out of rotation (maint: no new request, those under way finish) or gives them back to their checks. */
export async function setSlots(engine: Pick<Engine, 'exec'>, door: string, slots: readonly DoorSlot[], state: 'maint' | 'ready'): Promise<void> {
  for (const slot of slots) {
    const answer = (await ask(engine, door, `set server ${slot.backend}/${slot.name} state ${state}`)).trim();
    if (answer !== '') throw new Error(`the front door refused to set ${slot.backend}/${slot.name} ${state}: ${answer.slice(0, 200)}`);
  }
}
