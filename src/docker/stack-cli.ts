import { StepFailed } from '../errors.js';
import type { HostShell } from './engine-setup.js';

/**
 * `docker stack deploy` and `docker stack rm`, the docker CLI's own (its compose loader turns a stack file into
 * Swarm's services, networks, secrets and configs; the Engine API has no stack). Run against the manager's engine
 * with `-H`, so DOCKER_HOST and the CLI's contexts cannot send it elsewhere. The CLI ships with Debian's docker.io.
 */
export class StackCli {
  constructor(
    private readonly shell: HostShell,
    private readonly managerUrl: string,
  ) {}

  /**
   * Deploys `file` as stack `stack` and returns at once (`--detach`): mcpgw waits on the services itself, each with
   * its own deadline and cause. Images are never resolved against a registry (there may be none; mcpgw put them on
   * every node). `prune` removes the stack's services the file no longer has.
   */
  async deploy(file: string, stack: string, prune: boolean): Promise<void> {
    const args = ['-H', this.managerUrl, 'stack', 'deploy', '--detach=true', '--resolve-image', 'never', ...(prune ? ['--prune'] : []), '-c', file, stack];
    const result = await this.run(args);
    if (result.code !== 0) {
      throw new StepFailed(
        `docker stack deploy of ${file} failed: ${lastLines(result.output)}`,
        'fix what it names; `docker stack config -c FILE` shows how the CLI reads the file',
      );
    }
  }

  /** Removes the stack's services, networks, secrets and configs (never volumes). */
  async remove(stack: string): Promise<void> {
    const result = await this.run(['-H', this.managerUrl, 'stack', 'rm', stack]);
    if (result.code !== 0 && !/Nothing found in stack/.test(result.output)) {
      throw new StepFailed(`docker stack rm ${stack} failed: ${lastLines(result.output)}`);
    }
  }

  private async run(args: string[]): Promise<{ code: number; output: string }> {
    if (!(await this.shell.has('docker'))) {
      throw new StepFailed(
        'the docker CLI is not installed on this machine',
        'install it (Debian: apt-get install docker.io); mcpgw deploys a swarm stack with `docker stack deploy`',
      );
    }
    return this.shell.run('docker', args);
  }
}

function lastLines(output: string): string {
  return output.trimEnd().split('\n').slice(-8).join('\n');
}
