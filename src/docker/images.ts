import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { unlessAbsent } from './absent.js';

/** How a local image starts: its ENTRYPOINT, CMD and labels. */
export interface ImageLaunch {
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
}

/**
 * Images on this engine: what is present (each read of an image that is not answers undefined; mcpgw never pulls
 * implicitly), and bringing them in or out: pull, build, import, save and load, and removing one no container uses.
 */
export interface ImageClient {
  /** The local image id. */
  imageId(image: string): Promise<string | undefined>;
  imageLabels(image: string): Promise<Record<string, string> | undefined>;
  imageLaunch(image: string): Promise<ImageLaunch | undefined>;
  pullImage(image: string): Promise<void>;
  /**
   * Builds `tag` from the files `entries` of the directory `context` (the classic builder, as the API serves it)
   * and passes every line of build output to `onLine`. Resolves with the builder's error message when a step
   * failed (the output up to it has been passed on), undefined when the image was built.
   */
  buildImage(
    context: string,
    entries: string[],
    options: { tag: string; buildArgs: Record<string, string>; labels: Record<string, string> },
    onLine: (line: string) => void,
  ): Promise<string | undefined>;
  /** Imports a root filesystem tarball as the image `repoTag` (what `docker import -c CHANGE - repo:tag` does). */
  importImage(tarball: Readable, repoTag: string, message: string, changes: string[]): Promise<void>;
  /** `docker save` of one image: a tar stream the caller reads to its end (or destroys). */
  saveImage(image: string): Promise<Readable>;
  /**
   * `docker load` of a tar stream (as `saveImage` gives); resolves once the engine has loaded it. The engine reports a
   * broken or cut-off archive inside its 200 answer, so that answer is read to the end and its error thrown.
   */
  loadImage(tar: Readable): Promise<void>;
  /** Removes an image by id; one still used by a container stays (the engine refuses, which is fine here). */
  removeImageIfUnused(id: string): Promise<void>;
}

export function dockerImages(docker: Docker): ImageClient {
  const inspect = (image: string) => unlessAbsent(docker.getImage(image).inspect());
  /** Reads a progress stream (pull, import, load) to its end: its messages, or the error that ended it. */
  const progress = <T>(stream: NodeJS.ReadableStream) =>
    new Promise<T[]>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, output: T[]) => (error ? reject(error) : resolve(output)));
    });

  return {
    async imageId(image) {
      return (await inspect(image))?.Id;
    },

    async imageLabels(image) {
      const info = await inspect(image);
      return info && (info.Config.Labels ?? {});
    },

    async imageLaunch(image) {
      const info = await inspect(image);
      if (!info) return undefined;
      const words = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);
      return { entrypoint: words(info.Config.Entrypoint), cmd: words(info.Config.Cmd), labels: info.Config.Labels ?? {} };
    },

    async pullImage(image) {
      await progress(await docker.pull(image));
    },

    async buildImage(context, entries, options, onLine) {
      const stream = await docker.buildImage(
        { context, src: entries },
        { t: options.tag, buildargs: options.buildArgs, labels: options.labels, forcerm: true, rm: true },
      );
      let failure: string | undefined;
      let pending = '';
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.trim()) continue;
            const event = JSON.parse(line) as { stream?: string; error?: string };
            if (event.stream) for (const text of event.stream.replace(/\n$/, '').split('\n')) onLine(text);
            if (event.error) {
              failure = event.error;
              onLine(event.error);
            }
          }
        });
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      return failure;
    },

    async importImage(tarball, repoTag, message, changes) {
      const separator = repoTag.lastIndexOf(':');
      const stream = await docker.importImage(tarball as unknown as NodeJS.ReadableStream, {
        repo: repoTag.slice(0, separator),
        tag: repoTag.slice(separator + 1),
        message,
        changes,
      });
      await progress(stream);
    },

    async saveImage(image) {
      return (await docker.getImage(image).get()) as unknown as Readable;
    },

    async loadImage(tar) {
      const stream = await docker.loadImage(tar as unknown as NodeJS.ReadableStream, { quiet: true });
      const messages = await progress<{ error?: string; errorDetail?: { message?: string } }>(stream);
      const failed = messages.find((message) => message.error || message.errorDetail);
      if (failed) throw new Error(failed.errorDetail?.message ?? failed.error);
    },

    async removeImageIfUnused(id) {
      await docker
        .getImage(id)
        .remove()
        .catch(() => undefined);
    },
  };
}
