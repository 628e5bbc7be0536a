// Sheets from workspace files (CSV / JSON `source`), so rows never pass through the call, and formula values
// (SUM, SUMIF, VLOOKUP, a cross-sheet reference) read as values, with a non-computable formula said so, never 0.
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { startServer, type TestServer } from '../fixtures/server.ts';

describe('sheets from CSV/JSON sources, and formula values (stdio, real sandbox)', function () {
  this.timeout(300_000);
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => s?.close());

  async function workbookIn(path: string): Promise<ExcelJS.Workbook> {
    const b64 = String((await s.ok('shell_exec', { command: `base64 -w0 ${path}` })).structured?.stdout);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(b64, 'base64') as unknown as ArrayBuffer);
    return wb;
  }

  it('turns a 10,000-row CSV into an xlsx without the rows passing through the call', async () => {
    await s.ok('shell_exec', { command: `mkdir -p data && python3 -c "
import csv
with open('data/big.csv', 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['id', 'region', 'amount'])
    for i in range(10000): w.writerow([i + 1, ['north', 'south'][i % 2], round(i * 1.5, 2)])
"` });
    const args = { path: 'out/big.xlsx', sheets: [{ name: 'Data', source: 'data/big.csv' }] };
    assert.ok(JSON.stringify(args).length < 200);
    const r = await s.ok('sheet_create', args);
    assert.match(r.text, /created out\/big\.xlsx sheet "Data" A1:C10001/);
    // The file is too large for one capped shell_exec: check it with openpyxl in the sandbox, and by sheet_read.
    const check = await s.ok('shell_exec', {
      command: `python3 -c "
import openpyxl
ws = openpyxl.load_workbook('out/big.xlsx')['Data']
print(ws.max_row, ws['A1'].value, ws['A1'].font.b, ws['A10001'].value, ws['B10001'].value, ws['C3'].value)
"`,
    });
    assert.equal(String(check.structured?.stdout).trim(), '10001 id True 10000 south 1.5');
    const tail = await s.ok('sheet_read', { path: 'out/big.xlsx', range: 'A10000:C10001' });
    assert.match(tail.text, /10001 \| 10000 \| south \| 14998\.5/);
    const sum = await s.ok('sheet_analyze', { path: 'out/big.xlsx', group_by: 'region', aggregations: [{ op: 'count' }] });
    assert.match(sum.text, /north \| 5000/);
  });

  it('fills sheets from JSON and appends CSV rows; "=…" text from a file stays text', async () => {
    await s.ok('file_write', { path: 'data/people.json', content: JSON.stringify([{ name: 'Ann', age: 31 }, { name: 'Bo', age: 27, note: '=HYPERLINK("http://x")' }]) });
    await s.ok('file_write', { path: 'data/more.csv', content: 'name,age\nCy,40\n' });
    await s.ok('sheet_create', { path: 'out/people.xlsx', sheets: [{ name: 'People', source: 'data/people.json' }] });
    const up = await s.ok('sheet_update', { path: 'out/people.xlsx', operations: [{ op: 'append_rows', source: 'data/more.csv' }] });
    assert.match(up.text, /appended 1 row\(s\) at row 4 from data\/more\.csv/);
    const ws = (await workbookIn('out/people.xlsx')).getWorksheet('People')!;
    assert.deepEqual([ws.getCell('A1').value, ws.getCell('B1').value, ws.getCell('C1').value], ['name', 'age', 'note']);
    assert.equal(ws.getCell('C3').value, '=HYPERLINK("http://x")');
    assert.equal(ws.getCell('C3').formula, undefined);
    assert.deepEqual([ws.getCell('A4').value, ws.getCell('B4').value], ['Cy', 40]);
  });

  it('refuses a bad source with a clear error and creates nothing', async () => {
    await s.ok('file_write', { path: 'data/bad.json', content: '{"not": "rows"' });
    await s.ok('file_write', { path: 'data/obj.json', content: '{"rows": 1}' });
    for (const [source, fragment] of [
      ['data/bad.json', /source data\/bad\.json is not valid JSON/],
      ['data/obj.json', /source data\/obj\.json: expected an array of rows/],
      ['data/missing.csv', /no such source file: data\/missing\.csv/],
      ['data/people.txt', /use a \.csv file .* or a \.json file/],
      ['../etc/passwd.csv', /outside|workspace/i],
    ] as const) {
      const r = await s.call('sheet_create', { path: 'out/never.xlsx', sheets: [{ name: 'S', source }] });
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, fragment);
    }
    const both = await s.call('sheet_create', { path: 'out/never.xlsx', sheets: [{ name: 'S', source: 'data/more.csv', rows: [[1]] }] });
    assert.match(both.text, /give rows or source, not both/);
    const ls = await s.ok('shell_exec', { command: 'test -e out/never.xlsx && echo exists || echo absent' });
    assert.match(ls.text, /absent/);
  });

  it('reads SUM, SUMIF, VLOOKUP and a cross-sheet reference as values, and says which formula cannot be computed', async () => {
    await s.ok('sheet_create', {
      path: 'out/f.xlsx',
      sheets: [
        { name: 'Prices', columns: ['Item', 'Price'], rows: [['pear', 3], ['apple', 2]] },
        { name: 'Orders', columns: ['Item', 'Qty', 'Cost'], rows: [['pear', 2, '=B2*VLOOKUP(A2,Prices!A2:B3,2,FALSE)'], ['apple', 5, '=B3*VLOOKUP(A3,Prices!A2:B3,2,FALSE)'], ['pear', 1, '=NOSUCHFN(B4)']] },
        { name: 'Summary', rows: [['qty', '=SUM(Orders!B2:B4)'], ['pears', '=SUMIF(Orders!A2:A4,"pear",Orders!B2:B4)'], ['apple price', '=Prices!B3']] },
      ],
    });
    const summary = await s.ok('sheet_read', { path: 'out/f.xlsx', sheet: 'Summary' });
    assert.match(summary.text, /=SUM\(Orders!B2:B4\) → 8/);
    assert.match(summary.text, /=SUMIF\(Orders!A2:A4,"pear",Orders!B2:B4\) → 3/);
    assert.match(summary.text, /=Prices!B3 → 2/);
    const orders = await s.ok('sheet_read', { path: 'out/f.xlsx', sheet: 'Orders' });
    assert.match(orders.text, /→ 6/);
    assert.match(orders.text, /→ 10/);
    assert.match(orders.text, /=NOSUCHFN\(B4\) → \(not computed: /);
    const total = await s.ok('sheet_analyze', { path: 'out/f.xlsx', sheet: 'Orders', aggregations: [{ column: 'Cost', op: 'sum' }] });
    assert.match(total.text, /could not be computed/);
    assert.doesNotMatch(total.text, /\| 0 \|/);
  });
});
