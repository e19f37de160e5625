import { causeOf, describeAnswer } from '../gateway/causes.js';
import { mcpInitialize, requestJson } from '../gateway/http.js';
import { restToolsByServer } from '../gateway/rest-tools.js';
import { litellmAnswers, VANTAGE_DEADLINE_MS, type VantageAnswer } from '../gateway/vantage.js';
import { containerCause, diagnoseServer, type ServerTarget } from '../probe/diagnose.js';
import { checkAggregate, checkServer, type McpLevelContext, type ProvenTool } from '../probe/mcp-level.js';
import { gatewayHeaders } from '../gateway/session.js';
import { serverTargets } from '../probe/targets.js';
import { litellmPlace, litellmService } from '../stack/model.js';
import type { DoctorContext } from './context.js';
import { fail, pass, type Cause, type CheckOutcome } from './types.js';

/** One server as LiteLLM reaches it (config.yaml's URL and headers, from LiteLLM's network): ok, or why not. */
export interface DirectAnswer {
  target: ServerTarget;
  /** undefined: not checked (a stdio server LiteLLM spawns has no endpoint). */
  ok?: boolean;
  seen: string;
  causes: Cause[];
}

export function targets(ctx: DoctorContext): Promise<ServerTarget[]> {
  return ctx.once('server-targets', async () => serverTargets((await ctx.loaded()).config, await ctx.model()));
}

/** Every server with an endpoint asked at once from LiteLLM's place (one docker exec), or the reason it could not be. */
function answerFor(ctx: DoctorContext, server: ServerTarget): Promise<VantageAnswer | Error | undefined> {
  return ctx
    .once('vantage', async () => {
      const [docker, model, all] = await Promise.all([ctx.docker().catch((error: Error) => error), ctx.model(), targets(ctx)]);
      const endpoints = all.flatMap((target) => (target.endpoint ? [target.endpoint] : []));
      return litellmAnswers(
        docker,
        litellmPlace(model),
        () => ctx.deps.randomBytes(4).toString('hex'),
        endpoints,
        Math.min(ctx.deps.requestTimeoutMs, VANTAGE_DEADLINE_MS),
      );
    })
    .then((ask) => ask(server.name));
}

/**
 * Each server asked as LiteLLM asks it, once per run: mcp.containers, mcp.transport and mcp.gateway all read
 * this, so a stopped container or a wrong transport fails one check, not three.
 */
export function directAnswers(ctx: DoctorContext): Promise<DirectAnswer[]> {
  return ctx.once('direct-answers', async () => {
    // On a swarm no server is asked from here: LiteLLM's place is a task on some node (mcp.transport skips there);
    // the gateway checks then judge each server through the front door alone.
    if ((await ctx.loaded()).config.engine === 'swarm') return [];
    const docker = await ctx.docker().catch(() => undefined);
    return Promise.all(
      (await targets(ctx)).map(async (target): Promise<DirectAnswer> => {
        if (!target.endpoint) return { target, seen: `${target.name}: stdio, spawned by LiteLLM (no endpoint of its own)`, causes: [] };
        const down = await containerCause(target, docker);
        if (down) return { target, ok: false, seen: `${target.name}: ${down.cause}`, causes: [down] };
        const answer = await answerFor(ctx, target);
        if (answer instanceof Error || answer === undefined) {
          return {
            target,
            ok: false,
            seen: `${target.name}: not asked from LiteLLM's network${answer ? `: ${answer.message}` : ''}`,
            causes: await diagnoseServer(target, docker, () => Promise.resolve(answer)),
          };
        }
        const cause = causeOf(answer, target.role ?? {});
        return { target, ok: cause === undefined, seen: describeAnswer(answer), causes: cause ? [cause] : [] };
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
 * Each server's share of LiteLLM's REST tool list (`GET /mcp-rest/tools/list`), or undefined when the answer
 * cannot be attributed (another version's shape: a tool without its server's name). `causesFor` gives what is
 * already known against a server that lists nothing (its container, its transport).
 */
export async function attributeRestTools(
  body: unknown,
  servers: readonly ServerTarget[],
  causesFor: (server: ServerTarget) => Promise<Cause[]>,
): Promise<GatewayServer[] | undefined> {
  const listing = restToolsByServer(body);
  if (!listing) return undefined;
  return Promise.all(
    servers.map(async (target): Promise<GatewayServer> => {
      const count = listing.tools.get(target.name)?.length ?? 0;
      const seen = `GET /mcp-rest/tools/list → ${count} tools from ${target.name}`;
      if (count > 0) return { name: target.name, outcome: pass(seen) };
      const status = listing.status.get(target.name);
      const known = await causesFor(target);
      // Nothing known against the server itself, yet LiteLLM gets no tools from it: LiteLLM's side.
      const causes =
        known.length > 0
          ? known
          : [
              {
                cause:
                  `LiteLLM lists no tools from ` +
                  `${target.name}${status ? ` (it reports the server ${status})` : ''}, though nothing is ` +
                  `found wrong with the server itself`,
                fix: '`mcpgw logs litellm` shows the MCP error (LiteLLM reaches the server by its container name on the network they share)',
              },
            ];
      return { name: target.name, outcome: fail(status ? `${seen} (LiteLLM: ${status})` : seen, causes) };
    }),
  );
}

/**
 * --offline: which servers' tools the doctor's key sees, from one REST request — LiteLLM lists every granted
 * server live for it, ~10× faster than an MCP tools/list — and /mcp/ initialized to prove the endpoint clients
 * use takes the key. Anything but a clean answer falls back to the full MCP view, whose failures are explained
 * (and which loads the MCP SDK only then).
 */
function gatewayListing(ctx: DoctorContext): Promise<GatewayView> {
  return ctx.once('gateway-listing', async () => {
    const mcp = await mcpLevel(ctx);
    const [answer, endpoint] = await Promise.all([
      requestJson(`${mcp.baseUrl}/mcp-rest/tools/list`, { headers: gatewayHeaders(mcp.key) }, mcp.timeoutMs).catch(() => undefined),
      mcpInitialize(`${mcp.baseUrl}/mcp/`, gatewayHeaders(mcp.key), mcp.timeoutMs).catch(() => undefined),
    ]);
    const servers = answer?.status === 200 && endpoint !== undefined ? await attributeRestTools(answer.body, await targets(ctx), mcp.diagnose) : undefined;
    if (!servers) return gatewayView(ctx);
    return { servers, aggregate: pass(`POST /mcp/ initialize → ${endpoint}`) };
  });
}

/** The gateway as the checks see it: listed with --offline, fully exercised (tool calls included) otherwise. */
export function gatewayServers(ctx: DoctorContext): Promise<GatewayView> {
  return ctx.deps.offline ? gatewayListing(ctx) : gatewayView(ctx);
}

function mcpLevel(ctx: DoctorContext): Promise<McpLevelContext> {
  return ctx.once('mcp-level', async () => ({
    baseUrl: await ctx.gatewayUrl(),
    key: await ctx.gatewayKey(),
    timeoutMs: ctx.deps.requestTimeoutMs,
    nonce: () => ctx.nonce(),
    diagnose: async (server: ServerTarget) => {
      const known = (await directAnswers(ctx)).find((answer) => answer.target.name === server.name)?.causes ?? [];
      if (known.length > 0) return known;
      // On a swarm neither a container nor LiteLLM's network is on this machine's engine to look into.
      if ((await ctx.loaded()).config.engine === 'swarm')
        return [
          {
            cause: `${server.name} fails through the gateway (on a swarm its own endpoint is not asked from here)`,
            fix: `swarm.tasks says whether its task runs, and why not; when it runs, \`mcpgw logs litellm\` shows the MCP error`,
          },
        ];
      return diagnoseServer(
        server,
        await ctx.docker().catch(() => undefined),
        (target) => answerFor(ctx, target),
        litellmService(await ctx.model()).containerName,
      );
    },
  }));
}

/**
 * Every server through the gateway with the doctor's temporary key (tools listed, a safe tool executed), then
 * /mcp/ once they are done: LiteLLM answers /mcp/ by opening every server again, and on a busy machine the
 * two at once made each other time out.
 */
export function gatewayView(ctx: DoctorContext): Promise<GatewayView> {
  return ctx.once('gateway-view', async () => {
    const mcp = await mcpLevel(ctx);
    const servers = await Promise.all((await targets(ctx)).map(async (target) => ({ name: target.name, ...(await checkServer(mcp, target, true)) })));
    return { servers, aggregate: await checkAggregate(mcp) };
  });
}
