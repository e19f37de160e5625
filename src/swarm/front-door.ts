import { fetchWithTimeout } from '../gateway/http.js';
import { REPLICA_HEADER } from '../stack/model.js';
import type { Clock } from '../time/clock.js';
import { waitUntil } from '../time/wait.js';

export interface FrontDoorWait {
  clock: Clock;
  signal: AbortSignal;
  timeoutMs: number;
  onProgress?: (text: string) => void;
}

/**
 * Waits until the front door, as the LAN reaches it, routes to every running replica. Swarm reports a replica
 * running once its own health check passed, but HAProxy finds it by DNS and sends it traffic only after two health
 * checks of its own: until then a client (and the probe) meets a 503. Returns the replicas' addresses that answered.
 */
export async function waitForFrontDoor(baseUrl: string, replicas: number, options: FrontDoorWait): Promise<string[]> {
  const seen = new Set<string>();
  return waitUntil(
    `the front door at ${baseUrl} to route to ${replicas} replica(s)`,
    async () => {
      // Round robin: twice as many requests as replicas reach each ready one at least once.
      const statuses: number[] = [];
      for (let attempt = 0; attempt < replicas * 2; attempt++) {
        const answer = await fetchWithTimeout(`${baseUrl}/health/readiness`);
        statuses.push(answer.status);
        const replica = answer.headers.get(REPLICA_HEADER);
        if (answer.ok && replica) seen.add(replica);
      }
      options.onProgress?.(`${seen.size} of ${replicas} replica(s) answered`);
      if (seen.size >= replicas) return [...seen].sort();
      throw new Error(`${seen.size} of ${replicas} replica(s) answered through it (HTTP ${[...new Set(statuses)].join(', ')})`);
    },
    options,
  );
}
