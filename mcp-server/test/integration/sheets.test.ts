// Sheet tools through the real MCP SDK client, the built CLI and the real sandbox: workbooks are written,
// read, updated and analysed in /workspace, and checked byte for byte where "untouched" is promised.
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { startServer, type TestServer } from '../fixtures/server.ts';

describe('sheet tools (stdio, real sandbox)', function () {
  this.timeout(180_000);
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => s?.close());

  const sha = async (path: string): Promise<string> => String((await s.ok('shell_exec', { command: `sha256sum ${path}` })).structured?.stdout).split(' ')[0];

  /** The file's bytes, parsed on the host with exceljs. */
  async function workbookIn(path: string): Promise<ExcelJS.Workbook> {
    const b64 = String((await s.ok('shell_exec', { command: `base64 -w0 ${path}` })).structured?.stdout);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(b64, 'base64') as unknown as ArrayBuffer);
    return wb;
  }

  async function putWorkbook(path: string, wb: ExcelJS.Workbook): Promise<void> {
    await s.ok('file_write', { path, content: Buffer.from(await wb.xlsx.writeBuffer()).toString('base64'), encoding: 'base64' });
  }

  async function assertFails(name: string, args: Record<string, unknown>, fragment: RegExp): Promise<void> {
    const r = await s.call(name, args);
    assert.equal(r.isError, true, `${name} should fail, got: ${r.text}`);
    assert.match(r.text, fragment);
  }

  it('lists the sheet tools with annotations derived from their kind', async () => {
    const { tools } = await s.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['sheet_create', 'sheet_read', 'sheet_update', 'sheet_analyze']) assert.ok(byName.has(name), `missing ${name}`);
    assert.equal(byName.get('sheet_read')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('sheet_analyze')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('sheet_update')!.annotations?.readOnlyHint ?? false, false); // left out when false (the default)
  });

  it('create → read → update → analyze round trip on an .xlsx workbook', async () => {
    const created = await s.ok('sheet_create', {
      path: 'books/sales.xlsx',
      sheets: [
        { name: 'Sales', columns: ['Region', 'Qty', 'Price', 'Total'], rows: [['East', 2, 3, '=B2*C2'], ['West', 4, 5, '=B3*C3'], { Region: 'East', Qty: 1, Price: 10, Total: '=B4*C4' }] },
        { name: 'Summary', rows: [['Grand total', '=SUM(Sales!D2:D4)']] },
      ],
    });
    assert.match(created.text, /created books\/sales\.xlsx sheet "Sales" A1:D4, sheet "Summary" A1:B1/);

    const book = await workbookIn('books/sales.xlsx');
    const sales = book.getWorksheet('Sales')!;
    assert.equal(sales.getCell('A1').font?.bold, true);
    assert.equal(sales.views[0]?.state, 'frozen');
    assert.equal(sales.getCell('D2').formula, 'B2*C2');
    assert.equal(sales.getCell('B3').value, 4);
    assert.ok((sales.getColumn(1).width ?? 0) >= 8);

    const read = await s.ok('sheet_read', { path: 'books/sales.xlsx' });
    assert.match(read.text, /sheet "Sales" of books\/sales\.xlsx \(sheets: "Sales", "Summary"\); used range A1:D4/);
    // No cached results in a file sheet_create wrote: the values are computed.
    assert.match(read.text, /\| 2 \| East \| 2 \| 3 \| =B2\*C2 → 6 \|/);
    assert.match(read.text, /3 formula cell\(s\) in view, shown as =formula → value \(3 computed here/);
    assert.deepEqual(read.structured?.sheets, ['Sales', 'Summary']);
    assert.equal(read.structured?.dimensions, 'A1:D4');
    assert.deepEqual((read.structured?.rows as unknown[][])[1], ['East', 2, 3, 6]);
    assert.deepEqual((read.structured?.formulas as unknown[])[0], { cell: 'D2', formula: '=B2*C2', value: 6, computed: true });

    const updated = await s.ok('sheet_update', {
      path: 'books/sales.xlsx',
      operations: [
        { op: 'insert_rows', at: 2, rows: [['North', 7, 1, '=B2*C2']] },
        { op: 'set_cell', cell: 'C3', value: 30 },
        { op: 'append_rows', rows: [{ Region: 'West', Qty: 1, Price: 1, Total: '=B6*C6' }] },
      ],
    });
    assert.match(updated.text, /1\. inserted 1 row\(s\) at row 2\n2\. set C3\n3\. appended 1 row\(s\) at row 6/);
    const after = await s.ok('sheet_read', { path: 'books/sales.xlsx', range: 'A1:D6' });
    assert.match(after.text, /\| 3 \| East \| 2 \| 30 \| =B3\*C3 → 60 \|/);
    assert.match(after.text, /\| 6 \| West \| 1 \| 1 \| =B6\*C6 → 1 \|/);
    const summary = await s.ok('sheet_read', { path: 'books/sales.xlsx', sheet: 'Summary' });
    // As in Excel: rows inserted at a range's first row move it. A cross-sheet SUM over computed formulas.
    assert.match(summary.text, /=SUM\(Sales!D3:D5\) → 90/);

    const analysis = await s.ok('sheet_analyze', { path: 'books/sales.xlsx', group_by: 'Region', aggregations: [{ op: 'count' }, { column: 'Qty', op: 'sum' }] });
    assert.match(analysis.text, /5 data rows; 3 group\(s\)/);
    assert.match(analysis.text, /\| Region \| count \| sum\(Qty\) \|\n\| --- \| --- \| --- \|\n\| East \| 2 \| 3 \|\n\| North \| 1 \| 7 \|\n\| West \| 2 \| 5 \|/);
    assert.deepEqual(analysis.structured?.rows, [['East', 2, 3], ['North', 1, 7], ['West', 2, 5]]);
    const filtered = await s.ok('sheet_analyze', { path: 'books/sales.xlsx', aggregations: [{ column: 'Price', op: 'max' }], filter: [{ column: 'region', op: 'ne', value: 'east' }] });
    assert.deepEqual(filtered.structured?.rows, [[5]]);
    assert.match(filtered.text, /3 of 5 data rows matched the filter/);
    // A formula column sums to its values, not to 0.
    const totals = await s.ok('sheet_analyze', { path: 'books/sales.xlsx', group_by: 'Region', aggregations: [{ column: 'Total', op: 'sum' }] });
    assert.deepEqual(totals.structured?.rows, [['East', 70], ['North', 7], ['West', 21]]);
  });

  it('computes SUMIF and VLOOKUP across sheets, and says which formulas cannot be computed instead of counting them as 0', async () => {
    await s.ok('sheet_create', {
      path: 'books/lookup.xlsx',
      sheets: [
        { name: 'Prices', columns: ['Item', 'Price'], rows: [['apple', 2], ['pear', 3]] },
        { name: 'Orders', columns: ['Item', 'Qty', 'Cost'], rows: [['pear', 2, '=B2*VLOOKUP(A2,Prices!A2:B3,2,FALSE)'], ['apple', 5, '=B3*VLOOKUP(A3,Prices!A2:B3,2,FALSE)'], ['pear', 1, '=NOSUCHFN(B4)']] },
        { name: 'Summary', rows: [['pears', '=SUMIF(Orders!A2:A4,"pear",Orders!B2:B4)']] },
      ],
    });
    const summary = await s.ok('sheet_read', { path: 'books/lookup.xlsx', sheet: 'Summary' });
    assert.match(summary.text, /=SUMIF\(Orders!A2:A4,"pear",Orders!B2:B4\) → 3/);
    const orders = await s.ok('sheet_read', { path: 'books/lookup.xlsx', sheet: 'Orders' });
    assert.match(orders.text, /=B2\*VLOOKUP\(A2,Prices!A2:B3,2,FALSE\) → 6/);
    assert.match(orders.text, /=NOSUCHFN\(B4\) → \(not computed: the function NOSUCHFN is not supported here\)/);
    const costs = await s.ok('sheet_analyze', { path: 'books/lookup.xlsx', sheet: 'Orders', group_by: 'Item', aggregations: [{ column: 'Cost', op: 'sum' }] });
    assert.deepEqual(costs.structured?.rows, [['apple', 10], ['pear', null]]);
    assert.match(costs.text, /Column "Cost": 1 formula cell\(s\) could not be computed \(first: C4: the function NOSUCHFN is not supported here\); aggregates over them are left empty\./);
  });

  it('reads a workbook written elsewhere, showing formulas with their cached values, and updates keep the formulas', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Calc');
    ws.addRow(['a', 'b', 'sum']);
    ws.addRow([1, 2, { formula: 'A2+B2', result: 3 }]);
    ws.addRow([3, 4, { formula: 'A3+B3', result: 7, shareType: 'shared', ref: 'C3:C4' }]);
    ws.addRow([5, 6, { sharedFormula: 'C3', result: 11 }]);
    wb.addWorksheet('Other').addRow(['=not a formula here']);
    await putWorkbook('ext/calc.xlsx', wb);

    const read = await s.ok('sheet_read', { path: 'ext/calc.xlsx' });
    assert.match(read.text, /\| 2 \| 1 \| 2 \| =A2\+B2 → 3 \|/);
    assert.match(read.text, /\| 4 \| 5 \| 6 \| =A4\+B4 → 11 \|/);
    assert.match(read.text, /3 formula cell\(s\) in view/);
    assert.deepEqual(read.structured?.formulas, [
      { cell: 'C2', formula: '=A2+B2', value: 3 },
      { cell: 'C3', formula: '=A3+B3', value: 7 },
      { cell: 'C4', formula: '=A4+B4', value: 11 },
    ]);

    await s.ok('sheet_update', { path: 'ext/calc.xlsx', sheet: 'Calc', operations: [{ op: 'insert_rows', at: 3, count: 1 }, { op: 'set_range', start: 'A3', values: [[10, 20, '=A3+B3']] }] });
    const book = await workbookIn('ext/calc.xlsx');
    const calc = book.getWorksheet('Calc')!;
    assert.deepEqual(['C2', 'C3', 'C4', 'C5'].map((a) => calc.getCell(a).formula), ['A2+B2', 'A3+B3', 'A4+B4', 'A5+B5']);
    assert.equal(calc.getCell('A5').value, 5);
    assert.equal(book.getWorksheet('Other')!.getCell('A1').value, '=not a formula here');
  });

  it('applies operations all-or-nothing: a failing second operation leaves the file byte for byte as it was', async () => {
    await s.ok('sheet_create', { path: 'atomic.xlsx', sheets: [{ name: 'S', columns: ['x'], rows: [[1], [2]] }] });
    const before = await sha('atomic.xlsx');
    await assertFails('sheet_update', { path: 'atomic.xlsx', operations: [{ op: 'set_cell', cell: 'A2', value: 99 }, { op: 'set_cell', cell: 'ZZZ0', value: 1 }] },
      /operations\[1\] \(set_cell\) failed: bad cell "ZZZ0": expected a column letter and a row number from 1, like "A1".*atomic\.xlsx is unchanged/);
    await assertFails('sheet_update', { path: 'atomic.xlsx', operations: [{ op: 'append_rows', rows: [[3]] }, { op: 'rename_sheet', from: 'Missing', to: 'T' }] }, /operations\[1\].*no sheet "Missing"/);
    assert.equal(await sha('atomic.xlsx'), before);
    assert.deepEqual((await s.ok('sheet_read', { path: 'atomic.xlsx' })).structured?.rows, [['x'], [1], [2]]);
  });

  it('gives clear errors for a missing sheet, a bad range, a corrupt file and a missing file, touching nothing', async () => {
    await s.ok('sheet_create', { path: 'err.xlsx', sheets: [{ name: 'One', rows: [[1]] }, { name: 'Two', rows: [[2]] }] });
    const before = await sha('err.xlsx');
    await assertFails('sheet_read', { path: 'err.xlsx', sheet: 'Three' }, /no sheet "Three" in err\.xlsx; its sheets are: "One", "Two"/);
    await assertFails('sheet_update', { path: 'err.xlsx', sheet: 'Three', operations: [{ op: 'set_cell', cell: 'A1', value: 1 }] }, /its sheets are: "One", "Two"/);
    await assertFails('sheet_read', { path: 'err.xlsx', range: 'A1:ZZZ0' }, /bad range "A1:ZZZ0": expected two cells joined by ":", like "A1:D20"/);
    await assertFails('sheet_analyze', { path: 'err.xlsx', group_by: 'Nope' }, /unknown column "Nope"; the columns \(header row 1\) are: "1"/);
    await assertFails('sheet_create', { path: 'err.xlsx', sheets: [{ name: 'New', rows: [] }] }, /err\.xlsx already exists and was left as it is; pass overwrite: true/);
    assert.equal(await sha('err.xlsx'), before);

    await s.ok('file_write', { path: 'corrupt.xlsx', content: 'this is not a workbook\n' });
    const corrupt = await sha('corrupt.xlsx');
    await assertFails('sheet_read', { path: 'corrupt.xlsx' }, /corrupt\.xlsx is not a readable \.xlsx workbook: it is not a zip archive/);
    await assertFails('sheet_update', { path: 'corrupt.xlsx', operations: [{ op: 'set_cell', cell: 'A1', value: 1 }] }, /not a zip archive/);
    await s.ok('shell_exec', { command: "printf 'PK\\003\\004 truncated zip' > broken.xlsx" });
    await assertFails('sheet_read', { path: 'broken.xlsx' }, /broken\.xlsx is a corrupt \.xlsx workbook and could not be parsed/);
    assert.equal(await sha('corrupt.xlsx'), corrupt);

    await assertFails('sheet_read', { path: 'nothing-here.xlsx' }, /no such file: nothing-here\.xlsx/);
    await assertFails('sheet_read', { path: 'notes.txt' }, /sheet tools read and write \.xlsx and \.csv files/);
    await s.ok('shell_exec', { command: 'truncate -s 21M huge.xlsx' });
    await assertFails('sheet_read', { path: 'huge.xlsx' }, /huge\.xlsx is 21\.0 MB, over the 20 MB limit/);
  });

  it('applies the path policy to every sheet tool', async () => {
    for (const path of ['../x.xlsx', '/etc/x.xlsx']) {
      await assertFails('sheet_create', { path, sheets: [{ name: 'S', rows: [[1]] }] }, /outside the workspace/);
      await assertFails('sheet_read', { path }, /outside the workspace/);
      await assertFails('sheet_update', { path, operations: [{ op: 'set_cell', cell: 'A1', value: 1 }] }, /outside the workspace/);
      await assertFails('sheet_analyze', { path }, /outside the workspace/);
    }
    const r = await s.ok('shell_exec', { command: 'ls /x.xlsx /etc/x.xlsx 2>&1 || true' });
    assert.match(String(r.structured?.stdout), /No such file/);
  });

  it('creates, reads, updates and analyses a .csv file', async () => {
    await assertFails('sheet_create', { path: 'two.csv', sheets: [{ name: 'a', rows: [] }, { name: 'b', rows: [] }] }, /a \.csv file holds exactly one sheet/);
    await s.ok('sheet_create', { path: 'data/people.csv', sheets: [{ name: 'ignored', columns: ['name', 'team', 'age'], rows: [['Ann, Jr.', 'red', 31], ['Bob', 'blue', 45], ['Cy', 'red', 29]] }] });
    const text = await s.ok('shell_exec', { command: 'cat data/people.csv' });
    assert.equal(text.structured?.stdout, 'name,team,age\n"Ann, Jr.",red,31\nBob,blue,45\nCy,red,29');
    const read = await s.ok('sheet_read', { path: 'data/people.csv' });
    assert.match(read.text, /data\/people\.csv; used range A1:C4/);
    assert.match(read.text, /\| 2 \| Ann, Jr\. \| red \| 31 \|/);
    assert.deepEqual((read.structured?.rows as unknown[][])[2], ['Bob', 'blue', 45]);
    await s.ok('sheet_update', { path: 'data/people.csv', operations: [{ op: 'append_rows', rows: [{ name: 'Di', team: 'blue', age: 50 }] }, { op: 'delete_rows', at: 3 }] });
    const analysis = await s.ok('sheet_analyze', { path: 'data/people.csv', group_by: 'team', aggregations: [{ column: 'age', op: 'avg' }] });
    assert.deepEqual(analysis.structured?.rows, [['blue', 50], ['red', 30]]);
    await assertFails('sheet_update', { path: 'data/people.csv', operations: [{ op: 'add_sheet', name: 'x' }] }, /a \.csv file holds one sheet/);
  });
});
