import { PassThrough, Transform, type Readable } from 'node:stream';
import type { Engine } from '../docker/engine.js';
import type { SwarmModel } from '../stack/swarm.js';
import { StepFailed } from '../errors.js';
import type { Clock } from '../time/clock.js';
import type { Progress } from '../ui/progress.js';

/**
 * Swarm does not move images between nodes, and mcpgw builds (or pulls) them on this machine: every image of the
 * stack is put on every node with the id it has here, `docker save` streamed into each node's `docker load` (no
 * file in between; one save feeds every node that lacks the image). The same id everywhere is what makes every
 * replica run the same bits, whatever the tag says.
 */

/**
 * Which images must be on which nodes: LiteLLM's (its replicas and its migration run anywhere) on every node, the
 * pinned services' on the data node only. `up` puts them there; doctor's swarm.images checks they are.
 */
export function imagePlacements(model: Pick<SwarmModel, 'services'>, nodes: readonly string[], dataNode: string): { images: string[]; nodes: string[] }[] {
  const images = (pinned: boolean) => [...new Set(model.services.filter((service) => service.pinned === pinned).map((service) => service.image))].sort();
  const everywhere = images(false);
  return [
    { images: everywhere, nodes: [...nodes] },
    { images: images(true).filter((image) => !everywhere.includes(image)), nodes: [dataNode] },
  ];
}

/** A node's engine as mcpgw.yaml names it (its URL) and as Deps.dockerAt opens it. */
export interface NodeEngine {
  url: string;
  engine: Engine;
}

/** Where one image stands on one node. */
export type NodeImageState =
  | { node: string; state: 'present' }
  | { node: string; state: 'loaded'; bytes: number; seconds: number; replaced?: string }
  | { node: string; state: 'failed'; error: string };

export interface ImageOnNodes {
  image: string;
  /** The image's id on this machine, which every node now has under the same name. */
  id: string;
  nodes: NodeImageState[];
}

/** What to do for one image: the nodes that already have this id, and those to load it into (with their id, if any). */
export interface ImageLoadPlan {
  image: string;
  id: string;
  present: string[];
  load: { node: string; current?: string }[];
}

/**
 * The plan from the ids alone: a node has an image when its name resolves to the local id there; a node where the
 * name is absent or names another build gets it loaded (the tag then moves to the local build).
 */
export function planImageLoads(local: ReadonlyMap<string, string>, onNodes: ReadonlyMap<string, ReadonlyMap<string, string | undefined>>): ImageLoadPlan[] {
  return [...local].map(([image, id]) => {
    const present: string[] = [];
    const load: ImageLoadPlan['load'] = [];
    for (const [node, ids] of onNodes) {
      const current = ids.get(image);
      if (current === id) present.push(node);
      else load.push({ node, ...(current ? { current } : {}) });
    }
    return { image, id, present, load };
  });
}

const MB = 1e6;

/** One line per image for its progress step: how much went where, how fast, and where it already was. */
export function describeImageOnNodes(outcome: ImageOnNodes): string {
  const loaded = outcome.nodes.filter((entry) => entry.state === 'loaded');
  const present = outcome.nodes.filter((entry) => entry.state === 'present');
  const failed = outcome.nodes.filter((entry) => entry.state === 'failed');
  const parts: string[] = [];
  if (loaded.length > 0) {
    const { bytes, seconds } = loaded[0] as { bytes: number; seconds: number };
    parts.push(`loaded ${(bytes / MB).toFixed(0)} MB in ${seconds.toFixed(1)} s on ${loaded.map((entry) => entry.node).join(', ')}`);
  }
  if (present.length > 0) parts.push(`already on ${present.map((entry) => entry.node).join(', ')}`);
  if (failed.length > 0) parts.push(`FAILED on ${failed.map((entry) => entry.node).join(', ')}`);
  return `${outcome.id.replace(/^sha256:/, '').slice(0, 12)} ${parts.join('; ')}`;
}

export interface DistributeDeps {
  /** The engine where mcpgw built or pulled the images (Deps.docker()). */
  local: Engine;
  /** Opens a node's engine (Deps.dockerAt). */
  dockerAt(url: string): Promise<Engine>;
  progress: Progress;
  clock: Clock;
  signal?: AbortSignal;
}

/** Opens every node's engine; the nodes that do not answer fail together, each named with the fix. */
export async function connectNodes(urls: readonly string[], dockerAt: DistributeDeps['dockerAt']): Promise<NodeEngine[]> {
  const opened = await Promise.allSettled(urls.map(async (url) => ({ url, engine: await dockerAt(url) })));
  const unreachable = opened.flatMap((result, index) => (result.status === 'rejected' ? [`${urls[index]}: ${(result.reason as Error).message}`] : []));
  if (unreachable.length > 0) {
    throw new StepFailed(
      `cannot reach ${unreachable.length === 1 ? 'a swarm node' : `${unreachable.length} swarm nodes`}:\n  ${unreachable.join('\n  ')}`,
      'start Docker on that node and make its engine answer where swarm.nodes says (tcp:// on a private network, or ssh:// with ' +
        "this user's key in ssh-agent), or correct the node's URL in mcpgw.yaml",
    );
  }
  return opened.map((result) => (result as PromiseFulfilledResult<NodeEngine>).value);
}

/**
 * Which node lacks which image (absent, or another build under that name), changing nothing: what `up` is about
 * to load, and what doctor can report as a node missing an image. Fails naming every node it cannot reach and
 * every image this machine does not have.
 */
export async function imagesOnNodes(
  images: readonly string[],
  urls: readonly string[],
  deps: Pick<DistributeDeps, 'local' | 'dockerAt'>,
): Promise<{ nodes: NodeEngine[]; plans: ImageLoadPlan[] }> {
  const nodes = await connectNodes(urls, deps.dockerAt);
  const local = new Map<string, string>();
  const missing: string[] = [];
  for (const image of new Set(images)) {
    const id = await deps.local.imageId(image);
    if (id) local.set(image, id);
    else missing.push(image);
  }
  if (missing.length > 0) {
    throw new StepFailed(
      `not on this machine, so not to be put on the swarm's nodes: ${missing.join(', ')}`,
      '`mcpgw images build` builds the images mcpgw makes itself; `docker pull` the others here first',
    );
  }
  const onNodes = new Map<string, Map<string, string | undefined>>();
  for (const node of nodes) {
    const ids = new Map<string, string | undefined>();
    for (const image of local.keys()) ids.set(image, await node.engine.imageId(image));
    onNodes.set(node.url, ids);
  }
  return { nodes, plans: planImageLoads(local, onNodes) };
}

/**
 * Puts every image in `images` on every node with this machine's id, one progress step per image; resolves with
 * what happened per image per node. A node that cannot take an image fails the step, naming the node and the fix,
 * after the other nodes got theirs.
 */
export async function ensureImagesOnNodes(images: readonly string[], urls: readonly string[], deps: DistributeDeps): Promise<ImageOnNodes[]> {
  const { nodes, plans } = await imagesOnNodes(images, urls, deps);
  const outcomes: ImageOnNodes[] = [];
  for (const plan of plans) {
    const step = deps.progress.start(`image ${plan.image} on the nodes`);
    const loaded = plan.load.length === 0 ? [] : await loadOnNodes(plan, nodes, deps, step.update);
    const outcome: ImageOnNodes = { image: plan.image, id: plan.id, nodes: [...plan.present.map((node) => ({ node, state: 'present' as const })), ...loaded] };
    outcomes.push(outcome);
    const failed = loaded.filter((entry) => entry.state === 'failed');
    if (failed.length === 0) {
      step.succeed(describeImageOnNodes(outcome));
      continue;
    }
    step.fail(describeImageOnNodes(outcome));
    deps.signal?.throwIfAborted();
    throw new StepFailed(
      `loading ${plan.image} (${plan.id}) failed on ${failed.map((entry) => `${entry.node}: ${entry.error}`).join('; ')}`,
      "check the node's disk space and its engine's log (journalctl -u docker on the node), then run `mcpgw up` again: nodes that have the image are skipped",
    );
  }
  return outcomes;
}

/**
 * One `docker save` teed into one `docker load` per node. A node that fails is cut off from the save (it would
 * otherwise hold every other node back at its pace); each load is checked by the id the node then shows.
 */
async function loadOnNodes(plan: ImageLoadPlan, nodes: NodeEngine[], deps: DistributeDeps, update: (text: string) => void): Promise<NodeImageState[]> {
  const started = deps.clock.now();
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const targets = plan.load.map((entry) => ({
    ...entry,
    engine: (nodes.find((node) => node.url === entry.node) as NodeEngine).engine,
    branch: new PassThrough(),
  }));
  update(`loading into ${targets.map((target) => target.node).join(', ')}`);
  let saved: Readable;
  try {
    saved = await deps.local.saveImage(plan.image);
  } catch (error) {
    return targets.map((target) => ({ node: target.node, state: 'failed', error: `docker save on this machine failed: ${(error as Error).message}` }));
  }
  const abort = () => saved.destroy(new Error('interrupted'));
  deps.signal?.addEventListener('abort', abort, { once: true });
  saved.on('error', (error) => counter.destroy(error));
  counter.on('error', (error) => {
    for (const target of targets) target.branch.destroy(error);
  });
  saved.pipe(counter);
  for (const target of targets) counter.pipe(target.branch);
  try {
    return await Promise.all(
      targets.map(async (target): Promise<NodeImageState> => {
        try {
          await target.engine.loadImage(target.branch);
          const id = await target.engine.imageId(plan.image);
          if (id !== plan.id) throw new Error(`after the load ${plan.image} there is ${id ?? 'absent'}, not ${plan.id}`);
          return {
            node: target.node,
            state: 'loaded',
            bytes,
            seconds: (deps.clock.now() - started) / 1000,
            ...(target.current ? { replaced: target.current } : {}),
          };
        } catch (error) {
          counter.unpipe(target.branch);
          target.branch.destroy();
          return { node: target.node, state: 'failed', error: (error as Error).message };
        }
      }),
    );
  } finally {
    deps.signal?.removeEventListener('abort', abort);
    // Every node failed early: nothing reads the save any more.
    if (!saved.readableEnded) saved.destroy();
  }
}
