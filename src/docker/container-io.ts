import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { demuxLogs } from './logs.js';

/** What comes out of a running container (its log) and what runs inside it (exec), as text or as streams. */
export interface ContainerIoClient {
  /** The last `tail` lines of the container's log (since `since`, in epoch seconds); a log that cannot be read says so, it does not throw. */
  logs(id: string, tail?: number, since?: number): Promise<string>;
  /** Passes the container's log to `onText` as it comes, until the log ends or `signal` aborts. */
  followLogs(id: string, options: { since?: number; tail?: number }, onText: (text: string) => void, signal: AbortSignal): Promise<void>;
  /**
   * Runs a command in a container; `env` is passed to that process only (never logged). `user` runs it as that
   * user of the container instead of the container's own (e.g. the owner of the files it writes).
   */
  exec(id: string, cmd: string[], env?: string[], user?: string): Promise<{ exitCode: number; output: string }>;
  /**
   * Runs a command in a container streaming its stdout into `stdout` (bytes, unbuffered: a database dump can be
   * large) and, when given, `stdin` into it; stderr is collected for error messages. `env` as in exec; `user`
   * replaces the container's user for this process.
   */
  execStreaming(
    id: string,
    cmd: string[],
    io: { stdout: Writable; stdin?: Readable; env?: string[]; user?: string },
  ): Promise<{ exitCode: number; stderr: string }>;
}

export function dockerContainerIo(docker: Docker): ContainerIoClient {
  return {
    async logs(id, tail = 50, since) {
      try {
        const buffer = (await docker
          .getContainer(id)
          .logs({ stdout: true, stderr: true, tail, follow: false, ...(since !== undefined ? { since } : {}) })) as unknown as Buffer;
        return demuxLogs(buffer);
      } catch (error) {
        return `(could not read logs: ${(error as Error).message})`;
      }
    },

    async followLogs(id, options, onText, signal) {
      const stream = (await docker.getContainer(id).logs({
        stdout: true,
        stderr: true,
        follow: true,
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
        ...(options.since !== undefined ? { since: options.since } : {}),
      })) as NodeJS.ReadableStream & { destroy(): void };
      await new Promise<void>((resolve, reject) => {
        signal.addEventListener(
          'abort',
          () => {
            stream.destroy();
            resolve();
          },
          { once: true },
        );
        stream.on('data', (chunk: Buffer) => onText(demuxLogs(chunk)));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
    },

    async exec(id, cmd, env = [], user) {
      const exec = await docker.getContainer(id).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) });
      const stream = await exec.start({ hijack: true, stdin: false });
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      const info = await exec.inspect();
      return { exitCode: info.ExitCode ?? -1, output: demuxLogs(Buffer.concat(chunks)) };
    },

    async execStreaming(id, cmd, io) {
      const exec = await docker.getContainer(id).exec({
        Cmd: cmd,
        Env: io.env ?? [],
        ...(io.user ? { User: io.user } : {}),
        AttachStdin: Boolean(io.stdin),
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await exec.start({ hijack: true, stdin: Boolean(io.stdin) });
      const stderr = new PassThrough();
      const errorChunks: Buffer[] = [];
      stderr.on('data', (chunk: Buffer) => errorChunks.push(chunk));
      // demuxStream writes without ending its targets, so `stdout` stays open for the caller.
      docker.modem.demuxStream(stream, io.stdout, stderr);
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      if (io.stdin) {
        // Ending our side half-closes the hijacked socket: the process sees EOF on stdin and finishes.
        await pipeline(io.stdin, stream as unknown as Writable, { end: true }).catch((error: Error) => {
          stream.destroy();
          throw error;
        });
      }
      await ended;
      const info = await exec.inspect();
      return { exitCode: info.ExitCode ?? -1, stderr: Buffer.concat(errorChunks).toString('utf8') };
    },
  };
}
