#!/usr/bin/env node
// Benchmarks print ratios against a baseline measured in the same run, never absolute pass/fail times.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/mcpgw.js', import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const cases = [
  { name: 'mcpgw --help', args: [bin, '--help'], budget: 3 },
  { name: 'mcpgw --version', args: [bin, '--version'], budget: 3 },
];

// Interleave baseline and subject so machine noise hits both alike.
const baseline = [];
const samples = new Map(cases.map((c) => [c.name, []]));
timeOnce(['-e', '0']);
for (let i = 0; i < rounds; i++) {
  baseline.push(timeOnce(['-e', '0']));
  for (const c of cases) samples.get(c.name).push(timeOnce(c.args));
}

const base = median(baseline);
console.log(`baseline  node -e 0: median ${base.toFixed(1)} ms over ${rounds} runs`);
let over = false;
for (const c of cases) {
  const ratio = median(samples.get(c.name)) / base;
  over ||= ratio > c.budget;
  console.log(`${c.name.padEnd(16)} ${ratio.toFixed(2)}x baseline (budget ${c.budget}x)${ratio > c.budget ? '  OVER BUDGET' : ''}`);
}

// The bridged-vs-native MCP measurement needs the test images (bash test/stack/prepare.sh) and a Docker engine.
const manifest = fileURLToPath(new URL('../test/stack/.work/manifest.json', import.meta.url));
if (existsSync(manifest)) {
  console.log('');
  const bridge = spawnSync(process.execPath, [fileURLToPath(new URL('./bridge.mjs', import.meta.url))], { stdio: 'inherit' });
  over ||= bridge.status !== 0;
} else {
  console.log('bridged vs native MCP: skipped (run bash test/stack/prepare.sh for the test images; npm run bench:bridge alone)');
}
process.exitCode = over ? 1 : 0;
