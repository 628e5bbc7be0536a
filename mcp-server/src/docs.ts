// The README's tool and configuration tables, generated from the tool declarations and the config table so
// they cannot drift (a unit test compares them with README.md; `npm run docs` rewrites them).
import { z } from 'zod';
import { envName, OPTIONS, type OptionKey } from './config.js';
import type { ToolDefinition } from './tool.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** `{path, offset?, limit?}` from a tool's input schema. */
export function signature(tool: ToolDefinition): string {
  const schema = z.toJSONSchema(tool.input, { io: 'input' }) as { properties?: Record<string, unknown>; required?: string[] };
  const required = new Set(schema.required ?? []);
  const keys = Object.keys(schema.properties ?? {}).map((k) => (required.has(k) ? k : `${k}?`));
  return `{${keys.join(', ')}}`;
}

function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(?:\s+(?=[A-Z(])|$)/.exec(text); // "e.g. a dev server" does not end a sentence
  return m ? m[1]! : text;
}

export function toolTable(tools: ToolDefinition[], families: Record<string, ToolDefinition[]>, setOf: (family: never) => string): string {
  const familyOf = new Map<string, string>();
  for (const [f, list] of Object.entries(families)) for (const t of list) familyOf.set(t.name, setOf(f as never));
  const rows = tools.map((t) => `| \`${t.name} ${signature(t)}\` | ${familyOf.get(t.name) ?? ''} | ${t.kind} | ${cell(firstSentence(t.description))} |`);
  return ['| tool | set | kind | what it does |', '|---|---|---|---|', ...rows].join('\n');
}

export function configTable(): string {
  const rows = (Object.entries(OPTIONS) as [OptionKey, (typeof OPTIONS)[OptionKey]][]).map(([key, d]) => {
    const dflt = 'default' in d && d.default !== undefined ? `\`${d.default}\`` : '';
    const choices = 'choices' in d && d.choices ? ` (${(d.choices as readonly string[]).join(', ')})` : '';
    return `| \`--${d.flag}\` | \`${envName(key)}\` | ${dflt} | ${cell(d.description + choices)} |`;
  });
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** Replace the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md has no ${start} … ${end} section`);
  return doc.slice(0, i + start.length) + '\n' + body + '\n' + doc.slice(j);
}
