import type { SqlClient } from './db/connect.js';
import type { Engine } from './docker/engine.js';
import type { HostShell } from './docker/engine-setup.js';
import type { Clock } from './time/clock.js';
import type { OutputStream } from './ui/output.js';

/**
 * Everything a command touches outside its own logic, so tests can run commands in-process. The one list: a part
 * below the commands (doctor's, up's, the probe's) takes what it needs of it with `Pick`, under the same names.
 */
export interface Deps {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** The one clock: timestamps, deadlines and every wait's sleep. */
  clock: Clock;
  randomBytes(size: number): Buffer;
  hostname(): string;
  /** Aborted on SIGINT; long-running steps stop and clean up. */
  signal: AbortSignal;
  /** Everything on standard input, e.g. a key given as `--key-file -`. */
  readStdin(): Promise<string>;
  /** Asks a yes/no question on the terminal; absent when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  /** Reaches the container engine (DOCKER_HOST, else the local socket); fails with the fix when none answers. */
  docker(): Promise<Engine>;
  /** Reaches the engine at an address as DOCKER_HOST takes it (a swarm's manager or one of its nodes). */
  dockerAt(url: string): Promise<Engine>;
  /** Opens a connection to a Postgres URL. */
  database(url: string): Promise<SqlClient>;
  /** Runs commands on this machine (apt-get, dockerd, iptables, ip) and says what it is (root, distribution, systemd). */
  hostShell(): Promise<HostShell>;
  /** HTTP to services mcpgw configures but does not run (Open WebUI's admin API). */
  fetch: typeof fetch;
}
