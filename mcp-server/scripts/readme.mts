// `npm run docs`: regenerate the README's tool and configuration tables from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable, replaceSection, toolTable } from '../src/docs.ts';
import { allTools, setOf, TOOL_FAMILIES } from '../src/tools/index.ts';

export function renderReadme(readme: string): string {
  let out = replaceSection(readme, 'tools', toolTable(allTools(Object.keys(TOOL_FAMILIES) as never), TOOL_FAMILIES, setOf));
  out = replaceSection(out, 'config', configTable());
  return out;
}

if (process.argv[1]?.endsWith('readme.mts')) {
  const path = new URL('../../README.md', import.meta.url);
  const before = readFileSync(path, 'utf8');
  const after = renderReadme(before);
  writeFileSync(path, after);
  console.log(before === after ? 'README.md is up to date' : 'README.md tables regenerated');
}
