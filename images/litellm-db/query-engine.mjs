#!/usr/bin/env node
// Stand-in for Prisma's native `query-engine` binary, for LiteLLM's DB mode in mcpgw's locally built
// image (the native engines are only downloadable from binaries.prisma.sh).
//
// prisma-client-py (0.15) starts `<engine> -p <port> --enable-metrics --enable-raw-queries` with
// PRISMA_DML_PATH (the schema) and OVERWRITE_DATASOURCES (the URL), polls GET /status, and sends
// queries in Prisma's GraphQL protocol to POST / (X-transaction-id for interactive
// transactions, /transaction/start|<id>/commit|<id>/rollback). The engine doing the work is
// Prisma's own query engine, compiled to wasm (npm @prisma/query-engine-wasm, same engine
// commit), over @prisma/adapter-pg. That build only speaks the JSON protocol, so this file
// translates prisma-client-py's GraphQL documents to JSON-protocol queries and the tagged
// results back. It covers what prisma-client-py generates; it is not a general GraphQL server.
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');
const debugLog = process.env.QE_SHIM_LOG;
const log = (...parts) => {
  if (debugLog) appendFileSync(debugLog, `${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}\n`);
};

const wasmBindings = await import(join(modules, '@prisma/query-engine-wasm/postgresql/query_engine_bg.js'));
const wasmModule = await WebAssembly.instantiate(
  readFileSync(join(modules, '@prisma/query-engine-wasm/postgresql/query_engine_bg.wasm')),
  { './query_engine_bg.js': wasmBindings },
);
wasmBindings.__wbg_set_wasm(wasmModule.instance.exports);

const argv = process.argv.slice(2);
if (argv.includes('--version') || argv.includes('-V') || argv[0] === 'version') {
  // prisma-client-py compares this hash with the engine version it was built for.
  process.stdout.write(`query-engine ${wasmBindings.getBuildTimeInfo().commit}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------- GraphQL -> JSON protocol

/** Tokens of the GraphQL subset prisma-client-py writes (string values are JSON literals). */
function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ',' || /\s/.test(c)) { i += 1; continue; }
    if ('{}()[]:'.includes(c)) { tokens.push({ punct: c }); i += 1; continue; }
    if (c === '"') {
      let j = i + 1;
      while (src[j] !== '"') { if (src[j] === '\\') j += 1; j += 1; if (j >= src.length) throw new Error('unterminated string'); }
      tokens.push({ value: JSON.parse(src.slice(i, j + 1)) });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(src.slice(i));
    if (num) { tokens.push({ value: Number(num[0]) }); i += num[0].length; continue; }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) { tokens.push({ name: name[0] }); i += name[0].length; continue; }
    throw new Error(`unexpected character ${JSON.stringify(c)} at ${i}`);
  }
  return tokens;
}

function parseDocument(src) {
  const tokens = tokenize(src);
  let k = 0;
  const peek = () => tokens[k];
  const next = () => { if (k >= tokens.length) throw new Error('unexpected end of query'); return tokens[k++]; };
  const expect = (p) => { const t = next(); if (t.punct !== p) throw new Error(`expected "${p}"`); };
  const value = () => {
    const t = next();
    if (t.punct === '{') {
      const obj = {};
      while (peek()?.punct !== '}') { const key = next(); expect(':'); obj[key.name ?? key.value] = value(); }
      next();
      return obj;
    }
    if (t.punct === '[') { const list = []; while (peek()?.punct !== ']') list.push(value()); next(); return list; }
    if ('value' in t) return t.value;
    if (t.name === 'true') return true;
    if (t.name === 'false') return false;
    if (t.name === 'null') return null;
    if (t.name) return t.name; // enum literal
    throw new Error(`unexpected "${t.punct}"`);
  };
  const selectionSet = () => {
    const fields = {};
    expect('{');
    while (peek()?.punct !== '}') {
      let name = next().name;
      let alias;
      if (peek()?.punct === ':') { next(); alias = name; name = next().name; }
      let args;
      if (peek()?.punct === '(') {
        next();
        args = {};
        while (peek()?.punct !== ')') { const key = next().name; expect(':'); args[key] = value(); }
        next();
      }
      const sub = peek()?.punct === '{' ? selectionSet() : undefined;
      fields[name] = { alias, args, sub };
    }
    next();
    return fields;
  };
  next(); // `query` or `mutation`
  return selectionSet();
}

// Longest first: `findUniqueOrThrow` before `findUnique`, `createManyAndReturn` before `createMany`.
const ACTIONS = ['findUniqueOrThrow', 'findUnique', 'findFirstOrThrow', 'findFirst', 'findMany',
  'createManyAndReturn', 'createMany', 'createOne', 'updateMany', 'updateOne', 'deleteMany', 'deleteOne',
  'upsertOne', 'aggregate', 'groupBy', 'executeRaw', 'queryRaw', 'runCommandRaw'];

function toSelection(fields) {
  const out = {};
  for (const [name, f] of Object.entries(fields)) {
    if (!f.sub && !f.args) { out[name] = true; continue; }
    out[name] = { ...(f.args ? { arguments: f.args } : {}), selection: f.sub ? toSelection(f.sub) : { $scalars: true } };
  }
  return out;
}

/** Each model's Json fields and relation fields (field → related model), from the schema prisma-client-py was generated from. */
function schemaFields(datamodel) {
  const models = {};
  // A block ends at a line of its own `}` (defaults such as @default("{}") hold braces).
  for (const [, name, body] of datamodel.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const json = new Set();
    const relations = {};
    for (const [, field, type] of body.matchAll(/^\s*(\w+)\s+(\w+)/gm)) {
      if (type === 'Json') json.add(field);
      else relations[field] = type;
    }
    models[name] = { json, relations };
  }
  return models;
}

// Where written values sit: an action's data, an upsert's create/update, and the same inside nested relation writes.
const WRITES = new Set(['data', 'create', 'update', 'createMany', 'connectOrCreate', 'upsert']);

/**
 * The GraphQL protocol's Json scalar is JSON text (prisma-client-py sends `"{}"` for `{}`); the JSON protocol reads
 * an untagged string as a JSON string, which Postgres would store as the jsonb string "{}" (and LiteLLM then fails
 * validating the key /key/generate wrote). Tagged `{$type: 'Json', value}` it is the JSON value, as the native engine stores it.
 */
function tagJson(models, model, value) {
  if (Array.isArray(value)) return value.map((item) => tagJson(models, model, item));
  const spec = models[model];
  if (!spec || !value || typeof value !== 'object') return value;
  const out = {};
  for (const [key, inner] of Object.entries(value)) {
    if (spec.json.has(key) && typeof inner === 'string') out[key] = { $type: 'Json', value: inner };
    else if (models[spec.relations[key]]) out[key] = tagJson(models, spec.relations[key], inner);
    else out[key] = WRITES.has(key) ? tagJson(models, model, inner) : inner;
  }
  return out;
}

function translate(graphql, models) {
  const entries = Object.entries(parseDocument(graphql));
  if (entries.length !== 1) throw new Error(`expected one root field, got ${entries.length}`);
  const [[field, f]] = entries;
  const action = ACTIONS.find((a) => field.startsWith(a));
  if (!action) throw new Error(`unknown operation ${field}`);
  const modelName = field.slice(action.length);
  const args = { ...(f.args ?? {}) };
  for (const key of ['data', 'create', 'update']) if (modelName && key in args) args[key] = tagJson(models, modelName, args[key]);
  const query = {
    ...(modelName ? { modelName } : {}),
    action,
    query: { arguments: args, selection: f.sub ? toSelection(f.sub) : { $scalars: true } },
  };
  return { query, alias: f.alias ?? field, raw: action === 'queryRaw' || action === 'executeRaw' };
}

/**
 * JSON-protocol results tag DateTime/Json/BigInt/Decimal/Bytes; the GraphQL protocol did not. Json stays a
 * string: that is how the native engine returns it and what prisma-client-py's models parse.
 */
function untag(v) {
  if (Array.isArray(v)) return v.map(untag);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 2 && '$type' in v && 'value' in v) return v.value;
    return Object.fromEntries(keys.map((key) => [key, untag(v[key])]));
  }
  return v;
}

// ---------------------------------------------------------------- engine and HTTP

const pg = (await import(join(modules, 'pg/lib/index.js'))).default;
const { PrismaPg } = await import(join(modules, '@prisma/adapter-pg/dist/index.mjs'));
const { bindAdapter } = await import(join(modules, '@prisma/driver-adapter-utils/dist/index.mjs'));

const port = Number(argv[argv.indexOf('-p') + 1] ?? argv[argv.indexOf('--port') + 1]);
const datasources = process.env.OVERWRITE_DATASOURCES ? JSON.parse(process.env.OVERWRITE_DATASOURCES) : [];
const dbUrl = new URL(datasources[0]?.url ?? process.env.DATABASE_URL);
for (const prismaOnly of ['schema', 'connection_limit', 'pool_timeout', 'pgbouncer', 'connect_timeout']) dbUrl.searchParams.delete(prismaOnly);
const pool = new pg.Pool({ connectionString: dbUrl.toString() });
// An idle connection Postgres drops (a terminated backend, a restart) errors on the pool: without a listener
// Node exits, where Prisma's native engine drops that connection and opens a new one for the next query.
pool.on('error', (err) => log('idle connection lost', String(err?.message ?? err)));
const datamodel = readFileSync(process.env.PRISMA_DML_PATH, 'utf8');
const models = schemaFields(datamodel);
const engine = new wasmBindings.QueryEngine(
  { datamodel, logLevel: 'error', logQueries: false },
  (line) => log('engine', line),
  bindAdapter(new PrismaPg(pool)),
);
await engine.connect('{}');

async function runQuery(body, txId) {
  const { query, alias, raw } = translate(body.query, models);
  log('query', query);
  const res = JSON.parse(await engine.query(JSON.stringify(query), '{}', txId));
  if (res.errors) { log('errors', res.errors); return res; }
  const data = Object.values(res.data ?? {})[0];
  return { data: { [alias]: raw ? data : untag(data) } };
}

const server = http.createServer(async (req, res) => {
  const send = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const txId = req.headers['x-transaction-id'];
    const path = (req.url ?? '/').split('?')[0];
    let m;
    if (req.method === 'GET' && path === '/status') return send(200, { status: 'ok' });
    if (path === '/metrics') return send(200, { counters: [], gauges: [], histograms: [] });
    if (path === '/transaction/start') return send(200, JSON.parse(await engine.startTransaction(text || '{}', '{}')));
    if ((m = /^\/transaction\/([^/]+)\/commit$/.exec(path))) return send(200, JSON.parse(await engine.commitTransaction(m[1], '{}')));
    if ((m = /^\/transaction\/([^/]+)\/rollback$/.exec(path))) return send(200, JSON.parse(await engine.rollbackTransaction(m[1], '{}')));
    const body = JSON.parse(text);
    if (Array.isArray(body.batch)) {
      // A batch with `transaction` is atomic: run it in an engine transaction of its own.
      const batchTx = body.transaction && !txId
        ? JSON.parse(await engine.startTransaction(JSON.stringify({ max_wait: 2000, timeout: 5000 }), '{}')).id
        : undefined;
      const batchResult = [];
      try {
        for (const item of body.batch) batchResult.push(await runQuery(item, batchTx ?? txId));
        if (batchTx) {
          if (batchResult.some((r) => r.errors)) await engine.rollbackTransaction(batchTx, '{}');
          else await engine.commitTransaction(batchTx, '{}');
        }
      } catch (err) {
        if (batchTx) await engine.rollbackTransaction(batchTx, '{}');
        throw err;
      }
      return send(200, { batchResult });
    }
    return send(200, await runQuery(body, txId));
  } catch (err) {
    const message = String(err?.message ?? err);
    log('failure', message, text.slice(0, 2000));
    return send(200, { errors: [{ error: message, user_facing_error: { is_panic: false, message } }] });
  }
});
server.listen(port, '127.0.0.1');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(); void pool.end().finally(() => process.exit(0)); });
