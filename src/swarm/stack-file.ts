import { parseDocument } from 'yaml';

/** What mcpgw reads back from the stack file it rendered: the file is what Swarm runs, so it is the list to act on. */
interface StackFileShape {
  services?: Record<string, { image?: string }>;
  volumes?: Record<string, { name?: string } | null>;
}

function read(stackText: string): StackFileShape {
  return parseDocument(stackText).toJS() as StackFileShape;
}

/** The services of the stack file, in its order. */
export function stackServices(stackText: string): string[] {
  return Object.keys(read(stackText).services ?? {});
}

/** Every image the stack file's services run, for putting them on the nodes before the deploy. */
export function stackImages(stackText: string): string[] {
  return [...new Set(Object.values(read(stackText).services ?? {}).flatMap((service) => (service.image ? [service.image] : [])))].sort();
}

/** The Docker names of the stack file's volumes (`name:` where set, else Swarm's `<stack>_<key>`). */
export function stackVolumes(stackText: string, stack: string): string[] {
  return Object.entries(read(stackText).volumes ?? {}).map(([key, volume]) => volume?.name ?? `${stack}_${key}`);
}
