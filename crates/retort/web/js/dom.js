// DOM building and number formatting. No innerHTML with data: text goes in as text nodes.

/**
 * Creates an element. `attrs`: attributes; `on*` functions become listeners, `class`,
 * `for`, `hidden`, boolean values and `dataset` objects are handled; null/false skip.
 * Children: nodes, strings, numbers, arrays (flattened), null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && (tag === 'input' || tag === 'select' || tag === 'textarea')) {
      el.value = value;
    } else if (key === 'checked' || key === 'selected') {
      el[key] = Boolean(value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (see `h`) to `el`. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const money0 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const int0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const num2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const num3 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

const missing = (v) => v === null || v === undefined || Number.isNaN(v);

/** $1,234.56, or — for nothing. */
export const money = (v) => (missing(v) ? '—' : money0.format(v));
/** A signed amount: +$12.00 / −$3.10. */
export const signedMoney = (v) => (missing(v) ? '—' : (v > 0 ? '+' : v < 0 ? '−' : '') + money0.format(Math.abs(v)));
/** 12,345 */
export const int = (v) => (missing(v) ? '—' : int0.format(v));
/** 3.14 */
export const num = (v) => (missing(v) ? '—' : num2.format(v));
/** 0.123 */
export const num3f = (v) => (missing(v) ? '—' : num3.format(v));
/** A fraction or a percentage figure as a signed percentage: `pct(0.12, true)` or `pct(12)`. */
export function pct(v, fraction = false) {
  if (missing(v)) return '—';
  const p = fraction ? v * 100 : v;
  return `${p > 0 ? '+' : p < 0 ? '−' : ''}${num2.format(Math.abs(p))} %`;
}
/** An unsigned percentage of a fraction: `share(0.351)` → 35.1 %. */
export const share = (v) => (missing(v) ? '—' : `${num2.format(v * 100)} %`);
/** A time as local date and time, minutes precision. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
/** A count with its noun: `plural(1, 'product')`. */
export const plural = (n, noun, nouns = `${noun}s`) => `${int(n)} ${n === 1 ? noun : nouns}`;

/** Tells screen readers something that changed (a polite live region). */
export function announce(text) {
  const region = document.getElementById('announce');
  if (region) {
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 30);
  }
}

let uid = 0;
/** An id unique in this document: `uniqueId('f')` → `f-12`. */
export const uniqueId = (prefix) => `${prefix}-${++uid}`;
