import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ReportedFailure, UserError } from '../../errors.js';
import { DEFAULT_PROBE_TIMEOUT_MS, probeStack } from '../../ops/probe.js';
import { loadStack } from '../../ops/stack.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';
import { flagDuration } from '../flags.js';
import { keyInput } from '../key-input.js';
import { formatProbeReport, probeFailureSummary } from '../../probe/report.js';

export async function probeCommand(ctx: CommandContext, options: CommandOptions<'probe'>): Promise<void> {
  const timeoutMs = options.timeout === undefined ? DEFAULT_PROBE_TIMEOUT_MS : flagDuration('--timeout', options.timeout, '120') * 1000;
  const replay = options.replay ? await readReplay(path.resolve(ctx.deps.cwd, options.replay)) : undefined;
  const key = await keyInput(ctx, options);
  const stack = await loadStack(ctx);
  // --llm / --no-llm: absent means "when a model is configured".
  const { server, llm, model } = options;
  const report = await probeStack(ctx, stack, { key, server, llm, model, timeoutMs, replay, ...(options.replicas ? { replicas: true } : {}) });
  if (ctx.options.json) ctx.ui.json(report);
  else ctx.ui.result(formatProbeReport(report));
  if (!report.ok) throw new ReportedFailure(probeFailureSummary(report), 'each FAIL above names its cause and fix');
}

async function readReplay(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'give the path of a JSON request body saved from your client',
    );
  }
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, 'save the request body exactly as the client sent it');
  }
  throw new UserError(`${file} is not a JSON object`, 'save the request body (an object with "messages" or "input")');
}
