// Web tools through the real Tavily and Firecrawl SDKs pointed at fake APIs the test serves on the host, and
// the keyless scrape through the sandbox's Chromium against pages served inside the sandbox.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, type TestServer } from '../fixtures/server.ts';

const TAVILY_KEY = 'tvly-test-0123456789abcdef';
const FIRECRAWL_KEY = 'fc-test-0123456789abcdef';

interface Seen {
  method: string;
  path: string;
  auth: string;
  body: Record<string, unknown>;
}

/** A fake HTTP API on the host: records every request and answers with `handle`. */
class FakeApi {
  readonly seen: Seen[] = [];
  private server: Server;
  url = '';

  constructor(private readonly handle: (req: Seen, res: ServerResponse) => void) {
    this.server = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        const seen = { method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization ?? '', body: raw ? JSON.parse(raw) : {} };
        this.seen.push(seen);
        this.handle(seen, res);
      });
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await new Promise((r) => this.server.once('listening', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const tavily = new FakeApi((req, res) => {
  const q = String(req.body.query);
  if (q === 'rejected key') return json(res, 401, { detail: { error: 'Unauthorized: missing or invalid API key.' } });
  if (q === 'too busy') return json(res, 429, { detail: { error: 'Your request has been blocked due to excessive requests.' } });
  if (q === 'very slow') return void setTimeout(() => json(res, 200, { query: q, images: [], results: [] }), 8000);
  json(res, 200, {
    query: q,
    answer: req.body.include_answer ? 'Lighthouses use Fresnel lenses to focus light.' : undefined,
    images: [],
    results: [
      { title: 'How lighthouses work', url: 'https://example.org/lighthouses', content: 'A lighthouse is a tower with a bright light. ' + 'More detail. '.repeat(60), score: 0.91 },
      { title: 'Fresnel lens', url: 'https://example.org/fresnel', content: 'A compact lens design.', score: 0.72 },
    ],
    response_time: 0.1,
  });
});

const firecrawl = new FakeApi((req, res) => {
  const url = String(req.body.url);
  if (url.includes('denied')) return json(res, 401, { success: false, error: 'Unauthorized: Invalid token' });
  if (url.includes('broken')) return json(res, 500, { success: false, error: 'Internal server error while scraping' });
  json(res, 200, {
    success: true,
    data: {
      markdown: '# Fake Article\n\nScraped by the fake Firecrawl.',
      html: '<h1>Fake Article</h1><p>Scraped by the fake Firecrawl.</p>',
      metadata: { title: 'Fake Article', sourceURL: url, url, statusCode: 200 },
    },
  });
});

const PARAGRAPH = (n: number) =>
  `<p>Paragraph ${n} of the article. A lighthouse keeper once tended the lamp every night, trimming the wick, winding the clockwork ` +
  `that turned the lens, and writing the weather into the log book, so that ships at sea could find their way past the rocks.</p>`;

const ARTICLE_PAGE = `<!doctype html><html><head><title>How Lighthouses Work | Coastal Blog</title></head><body>
<header><div class="logo">Coastal Blog</div><nav><ul>
<li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li><a href="/shop">Shop the store</a></li><li><a href="/contact">Contact</a></li>
</ul></nav></header>
<aside class="sidebar"><h3>Trending elsewhere</h3><ul><li><a href="/a">Ten beaches to visit</a></li><li><a href="/b">Subscribe to the newsletter</a></li></ul></aside>
<main><article>
<h1>How Lighthouses Work</h1>
${Array.from({ length: 6 }, (_, i) => PARAGRAPH(i + 1)).join('\n')}
<h2>The Fresnel Lens</h2>
<p>Augustin Fresnel designed a lens of concentric rings of prisms that bends the light of a small lamp into a beam visible for twenty miles.</p>
${Array.from({ length: 6 }, (_, i) => PARAGRAPH(i + 7)).join('\n')}
<h2>Automation</h2>
<p>Most lighthouses were automated in the twentieth century, and the keepers left their towers for good.</p>
</article></main>
<footer><p>Copyright 2024 Coastal Blog Corporation. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>`;

describe('web tools (fake Tavily and Firecrawl, keyless scrape in the sandbox)', function () {
  this.timeout(240_000);
  let s: TestServer; // Tavily configured, no Firecrawl: scrapes go through the sandbox's browser
  let fc: TestServer; // Firecrawl configured, no Tavily key

  before(async () => {
    await Promise.all([tavily.start(), firecrawl.start()]);
    [s, fc] = await Promise.all([
      startServer({ env: { TAVILY_API_KEY: TAVILY_KEY, TAVILY_API_URL: tavily.url, SUNA_WEB_TIMEOUT_MS: '2000', FIRECRAWL_API_KEY: '', FIRECRAWL_API_URL: '' } }),
      startServer({ env: { TAVILY_API_KEY: '', FIRECRAWL_API_KEY: FIRECRAWL_KEY, FIRECRAWL_API_URL: firecrawl.url } }),
    ]);
    await s.ok('file_write', { path: 'site/article.html', content: ARTICLE_PAGE });
    await s.ok('shell_start', { command: 'cd site && exec python3 -m http.server 8124 --bind 127.0.0.1', name: 'site' });
    await s.ok('shell_exec', { command: 'for i in $(seq 50); do curl -sf http://127.0.0.1:8124/article.html >/dev/null && exit 0; sleep 0.1; done; exit 1' });
  });
  after(async () => {
    await Promise.all([s?.close(), fc?.close()]);
    tavily.close();
    firecrawl.close();
  });

  describe('web_search', () => {
    it('sends the query and options to Tavily with the key as a Bearer token and renders numbered results', async () => {
      const r = await s.ok('web_search', { query: 'how do lighthouses work', max_results: 3, topic: 'news', time_range: 'week', include_answer: true });
      const req = tavily.seen.at(-1)!;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, '/search');
      assert.equal(req.auth, `Bearer ${TAVILY_KEY}`);
      assert.equal(req.body.query, 'how do lighthouses work');
      assert.equal(req.body.max_results, 3);
      assert.equal(req.body.topic, 'news');
      assert.equal(req.body.time_range, 'week');
      assert.equal(req.body.include_answer, true);
      assert.match(r.text, /^Search "how do lighthouses work": 2 results\n\nAnswer: Lighthouses use Fresnel lenses/);
      assert.match(r.text, /\n1\. How lighthouses work\n {3}https:\/\/example\.org\/lighthouses\n {3}A lighthouse is a tower/);
      assert.match(r.text, /\n2\. Fresnel lens\n {3}https:\/\/example\.org\/fresnel\n {3}A compact lens design\./);
      const first = r.text.split('\n').find((l) => l.startsWith('   A lighthouse'))!;
      assert.ok(first.length <= 305, `snippet is ${first.length} chars`);
      assert.doesNotMatch(r.text, /cached/);
      assert.deepEqual(r.structured?.answer, 'Lighthouses use Fresnel lenses to focus light.');
      const results = r.structured?.results as { title: string; url: string; content: string; score: number }[];
      assert.equal(results.length, 2);
      assert.deepEqual({ ...results[1] }, { title: 'Fresnel lens', url: 'https://example.org/fresnel', content: 'A compact lens design.', score: 0.72 });
    });

    it('answers a repeated identical search from the cache without asking Tavily again', async () => {
      const before = tavily.seen.length;
      const first = await s.ok('web_search', { query: 'fresnel lens history' });
      const again = await s.ok('web_search', { query: '  Fresnel   lens history ' });
      assert.equal(tavily.seen.length, before + 1);
      assert.equal(tavily.seen.at(-1)!.body.max_results, 5, 'default max_results');
      assert.equal(tavily.seen.at(-1)!.body.topic, 'general', 'default topic');
      assert.doesNotMatch(first.text, /cached/);
      assert.match(again.text, /^Search "fresnel lens history": 2 results \(cached\)/);
      assert.deepEqual(again.structured?.results, first.structured?.results);
      await s.ok('web_search', { query: 'fresnel lens history', max_results: 2 });
      assert.equal(tavily.seen.length, before + 2, 'other options are another search');
    });

    it('says the key was rejected on 401, without echoing the key', async () => {
      const r = await s.call('web_search', { query: 'rejected key' });
      assert.equal(r.isError, true);
      assert.match(r.text, /TAVILY_API_KEY was rejected/);
      assert.ok(!r.text.includes(TAVILY_KEY));
      assert.ok(!r.text.includes('0123456789abcdef'));
    });

    it('reports rate limiting on 429 and does not cache failures', async () => {
      const before = tavily.seen.length;
      for (let i = 0; i < 2; i++) {
        const r = await s.call('web_search', { query: 'too busy' });
        assert.equal(r.isError, true);
        assert.match(r.text, /rate limited/);
      }
      assert.equal(tavily.seen.length, before + 2);
    });

    it('gives up on a slow answer with a clear timeout message (SUNA_WEB_TIMEOUT_MS)', async () => {
      const started = Date.now();
      const r = await s.call('web_search', { query: 'very slow' });
      assert.equal(r.isError, true);
      assert.match(r.text, /Tavily did not answer within 2 s/);
      assert.ok(Date.now() - started < 7000, `took ${Date.now() - started} ms`);
    });

    it('without TAVILY_API_KEY, web_search is not listed and sandbox_status says why', async () => {
      const before = tavily.seen.length;
      const names = (await fc.client.listTools()).tools.map((t) => t.name);
      assert.ok(!names.includes('web_search'), names.join(', '));
      assert.ok(names.includes('web_scrape'), 'web_scrape works without a key (the sandbox browser)');
      const r = await fc.call('web_search', { query: 'anything' });
      assert.equal(r.isError, true);
      const status = await fc.ok('sandbox_status');
      assert.match(status.text, /hidden tools: web_search \(set TAVILY_API_KEY on the server\)/);
      assert.equal(tavily.seen.length, before);
    });
  });

  describe('web_scrape through Firecrawl', () => {
    it('posts the URL and formats with the key and returns the markdown inline, saved in full', async () => {
      const r = await fc.ok('web_scrape', { url: 'https://news.example.com/story' });
      const req = firecrawl.seen.at(-1)!;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, '/v2/scrape');
      assert.equal(req.auth, `Bearer ${FIRECRAWL_KEY}`);
      assert.equal(req.body.url, 'https://news.example.com/story');
      assert.deepEqual(req.body.formats, ['markdown']);
      assert.equal(req.body.onlyMainContent, true);
      assert.match(r.text, /^Fake Article\nurl: https:\/\/news\.example\.com\/story\nsource: firecrawl · markdown, main content · /);
      assert.match(r.text, /# Fake Article\n\nScraped by the fake Firecrawl\./);
      const saved = String(r.structured?.saved_to);
      assert.match(saved, /^\.suna\/scrape\/news\.example\.com-[\dT-]+Z\.md$/);
      const cat = await fc.ok('shell_exec', { command: `cat ${saved}` });
      assert.equal(cat.structured?.stdout, '# Fake Article\n\nScraped by the fake Firecrawl.');
    });

    it('asks Firecrawl for html and the whole page when told to', async () => {
      const r = await fc.ok('web_scrape', { url: 'https://news.example.com/story', format: 'html', only_main_content: false });
      const req = firecrawl.seen.at(-1)!;
      assert.deepEqual(req.body.formats, ['html']);
      assert.equal(req.body.onlyMainContent, false);
      assert.match(r.text, /<h1>Fake Article<\/h1>/);
      assert.match(String(r.structured?.saved_to), /\.html$/);
      const text = await fc.ok('web_scrape', { url: 'https://news.example.com/story', format: 'text' });
      assert.deepEqual(firecrawl.seen.at(-1)!.body.formats, ['markdown'], 'Firecrawl has no text format: text is made from markdown');
      assert.match(text.text, /\nFake Article\n\nScraped by the fake Firecrawl\.$/);
      assert.match(String(text.structured?.saved_to), /\.txt$/);
    });

    it('turns Firecrawl errors into clear messages without the key', async () => {
      const denied = await fc.call('web_scrape', { url: 'https://denied.example.com/' });
      assert.equal(denied.isError, true);
      assert.match(denied.text, /FIRECRAWL_API_KEY was rejected/);
      const broken = await fc.call('web_scrape', { url: 'https://broken.example.com/' });
      assert.equal(broken.isError, true);
      assert.match(broken.text, /Firecrawl could not scrape https:\/\/broken\.example\.com\/ \(500\): Internal server error while scraping/);
      for (const r of [denied, broken]) assert.ok(!r.text.includes('0123456789abcdef'));
    });
  });

  describe('web_scrape without Firecrawl (the sandbox browser)', () => {
    it('keeps the article text and headings as markdown and drops the navigation chrome', async () => {
      const r = await s.ok('web_scrape', { url: 'http://localhost:8124/article.html' });
      assert.match(r.text, /^How Lighthouses Work[^\n]*\nurl: http:\/\/localhost:8124\/article\.html\nsource: local browser · markdown, main content · /);
      assert.match(r.text, /^# How Lighthouses Work/m);
      assert.match(r.text, /^## The Fresnel Lens$/m);
      assert.match(r.text, /^## Automation$/m);
      assert.match(r.text, /Paragraph 12 of the article/);
      assert.match(r.text, /concentric rings of prisms/);
      for (const chrome of ['Shop the store', 'About us', 'Trending elsewhere', 'Subscribe to the newsletter', 'All rights reserved', 'Privacy policy'])
        assert.ok(!r.text.includes(chrome), `kept "${chrome}"`);
      assert.equal(firecrawl.seen.filter((q) => String(q.body.url).includes('8124')).length, 0);
      const saved = String(r.structured?.saved_to);
      assert.match(saved, /^\.suna\/scrape\/localhost_8124-[\dT-]+Z\.md$/);
      const check = await s.ok('shell_exec', { command: `grep -c 'Paragraph 12 of the article' ${saved} && head -1 ${saved}` });
      assert.equal(check.structured?.stdout, '1\n# How Lighthouses Work\n');
    });

    it('returns plain text, html, or the whole page on request', async () => {
      const text = await s.ok('web_scrape', { url: 'http://localhost:8124/article.html', format: 'text' });
      assert.match(text.text, /The Fresnel Lens\n/);
      assert.doesNotMatch(text.text, /^#/m);
      assert.match(String(text.structured?.saved_to), /\.txt$/);
      const html = await s.ok('web_scrape', { url: 'http://localhost:8124/article.html', format: 'html' });
      assert.match(html.text, /<h2[^>]*>The Fresnel Lens<\/h2>/);
      assert.doesNotMatch(html.text, /Shop the store/);
      const whole = await s.ok('web_scrape', { url: 'http://localhost:8124/article.html', only_main_content: false });
      assert.match(whole.text, /whole page/);
      assert.match(whole.text, /\[Shop the store\]\(http:\/\/localhost:8124\/shop\)/);
      assert.match(whole.text, /All rights reserved/);
      assert.match(whole.text, /^# How Lighthouses Work$/m);
    });

    it('caps a 5 MB page inline and saves all of it', async () => {
      await s.ok('shell_exec', {
        command:
          `python3 -c "import sys; p=''.join('<p>Row %d of a very long page, padded with enough words to make it big.</p>' % i for i in range(70000)); ` +
          `open('site/big.html','w').write('<!doctype html><title>Big page</title><article><h1>Big page</h1>'+p+'<p>THE VERY END</p></article>')" && wc -c site/big.html`,
      });
      const r = await s.ok('web_scrape', { url: 'http://localhost:8124/big.html', max_chars: 5000 });
      const body = (r.result.content[1] as { text: string }).text;
      assert.ok(body.length <= 5000, `inline content is ${body.length} chars`);
      assert.match(body, /^# Big page/);
      assert.match(body, /THE VERY END$/);
      const saved = String(r.structured?.saved_to);
      assert.match(body, new RegExp(`omitted; the full output is in ${saved.replace(/\./g, '\\.')}`));
      assert.equal(r.structured?.truncated, true);
      const chars = r.structured?.chars as number;
      assert.ok(chars > 4_000_000, `${chars} chars`);
      const check = await s.ok('shell_exec', { command: `wc -c < ${saved} && grep -c 'Row 69999 ' ${saved}` });
      const [bytes, found] = String(check.structured?.stdout).trim().split('\n');
      assert.ok(Number(bytes) >= chars, `saved ${bytes} bytes`);
      assert.equal(found, '1');
    });

    it('reports a page the sandbox cannot reach', async () => {
      const r = await s.call('web_scrape', { url: 'http://localhost:8999/' });
      assert.equal(r.isError, true);
      assert.match(r.text, /could not load http:\/\/localhost:8999\/: net::ERR_CONNECTION_REFUSED/);
    });

    it('refuses URLs that are not http(s)', async () => {
      for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<h1>hi</h1>', 'not a url']) {
        const r = await s.call('web_scrape', { url });
        assert.equal(r.isError, true, url);
        assert.match(r.text, /only http and https URLs are allowed|is not a URL/, url);
      }
    });
  });
});
