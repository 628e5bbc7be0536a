// The README's tool and configuration tables are generated from the code; this fails when they are stale.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderReadme } from '../../scripts/readme.mts';
import { allTools } from '../../src/tools/index.ts';

describe('README', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

  it('has tool and configuration tables that match the code (run `npm run docs` to refresh them)', () => {
    assert.equal(readme, renderReadme(readme), 'README.md is stale: run `npm run docs`');
  });

  it('lists every tool the server can register', () => {
    for (const t of allTools()) assert.ok(readme.includes(`\`${t.name} {`), `${t.name} is missing from README.md`);
  });

  it('shows the test command that CI runs', () => {
    assert.match(readme, /npm test/);
  });
});
