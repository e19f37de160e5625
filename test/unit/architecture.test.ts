import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * README's Architecture table as data: each row a layer, top first. A file may import its own folder and any
 * row below its own, never a row above or beside it. The imports are read from the sources, `import type` too.
 */
const LAYERS = [
  ['cli'],
  ['ops'],
  ['doctor'],
  ['probe'],
  ['upgrade'],
  ['backup', 'init', 'mcp', 'clients', 'adopt'],
  ['keys'],
  ['deps.ts'],
  ['swarm'],
  ['render', 'db'],
  ['stack'],
  ['gateway', 'config'],
  ['images'],
  ['docker'],
  ['time', 'outcome.ts', 'errors.ts', 'ui', 'fs.ts', 'litellm'],
];

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of every file under src/, as paths relative to src/ (.ts). */
const imports = new Map(
  sources(src).map((file) => {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((match) =>
      path.relative(src, path.resolve(path.dirname(file), match[1] ?? '')).replace(/\.js$/, '.ts'),
    );
    return [path.relative(src, file), targets] as const;
  }),
);

const top = (file: string) => file.split(path.sep)[0] ?? file;
const layerOf = (file: string) => LAYERS.findIndex((layer) => layer.includes(top(file)));

describe('the layout README describes', () => {
  it('places every folder of src/ in one layer', () => {
    expect([...new Set([...imports.keys()].map(top))].filter((folder) => layerOf(folder) < 0)).toEqual([]);
  });

  it('has every import point down (or within its own folder)', () => {
    const upward = [...imports].flatMap(([file, targets]) =>
      targets
        .filter((target) => top(target) !== top(file) && layerOf(target) <= layerOf(file) && !(layerOf(file) === LAYERS.length - 1))
        .map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no import circle between files', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') return void circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
      state.set(file, 'open');
      for (const target of imports.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of imports.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });

  it("keeps docker/'s clients apart: each kind of Docker object imports none of the others, engine.ts joins them", () => {
    const clients = ['containers', 'container-io', 'images', 'networks', 'volumes', 'swarm'].map((name) => path.join('docker', `${name}.ts`));
    const engine = path.join('docker', 'engine.ts');
    const crossing = clients.flatMap((client) =>
      (imports.get(client) ?? []).filter((target) => target === engine || clients.includes(target)).map((target) => `${client} -> ${target}`),
    );
    expect(crossing).toEqual([]);
    expect(clients.filter((client) => !imports.has(client) || !imports.get(engine)?.includes(client))).toEqual([]);
  });

  it('keeps every line of src/ within 200 characters (the formatter wraps code at 160, never inside a string)', () => {
    const long = sources(src).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (line.length > 200 ? [`${path.relative(src, file)}:${index + 1} (${line.length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});
