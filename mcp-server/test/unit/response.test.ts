// The response builder: what every tool result looks like once the caps are applied.
import assert from 'node:assert/strict';
import { ToolResponse, errorResult } from '../../src/response.ts';

type Content = ReturnType<ToolResponse['build']>['content'];

function texts(content: Content): string[] {
  return content.flatMap((b) => (b.type === 'text' ? [b.text] : []));
}

function resultBytes(content: Content): number {
  return content.reduce((n, b) => n + (b.type === 'text' ? Buffer.byteLength(b.text) : b.type === 'image' ? b.data.length : JSON.stringify(b).length), 0);
}

describe('ToolResponse', () => {
  it('returns added text as one text block', () => {
    const r = new ToolResponse(1000).text('hello').build();
    assert.deepEqual(r, { content: [{ type: 'text', text: 'hello' }] });
  });

  it('caps text at maxChars as head + tail with a marker', () => {
    const long = 'A'.repeat(3000) + 'Z'.repeat(3000);
    const [text] = texts(new ToolResponse(1000).text(long).build().content);
    assert.ok(text!.length <= 1000, `length ${text!.length}`);
    assert.ok(text!.startsWith('AAAA'));
    assert.ok(text!.endsWith('ZZZZ'));
    const shown = text!.match(/[AZ]/g)!.length;
    assert.match(text!, new RegExp(`\\[… ${(6000 - shown).toLocaleString('en-US')} characters omitted …\\]`));
  });

  it('names where the full text was saved', () => {
    const [text] = texts(new ToolResponse(1000).text('x'.repeat(5000), { savedTo: '/workspace/.suna/out.txt' }).build().content);
    assert.match(text!, /omitted; the full output is in \/workspace\/\.suna\/out\.txt/);
  });

  it('lets one text block use its own cap', () => {
    const [text] = texts(new ToolResponse(100_000).text('x'.repeat(5000), { max: 1000 }).build().content);
    assert.ok(text!.length <= 1000);
    assert.match(text!, /characters omitted/);
  });

  it('strips terminal escapes from text unless it is raw', () => {
    const r = new ToolResponse(1000).text('\u001b[31mred\u001b[0m\r\n').text('\u001b[31mraw\u001b[0m', { raw: true }).build();
    assert.deepEqual(texts(r.content), ['red\n', '\u001b[31mraw\u001b[0m']);
  });

  it('puts notices first, each prefixed "Note:", in one block', () => {
    const r = new ToolResponse(1000).text('the output').notice('the sandbox was recreated').notice('files in /tmp were lost').build();
    assert.deepEqual(texts(r.content), ['Note: the sandbox was recreated\nNote: files in /tmp were lost', 'the output']);
  });

  it('still has a text block when nothing was added', () => {
    const reply = new ToolResponse(1000);
    assert.equal(reply.isEmpty, true);
    assert.deepEqual(reply.build(), { content: [{ type: 'text', text: 'done' }] });
  });

  it('puts a text block before an image when only an image was added', () => {
    const r = new ToolResponse(1000).image('aGVsbG8=', 'image/png').build();
    assert.deepEqual(r.content, [
      { type: 'text', text: 'done' },
      { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
    ]);
  });

  it('is no longer empty once text is added', () => {
    assert.equal(new ToolResponse(1000).text('x').isEmpty, false);
  });

  it('passes structuredContent through unchanged', () => {
    const data = { exit_code: 3, stdout: 'sum 45\n', nested: { list: [1, 2] } };
    const r = new ToolResponse(1000).text('exit code 3').structuredContent(data).build();
    assert.deepEqual(r.structuredContent, data);
    assert.deepEqual(texts(r.content), ['exit code 3']);
  });

  it('leaves structuredContent out when none was given', () => {
    assert.equal('structuredContent' in new ToolResponse(1000).text('x').build(), false);
  });

  it('cuts a result with many large images below 900 KB and says content was omitted', () => {
    const image = 'A'.repeat(200 * 1024); // 200 KB of base64
    const reply = new ToolResponse(30_000).text('10 screenshots');
    for (let i = 0; i < 10; i++) reply.image(image, 'image/png');
    const { content } = reply.build();

    assert.ok(resultBytes(content) < 900 * 1024, `result is ${resultBytes(content)} bytes`);
    assert.equal(content.filter((b) => b.type === 'image').length, 4);
    assert.equal(content[0]!.type, 'text');
    const last = content.at(-1)!;
    assert.equal(last.type, 'text');
    assert.match(last.type === 'text' ? last.text : '', /\[… further content omitted: the result would exceed 900 KB …\]/);
  });

  it('keeps a result with a few small images whole', () => {
    const reply = new ToolResponse(30_000).text('two images').image('aGk=', 'image/png').image('aGk=', 'image/jpeg');
    const { content } = reply.build();
    assert.equal(content.length, 3);
    assert.doesNotMatch(texts(content).join('\n'), /omitted/);
  });
});

describe('errorResult', () => {
  it('returns one text block flagged isError', () => {
    assert.deepEqual(errorResult('no such file: a.txt; file_list shows what exists'), {
      content: [{ type: 'text', text: 'no such file: a.txt; file_list shows what exists' }],
      isError: true,
    });
  });

  it('puts notices before the message', () => {
    const r = errorResult('command timed out', ['the sandbox was recreated']);
    assert.equal(r.isError, true);
    assert.deepEqual(texts(r.content), ['Note: the sandbox was recreated\ncommand timed out']);
  });
});
