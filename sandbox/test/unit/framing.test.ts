// The bounded line splitter both ends of the daemon stream use: lines across chunks, and a line over the
// limit reported once, never buffered whole, with nothing delivered after it.
import assert from 'node:assert/strict';
import { LineSplitter } from '../../daemon/framing.ts';

function splitter(limit: number) {
  const lines: string[] = [];
  const overflows: [number, number][] = [];
  const s = new LineSplitter((l) => lines.push(l.toString()), () => limit, (b, l) => overflows.push([b, l]));
  return { s, lines, overflows };
}

describe('LineSplitter', () => {
  it('splits lines that arrive across chunks, several per chunk, and skips empty lines', () => {
    const { s, lines } = splitter(100);
    for (const c of ['{"a":', '1}\n{"b"', ':2}\n\n{"c":3}\n{"d"']) s.push(Buffer.from(c));
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
    s.push(Buffer.from(':4}\n'));
    assert.deepEqual(lines.at(-1), '{"d":4}');
  });

  it('a line over the limit is reported once (even without its newline) and stops all delivery', () => {
    const { s, lines, overflows } = splitter(10);
    s.push(Buffer.from('ok\n0123456789'));
    assert.deepEqual(overflows, []);
    s.push(Buffer.from('X'));
    assert.deepEqual(overflows, [[11, 10]]);
    s.push(Buffer.from('\nlater\n'));
    assert.deepEqual(lines, ['ok']);
    assert.equal(overflows.length, 1);
  });

  it('asks for the limit each time, so it can grow while a large answer is expected', () => {
    let limit = 4;
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l.toString()), () => limit, () => assert.fail('no overflow'));
    limit = 1000;
    s.push(Buffer.from('x'.repeat(900) + '\n'));
    assert.equal(lines[0]!.length, 900);
  });
});
