// Attack: a workbook made in the sandbox is hostile input. A few-KB xlsx that merges A1:XFD1024 (16 M cells) took a
// server on main to 4.4 GB and a V8 out-of-memory crash, because exceljs parsed it on the main thread. Now the
// sheet tools refuse it (and its cousins: a declared used range, cells placed far apart, a CSV of empty fields)
// with an error that says why, the server's resident memory stays far under 1 GB, and the next call answers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { memoryKb } from './helpers.ts';

const MAX_RSS_KB = 1024 * 1024;

/** A valid one-sheet workbook whose sheet XML is passed through `patch`. */
async function hostileWorkbook(patch: (sheetXml: string) => string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Data');
  ws.addRow(['region', 'qty']);
  ws.addRow(['east', 1]);
  const files = unzipSync(new Uint8Array(await wb.xlsx.writeBuffer()));
  files['xl/worksheets/sheet1.xml'] = strToU8(patch(strFromU8(files['xl/worksheets/sheet1.xml'])));
  return Buffer.from(zipSync(files));
}

const mergeBomb = () => hostileWorkbook((xml) => xml.replace('</sheetData>', '</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1024"/></mergeCells>'));

describe('reliability: attacks on the sheet tools (hostile workbooks)', function () {
  this.timeout(300_000);
  let s: TestServer;
  let pid: number;
  let peakKb = 0;
  let sampler: NodeJS.Timeout;

  before(async () => {
    s = await startServer();
    pid = s.transport.pid!;
    sampler = setInterval(() => {
      try {
        peakKb = Math.max(peakKb, memoryKb(pid).rss);
      } catch {
        // the process is gone; the "alive" checks report it
      }
    }, 25);
  });
  after(async () => {
    clearInterval(sampler);
    await s?.close();
  });

  async function put(path: string, bytes: Buffer): Promise<void> {
    await s.ok('file_write', { path, content: bytes.toString('base64'), encoding: 'base64' });
  }

  async function assertRefusedAndAlive(name: string, args: Record<string, unknown>, fragment: RegExp): Promise<void> {
    const r = await s.call(name, args);
    assert.equal(r.isError, true, `${name} should fail, got: ${r.text.slice(0, 300)}`);
    assert.match(r.text, fragment);
    assert.doesNotMatch(r.text, /\/work\/|\/tmp\/|\/home\/(?!user)/, 'the error names a host path');
    const alive = await s.ok('shell_exec', { command: 'echo alive' });
    assert.equal(alive.structured?.stdout, 'alive\n');
    const { rss, hwm } = memoryKb(pid);
    assert.ok(hwm < MAX_RSS_KB && peakKb < MAX_RSS_KB, `server peak resident memory ${Math.round(Math.max(hwm, peakKb) / 1024)} MB (now ${Math.round(rss / 1024)} MB)`);
  }

  it('the merge bomb is real: exceljs alone runs out of a 256 MB heap on it (the control)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'suna-sheet-bomb-'));
    try {
      const file = join(dir, 'bomb.xlsx');
      writeFileSync(file, await mergeBomb());
      const exceljs = createRequire(import.meta.url).resolve('exceljs');
      const load = `const E = require(${JSON.stringify(exceljs)}); new E.Workbook().xlsx.readFile(${JSON.stringify(file)}).then(() => console.log('loaded'))`;
      const r = spawnSync(process.execPath, ['--max-old-space-size=256', '-e', load], { encoding: 'utf8', timeout: 120_000 });
      assert.notEqual(r.status, 0, `exceljs loaded the bomb: ${r.stdout}`);
      assert.match(r.stderr, /heap out of memory|Allocation failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a few-KB workbook that merges 16 M cells, in sheet_read and sheet_analyze, and keeps serving', async () => {
    const bomb = await mergeBomb();
    assert.ok(bomb.length < 20_000, `${bomb.length} bytes`);
    await put('attack/merge-bomb.xlsx', bomb);
    const refusal = /attack\/merge-bomb\.xlsx: the workbook declares 16,777,\d{3} cells \(.*merged cells up to A1:XFD1024.*\); the limit of the sheet tools is 1,000,000\. Nothing was loaded; process it with a streaming reader in shell_exec/;
    await assertRefusedAndAlive('sheet_read', { path: 'attack/merge-bomb.xlsx' }, refusal);
    await assertRefusedAndAlive('sheet_analyze', { path: 'attack/merge-bomb.xlsx', group_by: 'region' }, refusal);
    await assertRefusedAndAlive('sheet_update', { path: 'attack/merge-bomb.xlsx', operations: [{ op: 'set_cell', cell: 'A1', value: 1 }] }, refusal);
  });

  it('refuses a declared used range of 268 M cells, cells placed 81 M cells apart (what grouping would walk), a billion column definitions, a whole-sheet data validation and defined name', async () => {
    await put('attack/dimension.xlsx', await hostileWorkbook((xml) => xml.replace(/<dimension ref="[^"]*"\/>/, '<dimension ref="A1:XFD16384"/>')));
    await assertRefusedAndAlive('sheet_read', { path: 'attack/dimension.xlsx' }, /declares 268,435,456 cells \(a used range of A1:XFD16384/);
    const far = (xml: string) => xml.replace(/<dimension[^>]*\/>/, '').replace('</sheetData>', '<row r="5000"><c r="XFD5000"><v>1</v></c></row></sheetData>');
    await put('attack/far.xlsx', await hostileWorkbook(far));
    await assertRefusedAndAlive('sheet_analyze', { path: 'attack/far.xlsx', group_by: 'region' }, /declares 81,920,000 cells \(cells as far as A1:XFD5000/);
    await put('attack/cols.xlsx', await hostileWorkbook((xml) => xml.replace('<sheetData>', '<cols><col min="1" max="1000000000" width="9"/></cols><sheetData>')));
    await assertRefusedAndAlive('sheet_read', { path: 'attack/cols.xlsx' }, /column definitions up to column 1,000,000,000/);
    const validation = '<dataValidations count="1"><dataValidation type="whole" sqref="A1:XFD1048576"><formula1>1</formula1></dataValidation></dataValidations>';
    await put('attack/validation.xlsx', await hostileWorkbook((xml) => xml.replace('</sheetData>', `</sheetData>${validation}`)));
    await assertRefusedAndAlive('sheet_update', { path: 'attack/validation.xlsx', operations: [{ op: 'set_cell', cell: 'A1', value: 1 }] }, /data validation over 17,179,869,184 cells/);
    const named = await hostileWorkbook((xml) => xml);
    const files = unzipSync(new Uint8Array(named));
    files['xl/workbook.xml'] = strToU8(strFromU8(files['xl/workbook.xml']).replace(/<definedNames\/>|<\/sheets>/, (m) => `${m === '</sheets>' ? m : ''}<definedNames><definedName name="all">Data!$A$1:$XFD$1048576</definedName></definedNames>`));
    await put('attack/named.xlsx', Buffer.from(zipSync(files)));
    await assertRefusedAndAlive('sheet_analyze', { path: 'attack/named.xlsx' }, /defined names over 17,179,869,184 cells in xl\/workbook\.xml/);
  });

  it('refuses a CSV of 15 M empty fields made in the sandbox', async () => {
    await s.ok('shell_exec', { command: "mkdir -p attack && yes ',,,,,,,,,,,,,,,,,,,' | head -c 15000000 > attack/fields.csv" });
    await assertRefusedAndAlive('sheet_analyze', { path: 'attack/fields.csv' }, /attack\/fields\.csv: the workbook declares 15,000,000 cells \(750,000 rows, the widest with 20 fields\)/);
  });

  it('bounds formula evaluation: a billion-character REPT and formulas that would read millions of cells', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('F');
    ws.addRow(['n', 'sum', 'text']);
    for (let r = 2; r <= 1001; r++) ws.getCell(r, 1).value = 1;
    for (let r = 2; r <= 801; r++) ws.getCell(r, 2).value = { formula: 'SUM($A$2:$A$1001)' } as ExcelJS.CellFormulaValue;
    ws.getCell('C2').value = { formula: 'REPT("x",1000000000)' } as ExcelJS.CellFormulaValue;
    await put('attack/formulas.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    const read = await s.ok('sheet_read', { path: 'attack/formulas.xlsx', range: 'A2:C3' });
    assert.match(read.text, /=REPT\("x",1000000000\) → #VALUE!/);
    const sums = await s.ok('sheet_analyze', { path: 'attack/formulas.xlsx', aggregations: [{ column: 'sum', op: 'sum' }] });
    assert.match(sums.text, /Column "sum": \d+ formula cell\(s\) could not be computed \(first: B\d+: the formulas read more than 500,000 cells\)/);
    assert.deepEqual(sums.structured?.rows, [[null]]);
    await assertRefusedAndAlive('sheet_read', { path: 'attack/merge-bomb.xlsx' }, /declares/);
  });

  it('still reads an ordinary workbook afterwards', async () => {
    await s.ok('sheet_create', { path: 'attack/ok.xlsx', sheets: [{ name: 'S', columns: ['region', 'qty'], rows: [['east', 2], ['west', 3]] }] });
    const r = await s.ok('sheet_analyze', { path: 'attack/ok.xlsx', aggregations: [{ column: 'qty', op: 'sum' }] });
    assert.deepEqual(r.structured?.rows, [[5]]);
  });
});
