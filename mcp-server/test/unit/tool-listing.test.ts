// Why: tools/list is paid on every turn of every conversation. These pin what the default list holds (and why
// checkpoints join it), that the listed schemas leave out only flood guards the server still enforces, that
// sheet_update's flat operation schema still refuses what each operation does not take, and the 24 KB budget.
import assert from 'node:assert/strict';
import { operation } from '../../src/sheets/inputs.ts';
import { toolListing } from '../../src/tool.ts';
import { checkpointsNotListedLine } from '../../src/tools/availability.ts';
import { toolsFor } from '../../src/tools/index.ts';

const NO_KEYS = {} as NodeJS.ProcessEnv;
const names = (config: Parameters<typeof toolsFor>[0], env = NO_KEYS) => toolsFor(config, env).map((t) => t.name);
const CHECKPOINT_TOOLS = ['sandbox_checkpoint', 'sandbox_checkpoints', 'sandbox_diff', 'sandbox_restore'];

describe('tools/list', () => {
  it('the default list with no keys is at most 24 KB and leaves out checkpoints and what cannot work', () => {
    const tools = toolsFor({}, NO_KEYS);
    const bytes = Buffer.byteLength(JSON.stringify({ tools: toolListing(tools) }));
    assert.ok(bytes <= 24 * 1024, `default tools/list is ${bytes} bytes, over the 24 KB budget`);
    for (const name of [...CHECKPOINT_TOOLS, 'agent_run', 'web_search', 'mcp_servers', 'workspace_sync_push']) assert.ok(!tools.some((t) => t.name === name), `${name} is listed`);
    for (const name of ['shell_exec', 'file_read', 'file_export', 'browser_navigate', 'sheet_update', 'code_run', 'port_expose', 'sandbox_status']) assert.ok(tools.some((t) => t.name === name), `${name} is missing`);
    for (const t of toolListing(tools)) assert.ok(t.title && (t.description ?? '').length > 20, `${t.name} lost its title or description`);
  });

  it('lists checkpoints with agent_run (its results name them), with --sync-tools (the panel), or when asked for', () => {
    assert.ok(CHECKPOINT_TOOLS.every((n) => names({}, { ANTHROPIC_API_KEY: 'sk-ant-x' }).includes(n)));
    assert.ok(CHECKPOINT_TOOLS.every((n) => names({ syncTools: true }).includes(n)));
    const asked = names({ tools: ['default', 'checkpoints'] });
    assert.ok(CHECKPOINT_TOOLS.every((n) => asked.includes(n)));
    assert.deepEqual(asked.filter((n) => !CHECKPOINT_TOOLS.includes(n)).sort(), names({}).sort());
    assert.deepEqual(names({ tools: ['shell'] }).sort(), ['sandbox_reset', 'sandbox_status', 'shell_exec', 'shell_input', 'shell_kill', 'shell_list', 'shell_output', 'shell_start']);
    assert.throws(() => toolsFor({ tools: ['nope'] }, NO_KEYS), /unknown set nope; choose from default, shell/);
    // sandbox_status says how to get them when they are not listed, and nothing when they are.
    assert.match(checkpointsNotListedLine({}, NO_KEYS)!, /^not listed: sandbox_checkpoint, .*--tools default,checkpoints/);
    assert.equal(checkpointsNotListedLine({ tools: ['default', 'checkpoints'] }, NO_KEYS), undefined);
  });

  it('leaves flood-guard bounds out of the listed schema, while the server still refuses past them', () => {
    const fileRead = toolsFor({}, NO_KEYS).find((t) => t.name === 'file_read')!;
    const listed = JSON.stringify(toolListing([fileRead])[0]);
    assert.doesNotMatch(listed, /4096|9007199254740991/);
    assert.match(listed, /"additionalProperties":false/, 'unknown arguments are still declared refused');
    assert.equal(fileRead.input.safeParse({ path: 'a'.repeat(5000) }).success, false);
    assert.equal(fileRead.input.safeParse({ path: 'notes.txt', offset: 2 }).success, true);
  });

  it('computes each listing once per process: two sessions share it', () => {
    const tools = toolsFor({}, NO_KEYS);
    assert.equal(toolListing(tools)[0], toolListing(tools)[0]);
  });

  it("sheet_update's flat operation refuses a field its operation needs, names both, and passes on only that operation's fields", () => {
    const missing = operation.safeParse({ op: 'set_cell', cell: 'A1' });
    assert.equal(missing.success, false);
    assert.match(missing.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), /value: set_cell: /);
    const rowAsLetter = operation.safeParse({ op: 'delete_rows', at: 'C' });
    assert.equal(rowAsLetter.success, false, 'delete_rows takes a row number, not a column letter');
    assert.equal(operation.safeParse({ op: 'delete_columns', at: 'C' }).success, true);
    const ok = operation.safeParse({ op: 'set_cell', cell: 'A1', value: 1, rows: [[1]], from: 'x' });
    assert.deepEqual(ok.data, { op: 'set_cell', cell: 'A1', value: 1 });
    assert.equal(operation.safeParse({ op: 'drop_table' }).success, false);
  });
});
