import { advisoriesFor, compareVersions, parseVersion, type Version } from '../litellm/version.js';
import { fetchWithTimeout, requestJson } from './http.js';
import { fail, pass, warn, type CheckOutcome } from '../outcome.js';

/** Liveliness: the proxy process answers at all. */
export async function checkLiveliness(baseUrl: string, timeoutMs: number): Promise<CheckOutcome> {
  try {
    const answer = await requestJson(`${baseUrl}/health/liveliness`, {}, timeoutMs);
    if (answer.status !== 200)
      return fail(`GET /health/liveliness answered HTTP ${answer.status}`, [{ cause: 'LiteLLM is not healthy', fix: '`mcpgw logs litellm`, then `mcpgw up`' }]);
    return pass(`GET /health/liveliness → 200 ${JSON.stringify(answer.body)}`);
  } catch (error) {
    return fail(`${baseUrl} unreachable: ${(error as Error).message}`, [
      { cause: 'nothing answers on the gateway port', fix: '`mcpgw status`; start the stack with `mcpgw up`' },
    ]);
  }
}

/** Readiness: without its database LiteLLM accepts only the master key, so every virtual key fails. */
export async function checkReadiness(baseUrl: string, timeoutMs: number): Promise<CheckOutcome> {
  const answer = await requestJson(`${baseUrl}/health/readiness`, {}, timeoutMs);
  const body = (answer.body ?? {}) as { status?: string; db?: string };
  const seen = `GET /health/readiness → ${answer.status} status=${body.status ?? '?'} db=${body.db ?? '?'}`;
  if (answer.status !== 200 || body.status !== 'healthy') return fail(seen, [{ cause: 'LiteLLM reports itself unhealthy', fix: '`mcpgw logs litellm`' }]);
  if (body.db !== 'connected') {
    return fail(seen, [
      {
        cause: 'LiteLLM has no database connection, so virtual keys cannot authenticate',
        fix: '`mcpgw doctor --only database`; check DATABASE_URL and the Postgres role',
      },
    ]);
  }
  return pass(seen);
}

/**
 * The running version. Current releases publish it on the public model-hub info route; older ones in the
 * readiness payload. (FastAPI's /openapi.json has it too, but building that 2 MB document takes LiteLLM
 * seconds on its first request.)
 */
export async function readVersion(baseUrl: string, timeoutMs: number): Promise<string | undefined> {
  for (const route of ['/public/model_hub/info', '/health/readiness']) {
    const answer = await requestJson(`${baseUrl}${route}`, {}, timeoutMs).catch(() => undefined);
    const version = (answer?.body as { litellm_version?: unknown } | undefined)?.litellm_version;
    if (answer?.status === 200 && typeof version === 'string') return version;
  }
  return undefined;
}

export function judgeVersion(version: string | undefined): CheckOutcome {
  if (!version)
    return warn('LiteLLM did not report its version (neither /public/model_hub/info nor /health/readiness)', [
      { cause: 'the version cannot be checked against known advisories', fix: 'pin litellm.image to an explicit release tag' },
    ]);
  const advisories = advisoriesFor(version);
  if (advisories.length === 0) return pass(`LiteLLM ${version}, no known advisory`);
  const fixedIn = advisories
    .map((advisory) => advisory.fixed)
    .filter((fixed): fixed is string => Boolean(fixed))
    .sort((a, b) => compareVersions(parseVersion(a) as Version, parseVersion(b) as Version))
    .at(-1);
  return warn(
    advisories.map((advisory) => `${advisory.id}: ${advisory.summary}`),
    [
      {
        cause: `LiteLLM ${version} is affected by ${advisories.map((advisory) => advisory.id).join(', ')}`,
        fix: `pin litellm.image to ${fixedIn ?? 'a release without these advisories'} or later, then \`mcpgw up\``,
      },
    ],
  );
}

/**
 * What Prometheus gets from LiteLLM's /metrics with the scrape key: 200 and LiteLLM's series, or why not (401: the
 * key is not in LiteLLM's database or not allowed the route; 404: the prometheus callback is off).
 */
export async function checkMetricsScrape(url: string, key: string, timeoutMs: number): Promise<CheckOutcome> {
  let response: Response;
  try {
    response = await fetchWithTimeout(url, { headers: { authorization: `Bearer ${key}` } }, timeoutMs);
  } catch (error) {
    return fail(`GET ${url}: ${(error as Error).message}`, [
      { cause: 'the scrape target does not answer from here', fix: 'check observability.prometheus.target; `mcpgw status`' },
    ]);
  }
  const seen = `GET ${url} with the scrape key → HTTP ${response.status}`;
  if (response.status === 401 || response.status === 403)
    return fail(seen, [
      {
        cause: 'LiteLLM refuses the scrape key: Prometheus sees up == 0',
        fix: 'run `mcpgw up` (it syncs the key), then copy observability/litellm-metrics-key to the credentials_file on the Prometheus host',
      },
    ]);
  if (response.status === 404)
    return fail(seen, [{ cause: 'LiteLLM serves no /metrics: its prometheus callback is off', fix: 'run `mcpgw up` (config.yaml turns it on)' }]);
  const families = (await response.text()).match(/^# HELP litellm_/gm)?.length ?? 0;
  const counted = `${seen}, ${families} litellm_ metric(s)`;
  if (response.status !== 200 || families === 0) return fail(counted, [{ cause: 'LiteLLM does not serve its metrics', fix: '`mcpgw logs litellm`' }]);
  return pass(counted);
}
