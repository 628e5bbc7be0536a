// The sheets core (src/sheets/): references, values, formula rewriting, the update operations, the grid view and
// grouping, on in-memory exceljs workbooks (no sandbox, no worker). Bad input throws SheetError, never ToolError.
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { analyzeSheet } from '../../src/sheets/analyze.ts';
import { SheetError } from '../../src/sheets/errors.ts';
import { renameInFormula, shiftFormula } from '../../src/sheets/formulas.ts';
import type { Operation } from '../../src/sheets/inputs.ts';
import { applyOperations } from '../../src/sheets/operations.ts';
import { parseCell, parseColumn, parseRange } from '../../src/sheets/refs.ts';
import { fromCsv, toCellValue } from '../../src/sheets/values.ts';
import { viewGrid } from '../../src/sheets/view.ts';
import { WorkbookValues } from '../../src/sheets/evaluate.ts';
import { addSheet, findSheet, loadWorkbook, saveWorkbook } from '../../src/sheets/workbook.ts';

const values = (ws: ExcelJS.Worksheet) => new WorkbookValues(ws.workbook);

function assertSheetError(fn: () => unknown, fragment: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SheetError, `expected a SheetError, got ${String(err)}`);
    assert.match(err.message, fragment);
    return true;
  });
}

async function assertRejectsSheetError(p: Promise<unknown>, fragment: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SheetError, `expected a SheetError, got ${String(err)}`);
    assert.match(err.message, fragment);
    return true;
  });
}

function salesBook(): ExcelJS.Workbook {
  const wb = new ExcelJS.Workbook();
  addSheet(wb, {
    name: 'Sales',
    columns: ['Region', 'Qty', 'Price', 'Total'],
    rows: [
      ['East', 2, 3, '=B2*C2'],
      ['West', 4, 5, '=B3*C3'],
      { Region: 'east', Qty: 1, Price: 10, Total: '=B4*C4' },
      ['North', null, 7, '=B5*C5'],
    ],
  }, 'xlsx');
  addSheet(wb, { name: 'Summary', rows: [['=SUM(Sales!D2:D5)', "='Sales'!B2"]] }, 'xlsx');
  return wb;
}

describe('sheet references', () => {
  it('parses cells and ranges, and says the expected form for bad ones', () => {
    assert.deepEqual(parseCell('AB12'), { row: 12, col: 28 });
    assert.deepEqual(parseCell('$c$3'), { row: 3, col: 3 });
    assert.deepEqual(parseRange('D20:A1'), { top: 1, left: 1, bottom: 20, right: 4 });
    assert.deepEqual(parseRange('B3'), { top: 3, left: 2, bottom: 3, right: 2 });
    for (const bad of ['ZZZ0', 'A0', 'XFE1', '1A', 'A1048577']) assertSheetError(() => parseCell(bad), /expected a column letter and a row number from 1, like "A1"/);
    assertSheetError(() => parseRange('A1:ZZZ0'), /bad range "A1:ZZZ0": expected two cells joined by ":", like "A1:D20"/);
    assert.equal(parseColumn('c'), 3);
    assert.equal(parseColumn(28), 28);
    assertSheetError(() => parseColumn('A1'), /bad column "A1": expected a column letter like "C" or a 1-based number/);
  });
});

describe('sheet cell values', () => {
  it('turns "=" strings into formulas and keeps other values typed', () => {
    assert.deepEqual(toCellValue('=A1+B1'), { formula: 'A1+B1' });
    assert.equal(toCellValue("'=not a formula"), '=not a formula');
    assert.equal(toCellValue('='), '=');
    assert.equal(toCellValue(3.5), 3.5);
    assert.equal(toCellValue(false), false);
    assert.equal(toCellValue(null), null);
  });

  it('types CSV fields without losing leading zeros, long ids or blanks', () => {
    assert.equal(fromCsv('12.5'), 12.5);
    assert.equal(fromCsv('-3e2'), -300);
    assert.equal(fromCsv('007'), '007');
    assert.equal(fromCsv('1234567890123456789'), '1234567890123456789');
    assert.equal(fromCsv(' '), ' ');
    assert.equal(fromCsv('TRUE'), true);
    assert.equal(fromCsv(''), null);
    assert.deepEqual(fromCsv('=SUM(A1:A2)'), { formula: 'SUM(A1:A2)' });
  });
});

describe('formula references', () => {
  const rows = (at: number, delta: number) => ({ sheet: 'S', axis: 'row' as const, at, delta });
  const cols = (at: number, delta: number) => ({ sheet: 'S', axis: 'col' as const, at, delta });

  it('moves references below inserted rows and grows ranges that span them', () => {
    assert.equal(shiftFormula('SUM(A2:A5)+$B$4*C1', 'S', rows(3, 2)), 'SUM(A2:A7)+$B$6*C1');
    assert.equal(shiftFormula('SUM(A2:A5)', 'S', rows(2, 1)), 'SUM(A3:A6)');
    assert.equal(shiftFormula('Other!A5+A5', 'S', rows(1, 1)), 'Other!A5+A6');
    assert.equal(shiftFormula("'S'!A5", 'Other', rows(1, 1)), "'S'!A6");
  });

  it('leaves string literals, function names and whole-column ranges on the row axis alone', () => {
    assert.equal(shiftFormula('IF(A3="A3",LOG10(A3),SUM(B:B))', 'S', rows(1, 1)), 'IF(A4="A3",LOG10(A4),SUM(B:B))');
  });

  it('shrinks ranges over deleted rows and turns deleted cells into #REF!', () => {
    assert.equal(shiftFormula('SUM(A2:A10)', 'S', rows(4, -3)), 'SUM(A2:A7)');
    assert.equal(shiftFormula('SUM(A2:A10)', 'S', rows(1, -3)), 'SUM(A1:A7)');
    assert.equal(shiftFormula('A5+A9', 'S', rows(4, -3)), '#REF!+A6');
    assert.equal(shiftFormula('SUM(A4:A6)', 'S', rows(4, -3)), 'SUM(#REF!)');
  });

  it('moves columns, including whole-column ranges', () => {
    assert.equal(shiftFormula('SUM(B:B)+C2*$D$1', 'S', cols(2, 1)), 'SUM(C:C)+D2*$E$1');
    assert.equal(shiftFormula('A1+C1', 'S', cols(2, -1)), 'A1+B1');
    assert.equal(shiftFormula('SUM(Z1:AB1)', 'S', cols(26, 1)), 'SUM(AA1:AC1)');
  });

  it('renames sheet prefixes, quoting names that need it', () => {
    assert.equal(renameInFormula("Data!A1+'Data'!B2+A1", 'Data', 'My Data'), "'My Data'!A1+'My Data'!B2+A1");
    assert.equal(renameInFormula("'It''s'!A1", "It's", 'Q1'), "'Q1'!A1");
  });
});

describe('sheet update operations', () => {
  it('applies operations in order and keeps formulas pointing at the same cells', () => {
    const wb = salesBook();
    const ws = findSheet(wb, 'sales', 'book.xlsx');
    const ops: Operation[] = [
      { op: 'insert_rows', at: 3, rows: [['South', 1, 1, '=B3*C3']] },
      { op: 'set_cell', cell: 'b2', value: 20 },
      { op: 'append_rows', rows: [{ Region: 'West', Qty: 9, Price: 1, Total: '=B7*C7' }] },
      { op: 'rename_sheet', from: 'Sales', to: 'Sales 2024' },
      { op: 'delete_columns', at: 'A' },
      { op: 'add_sheet', name: 'Notes', columns: ['Note'], rows: [['checked']] },
    ];
    assert.deepEqual(applyOperations(wb, ws, ops, 'xlsx', 'book.xlsx'), [
      'inserted 1 row(s) at row 3', 'set B2', 'appended 1 row(s) at row 7', 'renamed sheet "Sales" to "Sales 2024"', 'deleted 1 column(s) at A', 'added sheet "Notes"',
    ]);
    assert.equal(ws.getCell('C3').formula, 'A3*B3');
    assert.equal(ws.getCell('C4').formula, 'A4*B4');
    assert.equal(ws.getCell('C7').formula, 'A7*B7');
    assert.equal(ws.getCell('A2').value, 20);
    assert.equal(findSheet(wb, 'Summary', 'book.xlsx').getCell('A1').formula, "SUM('Sales 2024'!C2:C6)");
    assert.deepEqual(wb.worksheets.map((s) => s.name), ['Sales 2024', 'Summary', 'Notes']);
  });

  it('names the failing operation and what to send instead', () => {
    const wb = salesBook();
    const ws = findSheet(wb, undefined, 'book.xlsx');
    assertSheetError(() => applyOperations(wb, ws, [{ op: 'set_cell', cell: 'A2', value: 1 }, { op: 'set_cell', cell: 'ZZZ0', value: 2 }], 'xlsx', 'book.xlsx'), /^operations\[1\] \(set_cell\) failed: bad cell "ZZZ0": expected .*Nothing was written; book.xlsx is unchanged\.$/);
    assertSheetError(() => applyOperations(wb, ws, [{ op: 'rename_sheet', from: 'Nope', to: 'X' }], 'xlsx', 'book.xlsx'), /operations\[0\].*no sheet "Nope" in book.xlsx; its sheets are: "Sales", "Summary"/);
    assertSheetError(() => applyOperations(wb, ws, [{ op: 'add_sheet', name: 'summary' }], 'xlsx', 'book.xlsx'), /a sheet named "summary" already exists/);
    assertSheetError(() => applyOperations(wb, ws, [{ op: 'append_rows', rows: [{ Regoin: 'x' }] }], 'xlsx', 'book.xlsx'), /unknown column "Regoin"; the columns .* "Region", "Qty", "Price", "Total"/);
    assertSheetError(() => applyOperations(wb, ws, [{ op: 'add_sheet', name: 'a/b' }], 'csv', 'a.csv'), /a \.csv file holds one sheet/);
  });

  it('unshares shared formulas before moving rows, so every copy keeps its own references', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('S');
    ws.addRow(['a', 'b', 'sum']);
    ws.addRow([1, 2, { formula: 'A2+B2', result: 3, shareType: 'shared', ref: 'C2:C3' }]);
    ws.addRow([3, 4, { sharedFormula: 'C2', result: 7 }]);
    const loaded = await loadWorkbook(await saveWorkbook(wb, 'xlsx'), 'xlsx', 'shared.xlsx');
    const sheet = findSheet(loaded, 'S', 'shared.xlsx');
    applyOperations(loaded, sheet, [{ op: 'insert_rows', at: 2, count: 1 }], 'xlsx', 'shared.xlsx');
    assert.equal(sheet.getCell('C3').formula, 'A3+B3');
    assert.equal(sheet.getCell('C4').formula, 'A4+B4');
    // cached results are dropped: they could be stale after an edit
    assert.equal(sheet.getCell('C4').result, undefined);
  });
});

describe('sheet bytes', () => {
  it('says why a file is not a workbook', async () => {
    await assertRejectsSheetError(loadWorkbook(Buffer.from('name,qty\n'), 'xlsx', 'a.xlsx'), /a\.xlsx is not a readable \.xlsx workbook: it is not a zip archive/);
    await assertRejectsSheetError(loadWorkbook(Buffer.alloc(0), 'xlsx', 'a.xlsx'), /it is empty/);
    await assertRejectsSheetError(loadWorkbook(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2]), 'xlsx', 'a.xlsx'), /old binary \.xls/);
    await assertRejectsSheetError(loadWorkbook(Buffer.from('PK\x03\x04garbage', 'latin1'), 'xlsx', 'a.xlsx'), /a\.xlsx is a corrupt \.xlsx workbook/);
    await assertRejectsSheetError(loadWorkbook(Buffer.from([0x61, 0, 0x62]), 'csv', 'a.csv'), /not a text CSV/);
  });

  it('refuses a zip whose directory misstates the sizes of its entries', async () => {
    const bytes = await saveWorkbook(salesBook(), 'xlsx');
    await loadWorkbook(bytes, 'xlsx', 'ok.xlsx');
    const claims = Buffer.from(bytes);
    for (let p = claims.indexOf('PK\x01\x02', 0, 'latin1'); p >= 0; p = claims.indexOf('PK\x01\x02', p + 4, 'latin1')) claims.writeUInt32LE(100 * 1024 * 1024, p + 24);
    await assertRejectsSheetError(loadWorkbook(claims, 'xlsx', 'claims.xlsx'), /claims\.xlsx is a corrupt \.xlsx workbook/);
  });

  it('round-trips CSV with quoting, types and formulas as "=" text', async () => {
    const wb = new ExcelJS.Workbook();
    addSheet(wb, { name: 'ignored', columns: ['name', 'note', 'n'], rows: [['a, b', 'say "hi"', 1], ['007', '=C2*2', true]] }, 'csv');
    const bytes = await saveWorkbook(wb, 'csv');
    assert.equal(bytes.toString(), 'name,note,n\n"a, b","say ""hi""",1\n007,=C2*2,true');
    const back = (await loadWorkbook(bytes, 'csv', 'x.csv')).worksheets[0];
    assert.equal(back.getCell('A3').value, '007');
    assert.equal(back.getCell('B3').formula, 'C2*2');
    assert.equal(back.getCell('C3').value, true);
  });
});

describe('the grid view', () => {
  it('shows row numbers, column letters, formulas with cached results, and how many rows are left', () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('S');
    ws.addRow(['a', 'b', 'sum']);
    for (let i = 0; i < 5; i++) ws.addRow([i, 1, { formula: `A${i + 2}+B${i + 2}`, result: i + 1 }]);
    const v = viewGrid(ws, undefined, 3, values(ws))!;
    assert.equal(v.table, ['|  | A | B | C |', '| --- | --- | --- | --- |', '| 1 | a | b | sum |', '| 2 | 0 | 1 | =A2+B2 → 1 |', '| 3 | 1 | 1 | =A3+B3 → 2 |'].join('\n'));
    assert.equal(v.moreRows, 3);
    assert.deepEqual(v.formulas, [{ cell: 'C2', formula: '=A2+B2', value: 1 }, { cell: 'C3', formula: '=A3+B3', value: 2 }]);
    assert.deepEqual(v.rows[1], [0, 1, 1]);
    assert.equal(viewGrid(ws, 'B5:Z100', 100, values(ws))!.table.split('\n').at(-1), '| 6 | 1 | =A6+B6 → 5 |');
  });

  it('stops before the result would grow past what clients accept, and says how many rows are left', () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('S');
    for (let i = 0; i < 200; i++) ws.addRow(['x'.repeat(5000)]);
    const v = viewGrid(ws, undefined, 1000, values(ws))!;
    assert.ok(v.rows.length < 100, `${v.rows.length} rows`);
    assert.equal(v.moreRows, 200 - v.rows.length);
  });

  it('falls back to CSV when a markdown table would be too wide', () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('S');
    ws.addRow(Array.from({ length: 40 }, (_, i) => `column number ${i}`));
    const v = viewGrid(ws, undefined, 10, values(ws))!;
    assert.equal(v.tableFormat, 'csv');
    assert.match(v.table, /^,A,B,C/);
  });
});

describe('analyzeSheet', () => {
  it('filters, groups and aggregates by header names', () => {
    const ws = findSheet(salesBook(), 'Sales', 'b.xlsx');
    const r = analyzeSheet(ws, { group_by: 'region', aggregations: [{ op: 'count' }, { column: 'Qty', op: 'sum' }, { column: 'Price', op: 'avg' }, { column: 'Qty', op: 'max' }] }, values(ws));
    assert.deepEqual(r.columns, ['Region', 'count', 'sum(Qty)', 'avg(Price)', 'max(Qty)']);
    // groups are exact values ("east" ≠ "East"), sorted
    assert.deepEqual(r.rows, [['east', 1, 1, 10, 1], ['East', 1, 2, 3, 2], ['North', 1, 0, 7, null], ['West', 1, 4, 5, 4]]);
    const f = analyzeSheet(ws, { aggregations: [{ column: 'Price', op: 'sum' }], filter: [{ column: 'Region', op: 'eq', value: 'EAST' }, { column: 'Price', op: 'gte', value: 3 }] }, values(ws));
    assert.deepEqual(f.rows, [[13]]);
    assert.equal(f.matched, 2);
    assert.equal(f.total, 4);
  });

  it('lists the columns when one is unknown', () => {
    const ws = findSheet(salesBook(), 'Sales', 'b.xlsx');
    assertSheetError(() => analyzeSheet(ws, { group_by: 'Country' }, values(ws)), /unknown column "Country"; the columns \(header row 1\) are: "Region", "Qty", "Price", "Total"/);
    assertSheetError(() => analyzeSheet(ws, { aggregations: [{ op: 'sum' }] }, values(ws)), /sum needs a column/);
  });
});

describe('formula values', () => {
  /** Formulas written without cached results, as sheet_create and sheet_update leave them. */
  function booksWithFormulas(): ExcelJS.Workbook {
    const wb = new ExcelJS.Workbook();
    addSheet(wb, { name: 'Prices', columns: ['Item', 'Price'], rows: [['apple', 2], ['pear', 3.5], ['plum', 1]] }, 'xlsx');
    addSheet(wb, {
      name: 'Orders',
      columns: ['Item', 'Qty', 'Price', 'Total'],
      rows: [
        ['pear', 2, '=VLOOKUP(A2,Prices!A2:B4,2,FALSE)', '=B2*C2'],
        ['apple', 5, '=VLOOKUP(A3,Prices!A2:B4,2,FALSE)', '=B3*C3'],
        ['pear', 1, '=VLOOKUP(A4,Prices!A2:B4,2,FALSE)', '=B4*C4'],
        ['sum', '=SUM(B2:B4)', '=SUMIF(A2:A4,"pear",B2:B4)', "='Prices'!B2+Prices!B3"],
      ],
    }, 'xlsx');
    return wb;
  }

  it('computes SUM, SUMIF, VLOOKUP and cross-sheet references when the file has no cached results', () => {
    const wb = booksWithFormulas();
    const ws = findSheet(wb, 'Orders', 'o.xlsx');
    const v = values(ws);
    assert.equal(v.value(ws, ws.getCell('C2')), 3.5);
    assert.equal(v.value(ws, ws.getCell('D3')), 10);
    assert.equal(v.value(ws, ws.getCell('B5')), 8);
    assert.equal(v.value(ws, ws.getCell('C5')), 3);
    assert.equal(v.value(ws, ws.getCell('D5')), 5.5);
    const grid = viewGrid(ws, 'A2:D2', 10, v)!;
    assert.match(grid.table, /\| 2 \| pear \| 2 \| =VLOOKUP\(A2,Prices!A2:B4,2,FALSE\) → 3\.5 \| =B2\*C2 → 7 \|/);
    assert.deepEqual(grid.formulas[1], { cell: 'D2', formula: '=B2*C2', value: 7, computed: true });
  });

  it('computes formulas over formulas (a SUM of computed cells, a running total read from the top)', () => {
    const wb = new ExcelJS.Workbook();
    addSheet(wb, { name: 'Run', columns: ['n', 'total'], rows: Array.from({ length: 150 }, (_, i) => [i + 1, i === 0 ? '=A2' : `=B${i + 1}+A${i + 2}`]) }, 'xlsx');
    addSheet(wb, { name: 'Sum', rows: [['=SUM(Run!B2:B4)']] }, 'xlsx');
    const run = findSheet(wb, 'Run', 'r.xlsx');
    const sum = findSheet(wb, 'Sum', 'r.xlsx');
    assert.equal(values(sum).value(sum, sum.getCell('A1')), 1 + 3 + 6);
    const v = values(run);
    const grid = viewGrid(run, undefined, 200, v)!;
    assert.deepEqual(grid.rows.at(-1), [150, 11_325]);
    // Asked first for the bottom of a long chain with nothing computed yet: said so, not guessed.
    const fresh = values(run);
    assert.match(fresh.outcome(run, run.getCell('B151')).problem!, /chain of more than 32 formulas/);
  });

  it('prefers the result cached in the file, and lets sheet_analyze sum a formula column', () => {
    const wb = booksWithFormulas();
    const ws = findSheet(wb, 'Orders', 'o.xlsx');
    ws.getCell('D2').value = { formula: 'B2*C2', result: 99 } as ExcelJS.CellFormulaValue;
    assert.deepEqual(values(ws).outcome(ws, ws.getCell('D2')), { value: 99, computed: false });
    const r = analyzeSheet(ws, { group_by: 'Item', aggregations: [{ column: 'Total', op: 'sum' }], filter: [{ column: 'Item', op: 'ne', value: 'sum' }] }, values(ws));
    assert.deepEqual(r.rows, [['apple', 10], ['pear', 102.5]]);
    assert.deepEqual(r.uncomputed, []);
  });

  it('reports what cannot be computed with the reason, never as 0: unknown functions, cycles, missing sheets', () => {
    const wb = new ExcelJS.Workbook();
    addSheet(wb, { name: 'S', columns: ['k', 'v'], rows: [['a', 1], ['b', '=NOSUCHFN(1)'], ['c', '=B5+1'], ['d', '=B4+1'], ['e', '=Gone!A1']] }, 'xlsx');
    const ws = findSheet(wb, 'S', 's.xlsx');
    const v = values(ws);
    assert.deepEqual(v.outcome(ws, ws.getCell('B3')), { value: null, computed: false, problem: 'the function NOSUCHFN is not supported here' });
    assert.match(v.outcome(ws, ws.getCell('B4')).problem!, /circular reference through S!B4/);
    assert.match(v.outcome(ws, ws.getCell('B6')).problem!, /a sheet "Gone" that does not exist/);
    const grid = viewGrid(ws, 'B3:B3', 10, v)!;
    assert.match(grid.table, /=NOSUCHFN\(1\) → \(not computed: the function NOSUCHFN is not supported here\)/);
    assert.equal(grid.formulas[0].not_computed, 'the function NOSUCHFN is not supported here');
    const r = analyzeSheet(ws, { aggregations: [{ column: 'v', op: 'sum' }, { op: 'count' }] }, v);
    assert.deepEqual(r.rows, [[null, 5]]);
    assert.deepEqual(r.uncomputed.map((u) => [u.column, u.cells]), [['v', 4]]);
    assert.match(r.uncomputed[0].example, /^B3: the function NOSUCHFN is not supported here$/);
    // A string over Excel's 32,767 characters is #VALUE! as in Excel (the library's REPT would loop a billion times).
    ws.getCell('C2').value = { formula: 'REPT("x",1000000000)' } as ExcelJS.CellFormulaValue;
    ws.getCell('C3').value = { formula: 'REPT("ab",3)' } as ExcelJS.CellFormulaValue;
    assert.equal(values(ws).value(ws, ws.getCell('C2')), '#VALUE!');
    assert.equal(values(ws).value(ws, ws.getCell('C3')), 'ababab');
    ws.getCell('C4').value = { formula: 'SUM(1,' } as ExcelJS.CellFormulaValue;
    assert.match(values(ws).outcome(ws, ws.getCell('C4')).problem!, /^the formula could not be parsed here \(.+\)$/);
    // Formulas that together read more cells than the budget.
    const big = new ExcelJS.Workbook();
    const data = big.addWorksheet('D');
    for (let r = 1; r <= 1000; r++) data.getCell(r, 1).value = 1;
    for (let r = 1; r <= 60; r++) data.getCell(r, 2).value = { formula: 'SUM($A$1:$A$1000)' } as ExcelJS.CellFormulaValue;
    const bv = new WorkbookValues(big, 50_000);
    const outcomes = Array.from({ length: 60 }, (_, i) => bv.outcome(data, data.getCell(i + 1, 2)));
    assert.equal(outcomes[0].value, 1000);
    assert.equal(outcomes[49].value, 1000);
    assert.match(outcomes[59].problem!, /the formulas read more than 50,000 cells/);
    // An Excel error value is a value: shown as Excel shows it.
    ws.getCell('B2').value = { formula: '1/0' } as ExcelJS.CellFormulaValue;
    assert.equal(values(ws).value(ws, ws.getCell('B2')), '#DIV/0!');
  });
});

