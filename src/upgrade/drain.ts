import type { Engine } from '../docker/engine.js';
import type { Clock } from '../time/clock.js';
import { waitUntil } from '../time/wait.js';
import { doorSlots, setSlots, type DoorSlot } from '../stack/front-door-admin.js';

/** Where the old and the new LiteLLM stand behind one engine's front door. */
export interface DoorPlace {
  /** The front door's container. */
  door: string;
  /** LiteLLM's own network, where the front door finds them by DNS. */
  network: string;
  oldId: string;
  newId: string;
}

export interface DrainTimeouts {
  /** For the front door to have health-checked the new LiteLLM into rotation. */
  inRotationMs: number;
  /** For requests under way on the old one to finish (an SSE stream never does: the stop ends it). */
  finishMs: number;
  /** For the stopped one's address to leave DNS, so its slot can be given back to the health checks. */
  releaseMs: number;
}

export const DRAIN_TIMEOUTS: DrainTimeouts = { inRotationMs: 30_000, finishMs: 10_000, releaseMs: 10_000 };

/**
 * Stops the old LiteLLM without a request meeting it: once the front door routes to the new one, the old one's slots
 * go into maintenance (no new request), the requests under way finish, then it stops, and once DNS dropped its
 * address the slots go back to their health checks (a forced state would outlive the container and keep a later
 * LiteLLM in that slot out of rotation). Resolves what it did.
 */
export async function stopBehindDoor(engine: Engine, place: DoorPlace, clock: Clock, signal: AbortSignal, timeouts = DRAIN_TIMEOUTS): Promise<string> {
  const [oldAddress, newAddress] = await Promise.all([
    engine.containerAddress(place.oldId, place.network),
    engine.containerAddress(place.newId, place.network),
  ]);
  if (!oldAddress || !newAddress) {
    await engine.stopContainer(place.oldId, 30);
    return `old LiteLLM stopped (not both on ${place.network}, so not drained through the front door)`;
  }
  const slots = () => doorSlots(engine, place.door);
  await waitUntil(
    `the front door to route to the new LiteLLM (${newAddress})`,
    async () => {
      const found = (await slots()).filter((slot) => slot.address === newAddress);
      if (found.length > 0 && found.every((slot) => slot.up)) return true;
      throw new Error(found.length === 0 ? 'DNS has not given it a slot yet' : 'its health checks have not passed yet');
    },
    { timeoutMs: timeouts.inRotationMs, clock, signal },
  );
  const old = (await slots()).filter((slot) => slot.address === oldAddress);
  await setSlots(engine, place.door, old, 'maint');
  const under = (all: DoorSlot[]) => all.filter((slot) => slot.address === oldAddress).reduce((sum, slot) => sum + slot.sessions, 0);
  const left = await waitUntil(
    'requests under way on the old LiteLLM to finish',
    async () => {
      const count = under(await slots());
      if (count === 0) return 0;
      throw new Error(`${count} still under way`);
    },
    { timeoutMs: timeouts.finishMs, clock, signal },
  ).catch(async () => under(await slots()));
  await engine.stopContainer(place.oldId, 30);
  await waitUntil(
    `the old LiteLLM's address ${oldAddress} to leave the front door's DNS`,
    async () => ((await slots()).some((slot) => slot.address === oldAddress) ? undefined : true),
    { timeoutMs: timeouts.releaseMs, clock, signal },
  ).catch(() => undefined);
  await setSlots(engine, place.door, old, 'ready');
  return (
    `old LiteLLM taken out of the front door's rotation once the new one was in it, ` +
    `${left === 0 ? 'its requests under way finished' : `${left} request(s) (streams) still open when it stopped`}, then stopped`
  );
}
