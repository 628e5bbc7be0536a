// Tokens, estimated cost and context fill in the panel's toolbar: prices from the one table (or the user's
// setting), no cost for a model without a price, a meter against the window, hostile names kept as text.
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { costOf, priceOf } from '@suna/shared/agent/pricing';
import { addCallCost, meterLabels, shownCost, type UsageMeter } from '../../src/common/usage-meter.ts';

const usage = (inputTokens: number, outputTokens: number, steps = 1) => ({ inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0, steps });

describe('model prices and the cost estimate', () => {
  it('knows the list price of the default models and prices cached tokens apart', () => {
    const sonnet = priceOf('anthropic:claude-sonnet-5-5')!;
    assert.equal(costOf({ inputTokens: 1_000_000, outputTokens: 0 }, sonnet), 3);
    assert.equal(costOf({ inputTokens: 0, outputTokens: 1_000_000 }, sonnet), 15);
    // 1M prompt tokens of which 800k were read from the cache: 200k fresh at $3, 800k at $0.30.
    assert.ok(Math.abs(costOf({ inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 800_000 }, sonnet) - 0.84) < 1e-9);
    assert.equal(priceOf('openai:gpt-5.4-nano')!.input, 0.05);
    assert.equal(priceOf('openai:gpt-5.4')!.output, 10);
  });

  it('an unknown or self-hosted model has no price, so the panel shows no cost rather than a wrong one', () => {
    assert.equal(priceOf('openai-compatible:qwen3:8b'), undefined);
    assert.equal(priceOf('openai:some-future-model'), undefined);
    const cost = addCallCost(undefined, 'openai-compatible:qwen3:8b', { inputTokens: 5000, outputTokens: 100 }, undefined);
    assert.equal(shownCost(cost), undefined);
    const labels = meterLabels({ usage: usage(5000, 100), cost });
    assert.doesNotMatch(labels.tokens + labels.narrow, /\$/);
    assert.match(labels.tooltip, /no price known for openai-compatible:qwen3:8b/);
  });

  it('suna.modelPrices overrides the list, by full spec or by model name; entries that are not prices are ignored', () => {
    assert.deepEqual(priceOf('openai-compatible:qwen3:8b', { 'openai-compatible:qwen3:8b': { input: 0, output: 0 } }), { input: 0, output: 0 });
    assert.equal(priceOf('anthropic:claude-sonnet-5-5', { 'claude-sonnet-5-5': { input: 1, output: 2 } })!.input, 1);
    for (const bad of [{ input: -1, output: 2 }, { input: '3', output: 2 }, { input: Infinity, output: 1 }, null, 'cheap'])
      assert.equal(priceOf('anthropic:claude-sonnet-5-5', { 'claude-sonnet-5-5': bad })!.input, 3, JSON.stringify(bad));
    // A key from the prototype chain is not an override.
    assert.equal(priceOf('openai:constructor', {}), undefined);
  });

  it('adds up calls of a priced model and keeps the cost hidden once an unpriced one joins', () => {
    const price = priceOf('anthropic:claude-haiku-4-5');
    let cost = addCallCost(undefined, 'anthropic:claude-haiku-4-5', { inputTokens: 100_000, outputTokens: 10_000 }, price);
    cost = addCallCost(cost, 'anthropic:claude-haiku-4-5', { inputTokens: 100_000, outputTokens: 10_000 }, price);
    assert.equal(shownCost(cost), '$0.30');
    cost = addCallCost(cost, 'openai-compatible:llama', { inputTokens: 10, outputTokens: 1 }, undefined);
    assert.equal(shownCost(cost), undefined);
  });
});

describe('the usage meter in the toolbar', () => {
  const meter: UsageMeter = { usage: usage(123_456, 7_890, 4), cost: { usd: 0.4567, unpriced: [] }, context: { tokens: 150_000, window: 200_000 } };

  it('says tokens and cost when wide, cost and context percent when narrow, every number in the tooltip', () => {
    const l = meterLabels(meter);
    assert.equal(l.tokens, '123k in · 7.9k out · $0.46');
    assert.equal(l.narrow, '$0.46 · 75%');
    assert.equal(l.ratio, 0.75);
    assert.match(l.tooltip, /123,456 tokens in/);
    assert.match(l.tooltip, /Estimated cost: \$0\.46/);
    assert.match(l.tooltip, /150,000 of 200,000 tokens \(75%\)/);
  });

  it('an empty conversation shows nothing; a fill above the window is shown as full', () => {
    assert.deepEqual(meterLabels({ usage: usage(0, 0, 0) }), { tokens: '', narrow: '', tooltip: '' });
    assert.equal(meterLabels({ ...meter, context: { tokens: 500_000, window: 200_000 } }).ratio, 1);
    assert.equal(meterLabels({ ...meter, context: { tokens: 5, window: 0 } }).ratio, undefined);
  });

  describe('rendered', () => {
    let renderUsage: typeof import('../../src/webview/usage-view.ts').renderUsage;
    before(async () => {
      const dom = new JSDOM('<!DOCTYPE html><body></body>');
      Object.assign(globalThis, { window: dom.window, document: dom.window.document });
      ({ renderUsage } = await import('../../src/webview/usage-view.ts'));
    });
    after(() => {
      delete (globalThis as Record<string, unknown>).window;
      delete (globalThis as Record<string, unknown>).document;
    });

    it('is a meter against the window, reachable by keyboard, with the tooltip as its name', () => {
      const el = document.createElement('span');
      renderUsage(el, meter);
      const m = el.querySelector('meter')!;
      assert.equal(m.getAttribute('value'), '0.75');
      assert.equal(m.getAttribute('high'), '0.85');
      assert.ok(m.classList.contains('context-filling'));
      assert.equal(el.getAttribute('tabindex'), '0');
      assert.match(el.getAttribute('aria-label')!, /Context: 150,000 of 200,000/);
      assert.equal(el.querySelector('.usage-narrow')!.textContent, '$0.46 · 75%');
    });

    it('a hostile model name from a setting or a server stays text', () => {
      const el = document.createElement('span');
      renderUsage(el, { usage: usage(10, 1), cost: { usd: 0, unpriced: ['<img src=x onerror=alert(1)>'] } });
      assert.equal(el.querySelector('img'), null);
      assert.match(el.title, /<img src=x onerror=alert\(1\)>/);
    });
  });
});
