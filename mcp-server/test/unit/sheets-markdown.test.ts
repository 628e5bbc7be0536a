// Cell text in the markdown tables the sheet tools print: clipped to CELL_CHARS, pipes, backslashes and line
// breaks escaped so that a cell can never open a new column or row of the table.
import assert from 'node:assert/strict';
import { CELL_CHARS, markdownTable, mdCell } from '../../src/sheets/markdown.ts';

describe('sheets markdown', () => {
  it('escapes what would break the table and clips long cells', () => {
    assert.equal(mdCell('a|b'), 'a\\|b');
    assert.equal(mdCell('x\\y'), 'x\\\\y');
    assert.equal(mdCell('one\r\ntwo\nthree'), 'one\\ntwo\\nthree');
    const long = mdCell('z'.repeat(CELL_CHARS + 50));
    assert.equal(long, `${'z'.repeat(CELL_CHARS)}…`);
  });

  it('renders a header, a rule and one line per row, nulls as empty cells', () => {
    const table = markdownTable(['name', 'note'], [['a', null], ['b|c', 3]]);
    assert.deepEqual(table.split('\n'), ['| name | note |', '| --- | --- |', '| a |  |', '| b\\|c | 3 |']);
    for (const line of table.split('\n')) assert.equal(line.split(/(?<!\\)\|/).length, 4, 'three unescaped pipes a line: two cells');
  });
});
