import { describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/errors.js';
import { describeImageOnNodes, ensureImagesOnNodes, imagesOnNodes, planImageLoads } from '../../src/swarm/images.js';
import { systemClock } from '../../src/time/clock.js';
import type { Progress } from '../../src/ui/progress.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const NODE = 'mcpgw/node:20';
const LITELLM = 'mcpgw/litellm-db:1.108.7';

function recordingProgress(): { progress: Progress; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    progress: {
      start: (title) => ({
        update: () => undefined,
        succeed: (detail) => lines.push(`ok ${title}: ${detail}`),
        skip: (detail) => lines.push(`skip ${title}: ${detail}`),
        fail: (detail) => lines.push(`FAIL ${title}: ${detail}`),
      }),
    },
  };
}

/** This machine with two images, and three nodes by URL. */
function cluster() {
  const local = new FakeEngine();
  local.images.set(NODE, 'sha256:aaa111');
  local.images.set(LITELLM, 'sha256:bbb222');
  const nodes = new Map(['tcp://n1:2375', 'tcp://n2:2375', 'tcp://n3:2375'].map((url) => [url, new FakeEngine()]));
  const dockerAt = async (url: string) => {
    const node = nodes.get(url);
    if (!node) throw new StepFailed(`cannot reach the Docker engine at ${url}: connect ECONNREFUSED`);
    return node;
  };
  return { local, nodes, dockerAt, urls: [...nodes.keys()] };
}

describe('planImageLoads', () => {
  it('loads where the name is absent or names another build, and skips nodes with the same id', () => {
    const plan = planImageLoads(
      new Map([[NODE, 'sha256:aaa']]),
      new Map<string, Map<string, string | undefined>>([
        ['n1', new Map([[NODE, 'sha256:aaa']])],
        ['n2', new Map([[NODE, undefined]])],
        ['n3', new Map([[NODE, 'sha256:old']])],
      ]),
    );
    expect(plan).toEqual([{ image: NODE, id: 'sha256:aaa', present: ['n1'], load: [{ node: 'n2' }, { node: 'n3', current: 'sha256:old' }] }]);
  });
});

describe('describeImageOnNodes', () => {
  it('says how much went where, how fast, and where it already was', () => {
    expect(
      describeImageOnNodes({
        image: NODE,
        id: 'sha256:c6c154e27feb586247f8',
        nodes: [
          { node: 'n1', state: 'present' },
          { node: 'n2', state: 'loaded', bytes: 228_000_000, seconds: 6.42 },
          { node: 'n3', state: 'loaded', bytes: 228_000_000, seconds: 6.5 },
        ],
      }),
    ).toBe('c6c154e27feb loaded 228 MB in 6.4 s on n2, n3; already on n1');
  });
});

describe('ensureImagesOnNodes', () => {
  it('streams one save into every node lacking the image, and a second run loads nothing', async () => {
    const { local, nodes, dockerAt, urls } = cluster();
    nodes.get('tcp://n1:2375')?.images.set(NODE, 'sha256:aaa111');
    nodes.get('tcp://n3:2375')?.images.set(LITELLM, 'sha256:stale');
    const { progress, lines } = recordingProgress();
    const outcomes = await ensureImagesOnNodes([NODE, LITELLM, NODE], urls, { local, dockerAt, progress, clock: systemClock });
    for (const node of nodes.values()) expect(Object.fromEntries(node.images)).toEqual({ [NODE]: 'sha256:aaa111', [LITELLM]: 'sha256:bbb222' });
    // One save per image, whatever the number of nodes it feeds.
    expect(local.calls).toEqual([`save ${NODE}`, `save ${LITELLM}`]);
    expect(outcomes.map((outcome) => [outcome.image, outcome.nodes.map((entry) => `${entry.node} ${entry.state}`)])).toEqual([
      [NODE, ['tcp://n1:2375 present', 'tcp://n2:2375 loaded', 'tcp://n3:2375 loaded']],
      [LITELLM, ['tcp://n1:2375 loaded', 'tcp://n2:2375 loaded', 'tcp://n3:2375 loaded']],
    ]);
    expect(outcomes[1]?.nodes[2]).toMatchObject({ state: 'loaded', bytes: 1 << 20, replaced: 'sha256:stale' });
    expect(lines[0]).toMatch(
      /^ok image mcpgw\/node:20 on the nodes: aaa111 loaded 1 MB in [\d.]+ s on tcp:\/\/n2:2375, tcp:\/\/n3:2375; already on tcp:\/\/n1:2375$/,
    );

    local.calls.length = 0;
    const again = await ensureImagesOnNodes([NODE, LITELLM], urls, { local, dockerAt, progress, clock: systemClock });
    expect(local.calls).toEqual([]);
    expect(again.flatMap((outcome) => outcome.nodes.map((entry) => entry.state))).toEqual(Array(6).fill('present'));
  });

  it('lets the other nodes finish when one refuses the load, then fails naming that node', async () => {
    const { local, nodes, dockerAt, urls } = cluster();
    local.saveBytes = 8 << 20;
    (nodes.get('tcp://n2:2375') as FakeEngine).loadError = 'write /var/lib/docker/tmp: no space left on device';
    const { progress, lines } = recordingProgress();
    const failure = await ensureImagesOnNodes([NODE], urls, { local, dockerAt, progress, clock: systemClock }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StepFailed);
    expect((failure as StepFailed).message).toBe(
      'loading mcpgw/node:20 (sha256:aaa111) failed on tcp://n2:2375: write /var/lib/docker/tmp: no space left on device',
    );
    expect((failure as StepFailed).hint).toMatch(/disk space/);
    expect(nodes.get('tcp://n1:2375')?.images.get(NODE)).toBe('sha256:aaa111');
    expect(nodes.get('tcp://n3:2375')?.images.get(NODE)).toBe('sha256:aaa111');
    expect(lines).toEqual([
      expect.stringMatching(/^FAIL image mcpgw\/node:20 on the nodes: .*on tcp:\/\/n1:2375, tcp:\/\/n3:2375; FAILED on tcp:\/\/n2:2375$/),
    ]);
  });

  it('names every node it cannot reach, before anything is loaded', async () => {
    const { local, dockerAt } = cluster();
    const { progress } = recordingProgress();
    const failure = (await ensureImagesOnNodes([NODE], ['tcp://n1:2375', 'tcp://gone:2375', 'ssh://ops@far'], {
      local,
      dockerAt,
      progress,
      clock: systemClock,
    }).catch((error: unknown) => error)) as StepFailed;
    expect(failure.message).toBe(
      'cannot reach 2 swarm nodes:\n  tcp://gone:2375: cannot reach the Docker engine at tcp://gone:2375: connect ECONNREFUSED\n  ssh://ops@far: cannot reach the Docker engine at ssh://ops@far: connect ECONNREFUSED',
    );
    expect(failure.hint).toMatch(/swarm\.nodes/);
    expect(local.calls).toEqual([]);
  });

  it('refuses an image this machine does not have, naming the fix', async () => {
    const { local, dockerAt, urls } = cluster();
    const { progress } = recordingProgress();
    const failure = (await ensureImagesOnNodes(['ghcr.io/example/tool:1'], urls, { local, dockerAt, progress, clock: systemClock }).catch(
      (error: unknown) => error,
    )) as StepFailed;
    expect(failure.message).toMatch(/not on this machine.*ghcr\.io\/example\/tool:1/);
    expect(failure.hint).toMatch(/mcpgw images build.*docker pull/);
  });
});

describe('imagesOnNodes', () => {
  it('says which node lacks which image without loading anything', async () => {
    const { local, nodes, dockerAt, urls } = cluster();
    nodes.get('tcp://n2:2375')?.images.set(NODE, 'sha256:aaa111');
    nodes.get('tcp://n3:2375')?.images.set(NODE, 'sha256:older');
    const { plans } = await imagesOnNodes([NODE], urls, { local, dockerAt });
    expect(plans).toEqual([
      { image: NODE, id: 'sha256:aaa111', present: ['tcp://n2:2375'], load: [{ node: 'tcp://n1:2375' }, { node: 'tcp://n3:2375', current: 'sha256:older' }] },
    ]);
    expect([...local.calls, ...[...nodes.values()].flatMap((node) => node.calls)]).toEqual([]);
  });
});
