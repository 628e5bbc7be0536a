// The relay's wire protocol: frames survive any split of the byte stream, a hostile or corrupt stream is refused
// instead of buffered without bound, and each channel's credit window stops its sender until the receiver has
// consumed the data, so one busy channel cannot fill the shared stream.
import assert from 'node:assert/strict';
import { CREDIT_IDLE_MS, CreditReturn, encodeData, encodeFrame, FrameDecoder, FrameType, MAX_PAYLOAD, ProtocolError, SendWindow, WINDOW_BYTES, windowPayload } from '../../egress/protocol.ts';

describe('egress relay protocol', () => {
  it('decodes frames however the stream is split, byte by byte included', () => {
    const frames = [
      encodeFrame(FrameType.open, 1, Buffer.from('{"host":"pypi.org","port":443}')),
      ...encodeData(1, Buffer.alloc(150_000, 7)),
      encodeFrame(FrameType.window, 2, windowPayload(65536)),
      encodeFrame(FrameType.end, 0xffffffff),
    ];
    const stream = Buffer.concat(frames); // encodeData gives header and payload as separate buffers
    const frameCount = 1 + Math.ceil(150_000 / MAX_PAYLOAD) + 2;
    for (const step of [1, 7, 9, 4096, stream.length]) {
      const decoder = new FrameDecoder();
      const got = [];
      for (let at = 0; at < stream.length; at += step) got.push(...decoder.push(stream.subarray(at, at + step)));
      assert.equal(got.length, frameCount, `step ${step}`);
      assert.equal(got[0]!.type, FrameType.open);
      assert.equal(got[0]!.payload.toString(), '{"host":"pypi.org","port":443}');
      assert.equal(got.slice(1, -2).reduce((n, f) => n + f.payload.length, 0), 150_000);
      assert.ok(got.slice(1, -2).every((f) => f.type === FrameType.data && f.channel === 1 && f.payload.length <= MAX_PAYLOAD));
      assert.equal(got.at(-2)!.payload.readUInt32BE(0), 65536);
      assert.equal(got.at(-1)!.channel, 0xffffffff);
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it('with streamData, hands out a split data frame as parts (views, never joined) and still joins control frames', () => {
    const data = Buffer.alloc(150_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const open = encodeFrame(FrameType.open, 3, Buffer.from('{"host":"a.example","port":443}'));
    const stream = Buffer.concat([open, ...encodeData(3, data), encodeFrame(FrameType.window, 3, windowPayload(7)), encodeFrame(FrameType.close, 3)]);
    for (const step of [1, 5, 9, 4096, 32 * 1024, stream.length]) {
      const decoder = new FrameDecoder({ streamData: true });
      const got = [];
      for (let at = 0; at < stream.length; at += step) {
        const chunk = stream.subarray(at, at + step);
        const frames = decoder.push(chunk);
        for (const f of frames) if (f.type === FrameType.data) assert.equal(f.payload.buffer, chunk.buffer, 'a data part is a view of the chunk it came in');
        assert.ok(decoder.pendingBytes <= 64, `nothing but a header or a small control frame is held (step ${step})`);
        got.push(...frames);
      }
      assert.equal(got[0]!.payload.toString(), '{"host":"a.example","port":443}', `step ${step}`);
      const parts = got.filter((f) => f.type === FrameType.data);
      assert.ok(parts.every((f) => f.channel === 3 && f.payload.length > 0));
      assert.ok(Buffer.concat(parts.map((f) => f.payload)).equals(data), `step ${step}`);
      assert.equal(got.at(-2)!.payload.readUInt32BE(0), 7);
      assert.deepEqual([got.at(-1)!.type, got.at(-1)!.channel], [FrameType.close, 3]);
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it('refuses a frame that claims a payload larger than MAX_PAYLOAD before buffering it', () => {
    const header = Buffer.alloc(9);
    header.writeUInt8(FrameType.data, 0);
    header.writeUInt32BE(1, 1);
    header.writeUInt32BE(0xffffffff, 5);
    assert.throws(() => new FrameDecoder().push(header), ProtocolError);
    assert.throws(() => encodeFrame(FrameType.data, 1, Buffer.alloc(MAX_PAYLOAD + 1)), /exceeds/);
  });

  it('refuses an unknown frame type', () => {
    const header = Buffer.alloc(9);
    header.writeUInt8(99, 0);
    assert.throws(() => new FrameDecoder().push(header), /unknown frame type 99/);
  });

  it('a send window blocks after WINDOW_BYTES in flight and unblocks on credit, reporting each change once', () => {
    const changes: boolean[] = [];
    const w = new SendWindow(WINDOW_BYTES, (blocked) => changes.push(blocked));
    for (let sent = 0; sent < WINDOW_BYTES; sent += 65536) w.spend(65536);
    assert.equal(w.blocked, true);
    w.spend(100); // a read that was already under way: bounded overshoot, no second notification
    assert.deepEqual(changes, [true]);
    w.grant(65536);
    assert.equal(w.blocked, false);
    assert.deepEqual(changes, [true, false]);
    assert.equal(w.available, 65436);
  });

  it('with credit windows, a slow channel never holds more than its window while a second channel keeps flowing', () => {
    // Two senders share one stream; the receiver consumes channel 2 at once and never consumes channel 1.
    const windows = new Map([1, 2].map((id) => [id, new SendWindow()]));
    const inFlight = new Map([[1, 0], [2, 0]]);
    let delivered2 = 0;
    for (let round = 0; round < 100; round++) {
      for (const id of [1, 2]) {
        const w = windows.get(id)!;
        if (w.blocked) continue;
        w.spend(65536);
        inFlight.set(id, inFlight.get(id)! + 65536);
      }
      windows.get(2)!.grant(inFlight.get(2)!); // channel 2's receiver consumed everything
      delivered2 += inFlight.get(2)!;
      inFlight.set(2, 0);
    }
    assert.equal(inFlight.get(1), WINDOW_BYTES);
    assert.equal(delivered2, 100 * 65536);
  });

  it('returns credit in quarter-window batches, not per chunk, and the rest once the channel is idle', async () => {
    const paid: number[] = [];
    const credit = new CreditReturn((n) => paid.push(n));
    for (let i = 0; i < 64; i++) credit.consumed(32 * 1024); // 2 MiB in 32 KiB writes
    assert.deepEqual(paid, [WINDOW_BYTES / 4, WINDOW_BYTES / 4]);
    credit.consumed(1000);
    assert.equal(paid.length, 2, 'a small remainder waits');
    for (let waited = 0; paid.length < 3 && waited < 5000; waited += CREDIT_IDLE_MS) await new Promise((r) => setTimeout(r, CREDIT_IDLE_MS));
    assert.deepEqual(paid.slice(2), [1000], 'the remainder is paid once the channel is idle');
  });

  it('batched credit never stalls a sender: a blocked window is always reopened once its data is consumed', () => {
    const window = new SendWindow();
    const credit = new CreditReturn((n) => window.grant(n));
    let sent = 0;
    let inFlight: number[] = [];
    for (let round = 0; round < 1000 && sent < 64 * WINDOW_BYTES; round++) {
      while (!window.blocked) {
        window.spend(65536);
        inFlight.push(65536);
        sent += 65536;
      }
      assert.equal(inFlight.reduce((a, b) => a + b, 0), WINDOW_BYTES, 'never more than the window in flight');
      for (const n of inFlight) credit.consumed(n); // the receiver drains everything; no timer needed
      inFlight = [];
    }
    assert.equal(sent, 64 * WINDOW_BYTES);
  });
});
