// Hostile workbooks against the sheets core's bounds: the zip census refuses what a load would allocate (merged
// ranges, used ranges, far-away cells, bytes really unpacked) however the XML hides it, CSVs are measured by rows ×
// widest row, and the worker host turns running out of heap or time into a clear error and keeps serving.
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { SheetError } from '../../src/sheets/errors.ts';
import { checkCsvBudget, checkUsedArea, checkXlsxBudget, csvCells, SHEET_LIMITS } from '../../src/sheets/limits.ts';
import { loadWorkbook } from '../../src/sheets/workbook.ts';
import { SheetWorkerHost } from '../../src/sheets/worker-host.ts';

/** A real one-sheet workbook from exceljs, with its sheet XML passed through `patch`. */
async function workbook(patch: (sheetXml: string) => string = (x) => x, opts: { level?: 0 | 6 } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('S');
  ws.addRow(['name', 'qty']);
  ws.addRow(['a', 1]);
  const files = unzipSync(new Uint8Array(await wb.xlsx.writeBuffer()));
  files['xl/worksheets/sheet1.xml'] = strToU8(patch(strFromU8(files['xl/worksheets/sheet1.xml'])));
  const zippable: Zippable = {};
  for (const [name, data] of Object.entries(files)) zippable[name] = [data, { level: opts.level ?? 6 }];
  return Buffer.from(zipSync(zippable));
}

const withMerge = (ref: string, attrs = '') => (xml: string) => xml.replace('</sheetData>', `</sheetData><mergeCells count="1"><mergeCell${attrs} ref="${ref}"/></mergeCells>`);

async function assertRejected(p: Promise<unknown>, fragment: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SheetError, `expected a SheetError, got ${String(err)}`);
    assert.match(err.message, fragment);
    return true;
  });
}

function assertRefused(fn: () => unknown, fragment: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SheetError, `expected a SheetError, got ${String(err)}`);
    assert.match(err.message, fragment);
    return true;
  });
}

describe('sheet limits: the xlsx census', () => {
  it('accepts an ordinary workbook', async () => {
    await checkXlsxBudget(await workbook(), 'ok.xlsx');
  });

  it('refuses a merged range of 16 M cells from a file of a few KB, naming the count, the range and the limit', async () => {
    const bomb = await workbook(withMerge('A1:XFD1024'));
    assert.ok(bomb.length < 20_000, `${bomb.length} bytes`);
    await assertRejected(
      checkXlsxBudget(bomb, 'bomb.xlsx'),
      /^bomb\.xlsx: the workbook declares 16,777,\d{3} cells \(.*merged cells up to A1:XFD1024 in xl\/worksheets\/sheet1\.xml\); the limit of the sheet tools is 1,000,000\. Nothing was loaded/,
    );
  });

  it('refuses a declared used range of 268 M cells', async () => {
    const bytes = await workbook((xml) => xml.replace(/<dimension ref="[^"]*"\/>/, '<dimension ref="A1:XFD16384"/>'));
    await assertRejected(checkXlsxBudget(bytes, 'd.xlsx'), /^d\.xlsx: the workbook declares 268,435,456 cells \(a used range of A1:XFD16384 in xl\/worksheets\/sheet1\.xml\)/);
  });

  it('sees a merged range however the XML spells it: prefixes, entities, ">" inside a quoted value, odd quoting', async () => {
    for (const [label, patch] of [
      ['entities', withMerge('&#65;1:&#x58;FD1024')],
      ['">" in an attribute before ref', withMerge('A1:XFD1024', ' note=">"')],
      ['ref inside another value', (xml: string) => xml.replace('</sheetData>', `</sheetData><mergeCells><mergeCell note='ref="A1"' ref='A1:XFD1024'/></mergeCells>`)],
      ['namespace prefix', (xml: string) => xml.replace('</sheetData>', '</sheetData><x:mergeCells xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:mergeCell ref="A1:XFD1024"/></x:mergeCells>')],
    ] as const) {
      const bytes = await workbook(patch);
      await assertRejected(checkXlsxBudget(bytes, 'b.xlsx'), /declares 16,777,\d{3} cells/);
      void label;
    }
  });

  it('finds a merge cut across unpacked pieces, at any offset', async () => {
    for (const pad of [0, 1, 7, 262_100, 262_144, 300_001]) {
      const filler = `<row r="3"><c r="A3" t="inlineStr"><is><t>${'x'.repeat(pad)}</t></is></c></row>`;
      const bytes = await workbook((xml) => withMerge('A1:XFD1024')(xml.replace('</sheetData>', `${filler}</sheetData>`)), { level: 0 });
      await assertRejected(checkXlsxBudget(bytes, 'b.xlsx'), /merged cells up to A1:XFD1024/);
    }
  });

  it('refuses cells placed far apart, and many cell elements', async () => {
    const far = await workbook((xml) => xml.replace(/<dimension[^>]*\/>/, '').replace('</sheetData>', '<row r="5000"><c r="XFD5000"><v>1</v></c></row></sheetData>'));
    await assertRejected(checkXlsxBudget(far, 'far.xlsx'), /declares 81,920,000 cells \(cells as far as A1:XFD5000/);
    const wide = await workbook((xml) => xml.replace(/<dimension[^>]*\/>/, '').replace('</sheetData>', `<row>${'<c/>'.repeat(400_000)}</row></sheetData>`));
    await assertRejected(checkXlsxBudget(wide, 'wide.xlsx'), /declares 1,200,000 cells \(cells as far as A1:\w+3 /);
    const many = await workbook((xml) => xml.replace(/<dimension[^>]*\/>/, '').replace('</sheetData>', `<row r="3">${'<c r="A3"/>'.repeat(1_100_000)}</row></sheetData>`));
    await assertRejected(checkXlsxBudget(many, 'many.xlsx'), /declares 1,100,00\d cells \(1,100,00\d cell elements in xl\/worksheets\/sheet1\.xml\)/);
  });

  it('counts the bytes entries really unpack to, not what the zip directory claims', async () => {
    const padded = await workbook((xml) => xml.replace('</sheetData>', `</sheetData><!--${' '.repeat(3_000_000)}-->`));
    const limits = { ...SHEET_LIMITS, unzippedBytes: 2 * 1024 * 1024 };
    await assertRejected(checkXlsxBudget(padded, 'big.xlsx', limits), /^big\.xlsx: it unpacks to over 2 MB, the most the sheet tools load/);
    // A directory that claims 1 byte per entry changes nothing.
    const lying = Buffer.from(padded);
    for (let p = lying.indexOf('PK\x01\x02', 0, 'latin1'); p >= 0; p = lying.indexOf('PK\x01\x02', p + 4, 'latin1')) lying.writeUInt32LE(1, p + 24);
    await assertRejected(checkXlsxBudget(lying, 'big.xlsx', limits), /unpacks to over 2 MB/);
  });

  it('refuses column definitions that would make a billion column objects', async () => {
    const cols = await workbook((xml) => xml.replace('<sheetData>', '<cols><col min="1" max="1000000000" width="9"/></cols><sheetData>'));
    await assertRejected(checkXlsxBudget(cols, 'c.xlsx'), /declares 1,000,000,\d{3} cells \(.*column definitions up to column 1,000,000,000/);
  });

  it('refuses a data validation over whole columns (exceljs keeps an entry per covered cell)', async () => {
    const validation = '<dataValidations count="1"><dataValidation type="whole" sqref="B2 A1:A1048576 C1:D5"><formula1>1</formula1></dataValidation></dataValidations>';
    const bytes = await workbook((xml) => xml.replace('</sheetData>', `</sheetData>${validation}`));
    await assertRejected(checkXlsxBudget(bytes, 'v.xlsx'), /declares 1,048,\d{3} cells \(.*data validation over 1,048,587 cells/);
    const small = await workbook((xml) => xml.replace('</sheetData>', `</sheetData>${validation.replace('A1:A1048576', 'A1:A10')}`));
    await checkXlsxBudget(small, 'ok.xlsx');
  });

  it('refuses defined names over whole sheets (exceljs enumerates every cell of their ranges)', async () => {
    const withName = (text: string) => async () => {
      const wb = new ExcelJS.Workbook();
      wb.addWorksheet('S').addRow(['a']);
      const files = unzipSync(new Uint8Array(await wb.xlsx.writeBuffer()));
      const book = strFromU8(files['xl/workbook.xml']).replace(/<definedNames\/>|<\/sheets>/, (m) => `${m === '</sheets>' ? m : ''}<definedNames><definedName name="x">${text}</definedName></definedNames>`);
      files['xl/workbook.xml'] = strToU8(book);
      return Buffer.from(zipSync(files));
    };
    await assertRejected(checkXlsxBudget(await withName('S!$A$1:$XFD$1048576')(), 'n.xlsx'), /defined names over 17,179,869,184 cells in xl\/workbook\.xml/);
    await assertRejected(checkXlsxBudget(await withName('S!$1:$1048576')(), 'n.xlsx'), /defined names over 1,048,576 cells/);
    await assertRejected(checkXlsxBudget(await withName('S!&#36;A&#36;1:&#36;XFD&#36;100')(), 'n.xlsx'), /defined names over 1,638,400 cells/);
    await checkXlsxBudget(await withName("'My S'!$A$1:$B$10,S!$1:$1,S!$A:$C")(), 'print-titles.xlsx');
  });

  it('reports damaged zips and unreadable merged ranges as corrupt', async () => {
    await assertRejected(checkXlsxBudget(Buffer.from('PK\x03\x04garbage', 'latin1'), 'a.xlsx'), /^a\.xlsx is a corrupt \.xlsx workbook and could not be parsed \(its zip directory is missing/);
    const odd = await workbook(withMerge('A:XFD'));
    await assertRejected(checkXlsxBudget(odd, 'm.xlsx'), /corrupt .* merges cells over an unreadable range "A:XFD"/);
  });
});

describe('sheet limits: CSV and loaded sheets', () => {
  it('measures a CSV as rows × widest row, not counting quoted commas and line breaks', () => {
    assert.deepEqual(csvCells('a,b,c\n1,2,3\n'), { rows: 2, width: 3 });
    assert.deepEqual(csvCells('"x,y\nz",1\n2'), { rows: 2, width: 2 });
    assert.deepEqual(csvCells(''), { rows: 0, width: 0 });
    checkCsvBudget('a,b\n'.repeat(1000), 'ok.csv');
    assertRefused(() => checkCsvBudget(`${','.repeat(20_000)}\n${'1\n'.repeat(100)}`, 'wide.csv'), /^wide\.csv: the workbook declares 2,020,101 cells \(101 rows, the widest with 20,001 fields\)/);
  });

  it('refuses a loaded sheet whose used range is over the limit (the bound of every row × column loop)', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Far');
    ws.getCell('A1').value = 1;
    ws.getCell('XFD100').value = 2;
    assertRefused(() => checkUsedArea(ws, { top: 1, left: 1, bottom: 100, right: 16_384 }, 'f.xlsx'), /f\.xlsx: the workbook declares 1,638,400 cells \(sheet "Far" uses A1:XFD100\)/);
    await assert.rejects(loadWorkbook(Buffer.from(await wb.xlsx.writeBuffer()), 'xlsx', 'f.xlsx'), /declares 1,638,400 cells/);
  });
});

describe('the sheet worker', function () {
  this.timeout(60_000);
  const hosts: SheetWorkerHost[] = [];
  const host = (opts: Partial<ConstructorParameters<typeof SheetWorkerHost>[0]> = {}) => {
    const h = new SheetWorkerHost({ heapMb: 256, taskMs: 30_000, idleMs: 5_000, ...opts });
    hosts.push(h);
    return h;
  };
  after(() => hosts.forEach((h) => h.close()));

  const read = async (h: SheetWorkerHost, data: Uint8Array, signal?: AbortSignal) =>
    h.run({ kind: 'read', name: 'w.xlsx', format: 'xlsx', data, maxRows: 10 }, { signal });

  it('reads a workbook in the worker, refuses a bomb with a clear error, and answers the next task', async () => {
    const h = host();
    const ok = await workbook();
    assert.deepEqual((await read(h, ok)).view?.rows, [['name', 'qty'], ['a', 1]]);
    await assert.rejects(read(h, await workbook(withMerge('A1:XFD1024'))), (err: unknown) => err instanceof SheetError && /declares 16,777,\d{3} cells/.test(err.message));
    assert.equal((await read(h, ok)).dimensions, 'A1:B2');
  });

  it('turns running out of heap into a SheetError and starts a fresh worker for the next task', async () => {
    const h = host({ heapMb: 64 });
    const rows = Array.from({ length: 150_000 }, (_, i) => [`row ${i}`, i, i * 2, `${i}`.repeat(5)]);
    await assert.rejects(
      h.run({ kind: 'create', name: 'big.xlsx', format: 'xlsx', sheets: [{ name: 'S', rows }] }),
      (err: unknown) => err instanceof SheetError && /^big\.xlsx needs more than the 64 MB of memory the sheet tools allow/.test(err.message),
    );
    assert.equal((await read(h, await workbook())).dimensions, 'A1:B2');
  });

  it('stops a task over its time limit, and a cancelled one, then keeps serving', async () => {
    const h = host({ taskMs: 200 });
    const rows = Array.from({ length: 60_000 }, (_, i) => [i, i, i, i]);
    await assert.rejects(
      h.run({ kind: 'create', name: 'slow.xlsx', format: 'xlsx', sheets: [{ name: 'S', rows }] }),
      (err: unknown) => err instanceof SheetError && /^slow\.xlsx took longer than 0.2 s to process/.test(err.message),
    );
    const h2 = host();
    const ac = new AbortController();
    const running = h2.run({ kind: 'create', name: 'c.xlsx', format: 'xlsx', sheets: [{ name: 'S', rows }] }, { signal: ac.signal });
    const queued = read(h2, await workbook(), ac.signal);
    const both = Promise.all([assert.rejects(running, /cancelled by the test/), assert.rejects(queued, /cancelled by the test/)]);
    setTimeout(() => ac.abort(new Error('cancelled by the test')), 50);
    await both;
    assert.equal((await read(h2, await workbook())).dimensions, 'A1:B2');
  });
});
