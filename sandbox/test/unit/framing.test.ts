// The bounded line splitter both ends of the daemon stream use: lines across chunks, and a line over the
// limit reported once, never buffered whole, with nothing delivered after it; binary frames (the daemon's
// reader only): self-delimiting, limits checked before buffering, a payload delivered only when complete.
import assert from 'node:assert/strict';
import { binaryFrame, LineSplitter, MAX_FRAME_HEADER_BYTES } from '../../daemon/framing.ts';

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

describe('LineSplitter with binary frames (host → daemon)', () => {
  function reader(maxPayloadBytes = 1024) {
    const lines: string[] = [];
    const frames: [string, string][] = [];
    const overflows: [number, number][] = [];
    const s = new LineSplitter((l) => lines.push(l.toString()), () => 100, (b, l) => overflows.push([b, l]), {
      maxPayloadBytes,
      onFrame: (h, p) => frames.push([h.toString(), p.toString()]),
    });
    return { s, lines, frames, overflows };
  }
  const frame = (header: string, payload: string) => Buffer.concat(binaryFrame(header, Buffer.from(payload)));

  it('delivers a frame between lines, whatever the chunking (byte by byte too), payload newlines and all', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":1}\n'), frame('{"id":2}', 'line\n{"id":9,"op":"exec"}\n\0'), Buffer.from('{"b":3}\n'), frame('{"id":4}', '')]);
    for (const size of [1, 3, 7, bytes.length]) {
      const { s, lines, frames, overflows } = reader();
      for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
      assert.deepEqual(lines, ['{"a":1}', '{"b":3}'], `chunks of ${size}`);
      assert.deepEqual(frames, [['{"id":2}', 'line\n{"id":9,"op":"exec"}\n\0'], ['{"id":4}', '']]);
      assert.deepEqual(overflows, []);
    }
  });

  it('a frame claiming more payload than allowed is refused before anything is buffered, and stops all delivery', () => {
    const { s, lines, frames, overflows } = reader(1024);
    const forged = Buffer.alloc(9);
    forged.writeUInt32BE(2, 1);
    forged.writeUInt32BE(0xffffffff, 5);
    s.push(Buffer.concat([forged, Buffer.from('{}x\n{"later":1}\n')]));
    assert.deepEqual(overflows, [[0xffffffff, 1024]]);
    assert.deepEqual(frames, []);
    assert.deepEqual(lines, []);
  });

  it('a frame header over its own limit is refused too', () => {
    const { s, overflows } = reader();
    const forged = Buffer.alloc(9);
    forged.writeUInt32BE(MAX_FRAME_HEADER_BYTES + 1, 1);
    s.push(forged);
    assert.deepEqual(overflows, [[MAX_FRAME_HEADER_BYTES + 1, MAX_FRAME_HEADER_BYTES]]);
  });

  it('a frame cut short delivers nothing (the payload is handed over only when complete)', () => {
    const { s, frames, lines } = reader();
    const whole = frame('{"id":1}', 'x'.repeat(500));
    s.push(whole.subarray(0, whole.length - 1));
    assert.deepEqual(frames, []);
    assert.deepEqual(lines, []);
    s.push(whole.subarray(whole.length - 1));
    assert.equal(frames.length, 1);
  });

  it('a reader without binary frames (the host reading the daemon) takes the bytes as one bounded line, never a frame', () => {
    const { s, lines } = splitter(1000);
    s.push(Buffer.concat([frame('{"id":1,"ok":true}', 'x'), Buffer.from('\n{"id":2}\n')]));
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.charCodeAt(0), 0);
    assert.equal(lines[1], '{"id":2}');
  });
});
