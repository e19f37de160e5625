import type { Ui } from './output.js';

export interface StepHandle {
  update(text: string): void;
  succeed(detail: string): void;
  skip(detail: string): void;
  fail(detail: string): void;
}

export interface Progress {
  start(title: string): StepHandle;
}

/** One spinner line per step on a terminal (ora), plain lines otherwise; always on stderr. */
export async function createProgress(ui: Ui, stream: NodeJS.WritableStream | { write(text: string): unknown }): Promise<Progress> {
  if (!ui.isInteractive) return plainProgress(ui);
  const { default: ora } = await import('ora');
  return {
    start(title) {
      const spinner = ora({ text: title, stream: stream as NodeJS.WritableStream, color: 'cyan' }).start();
      return {
        update: (text) => (spinner.text = ui.redact(`${title}: ${text}`)),
        succeed: (detail) => spinner.succeed(ui.redact(`${title}: ${detail}`)),
        skip: (detail) => spinner.info(ui.redact(`${title}: ${detail}`)),
        fail: (detail) => spinner.fail(ui.redact(`${title}: ${detail}`)),
      };
    },
  };
}

export function plainProgress(ui: Ui): Progress {
  return {
    start(title) {
      return {
        update: (text) => ui.verbose(`  ${title}: ${text}`),
        succeed: (detail) => ui.info(`ok    ${title}: ${detail}`),
        skip: (detail) => ui.info(`skip  ${title}: ${detail}`),
        fail: (detail) => ui.info(`FAIL  ${title}: ${detail}`),
      };
    },
  };
}
