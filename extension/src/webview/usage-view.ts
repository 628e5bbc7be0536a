// The toolbar's usage: tokens, estimated cost and a meter of how full the model's context is. Wide panels
// show the tokens and cost; narrow ones (180 px) a compact "cost · percent"; the tooltip (also the
// accessible name, so a keyboard or screen-reader user gets it too) has every number.
import { meterLabels, type UsageMeter } from '../common/usage-meter.js';
import { h } from './render.js';

export function renderUsage(el: HTMLElement, m: UsageMeter): void {
  const { tokens, narrow, tooltip, ratio } = meterLabels(m);
  const parts: Node[] = [h('span', { class: 'usage-wide' }, tokens), h('span', { class: 'usage-narrow' }, narrow)];
  if (ratio !== undefined) {
    const level = ratio >= 0.85 ? 'full' : ratio >= 0.6 ? 'filling' : 'ok';
    const meter = h('meter', { class: `context-meter context-${level}`, min: '0', max: '1', low: '0.6', high: '0.85', optimum: '0', value: String(ratio) });
    parts.push(meter, h('span', { class: 'usage-wide usage-percent' }, `${Math.round(ratio * 100)}%`));
  }
  el.replaceChildren(...(tokens || narrow || ratio !== undefined ? parts : []));
  el.title = tooltip;
  if (tooltip) {
    el.setAttribute('tabindex', '0');
    el.setAttribute('aria-label', tooltip.replaceAll('\n', '. '));
  } else {
    el.removeAttribute('tabindex');
    el.removeAttribute('aria-label');
  }
}
