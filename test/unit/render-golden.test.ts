import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { renderStack } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';
import { buildStackModel } from '../../src/stack/model.js';
import { FIXTURE_STACKS, fixtureStack, goldenDir } from '../helpers/fixtures.js';

// Whole-file comparisons. After an intended change: UPDATE_GOLDEN=1 npm run test:unit, then review the diff.
const update = process.env.UPDATE_GOLDEN === '1';

function render(name: string) {
  const stack = fixtureStack(name);
  const config = parseConfig(stack.yaml);
  return renderStack(buildStackModel(config), parseSecrets(stack.secrets), loadTemplates(), 'secrets.env');
}

describe.each(FIXTURE_STACKS)('golden render: %s stack', (name) => {
  const files = render(name);

  it('renders exactly the expected set of files', () => {
    const listing = path.join(goldenDir, name, 'FILES');
    const paths = `${files.map((file) => file.path).join('\n')}\n`;
    if (update) {
      mkdirSync(path.dirname(listing), { recursive: true });
      writeFileSync(listing, paths);
    }
    expect(paths).toBe(readFileSync(listing, 'utf8'));
  });

  it.each(files.map((file) => [file.path, file] as const))('%s matches its golden file', (filePath, file) => {
    const golden = path.join(goldenDir, name, filePath);
    if (update) {
      mkdirSync(path.dirname(golden), { recursive: true });
      writeFileSync(golden, file.content);
    }
    expect(file.content).toBe(readFileSync(golden, 'utf8'));
  });

  it('is byte-identical on re-render', () => {
    expect(render(name)).toEqual(files);
  });
});
