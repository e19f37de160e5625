import { mcpInitialize, sseEndpoint } from '../docker/readiness.js';
import { diagnoseServer, type ServerTarget } from '../probe/diagnose.js';
import { checkAggregate, checkServer, type ProvenTool } from '../probe/mcp-level.js';
import { serverTargets } from '../probe/targets.js';
import type { DoctorContext } from './context.js';
import type { Cause, CheckOutcome } from './types.js';

/** One server's own endpoint, asked directly (not through LiteLLM): ok, or why not with its fix. */
export interface DirectAnswer {
  target: ServerTarget;
  /** undefined: not checked (stdio, or no endpoint reachable from here). */
  ok?: boolean;
  seen: string;
  causes: Cause[];
}

const SPEAK = { sse: sseEndpoint, http: mcpInitialize } as const;

export function targets(ctx: DoctorContext): Promise<ServerTarget[]> {
  return ctx.once('server-targets', async () => serverTargets((await ctx.loaded()).config, await ctx.model()));
}

/** Slow answers are retried (a busy machine), wrong ones are not: a 404 or a wrong content type is final at once. */
async function answersWithin(ask: () => Promise<unknown>, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ask();
      return;
    } catch (error) {
      const slow = /abort|no answer .* within|timed? ?out/i.test((error as Error).message);
      if (!slow || attempt >= attempts) throw error;
    }
  }
}

/**
 * Each server asked on its configured transport and path, once per run: mcp.containers, mcp.transport and
 * mcp.gateway all read this, so a stopped container or a wrong transport fails one check, not three.
 */
export function directAnswers(ctx: DoctorContext): Promise<DirectAnswer[]> {
  return ctx.once('direct-answers', async () => {
    const docker = await ctx.docker().catch(() => undefined);
    return Promise.all(
      (await targets(ctx)).map(async (target): Promise<DirectAnswer> => {
        const { transport, directUrl } = target;
        if (transport === 'stdio' || !directUrl) return { target, seen: `${target.name}: ${transport}, no endpoint of its own`, causes: [] };
        try {
          await answersWithin(() => SPEAK[transport](directUrl));
          return { target, ok: true, seen: `${target.name}: ${target.transport} answers at ${target.directUrl}`, causes: [] };
        } catch (error) {
          return { target, ok: false, seen: `${target.name}: ${(error as Error).message}`, causes: await diagnoseServer(target, docker) };
        }
      }),
    );
  });
}

/** A container that is absent or stopped: mcp.containers' finding, which the other MCP checks defer to. */
export function containerDown(answer: DirectAnswer): boolean {
  return answer.causes.some((cause) => /^container .* (does not exist|is )/.test(cause.cause)) && answer.ok === false;
}

export interface GatewayServer {
  name: string;
  outcome: CheckOutcome;
  proven?: ProvenTool;
}

export interface GatewayView {
  /** /mcp/, every granted server's tools, as most clients connect. */
  aggregate: CheckOutcome;
  servers: GatewayServer[];
}

/**
 * Every server through the gateway with the doctor's temporary key (tools listed, a safe tool executed), then
 * /mcp/ once they are done: LiteLLM answers /mcp/ by opening every server again, and on a busy machine the
 * two at once made each other time out.
 */
export function gatewayView(ctx: DoctorContext): Promise<GatewayView> {
  return ctx.once('gateway-view', async () => {
    const mcp = {
      baseUrl: await ctx.gatewayUrl(),
      key: await ctx.gatewayKey(),
      timeoutMs: ctx.deps.requestTimeoutMs,
      nonce: () => ctx.nonce(),
      diagnose: async (server: ServerTarget) => (await directAnswers(ctx)).find((answer) => answer.target.name === server.name)?.causes ?? [],
    };
    const servers = await Promise.all((await targets(ctx)).map(async (target) => ({ name: target.name, ...(await checkServer(mcp, target, true)) })));
    return { servers, aggregate: await checkAggregate(mcp) };
  });
}
