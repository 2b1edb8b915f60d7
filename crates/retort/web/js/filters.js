// Product filters with facet counts, as URL query parameters: repeatable categorical
// filters (`brand=A&brand=B`), ranges (`rim_in_min`/`rim_in_max`), search (`q`).

import { h, int } from './dom.js';

/** The categorical facets, in the order shown. */
export const FACETS = [
  { key: 'brand', label: 'Brand' },
  { key: 'tier', label: 'Brand tier' },
  { key: 'category', label: 'Category' },
  { key: 'season', label: 'Season' },
];

/** Range filters: `<key>_min` / `<key>_max`. */
export const RANGES = [
  { key: 'list_price', label: 'List price ($)', step: '0.01' },
  { key: 'gap_pct', label: 'Gap to fair (%)', step: '0.1' },
];

/** Every query parameter that is a filter (not sort, page or format). */
export function filterKeys() {
  return [
    'q', 'direction', 'outside_interval', ...FACETS.map((f) => f.key), 'rim_in_min', 'rim_in_max',
    ...RANGES.flatMap((r) => [`${r.key}_min`, `${r.key}_max`]),
  ];
}

/** Only the filter parameters of `query`, for comparisons and sub-requests. */
export function onlyFilters(query) {
  const keys = new Set(filterKeys());
  const out = new URLSearchParams();
  for (const [k, v] of query) if (keys.has(k)) out.append(k, v);
  return out;
}

const label = (value) => String(value).replace(/_/g, ' ');
const slug = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, '_');

function checkboxGroup(facet, counts, selected) {
  const values = new Map((counts || []).filter((c) => c.value !== null).map((c) => [String(c.value), c.count]));
  // Without counts (the facets failed), the selected values still show, to be unticked.
  for (const s of selected) if (!values.has(s)) values.set(s, counts ? 0 : null);
  if (!values.size) return null;
  return h('fieldset', { 'data-path': `/${facet.key}` },
    h('legend', {}, facet.label),
    h('div', { class: 'options' }, [...values].map(([value, count]) => {
      const id = `f-${facet.key}-${slug(value)}`;
      return h('label', { class: 'option', for: id },
        h('input', { type: 'checkbox', id, name: facet.key, value, checked: selected.includes(value) }),
        label(value), count === null ? null : h('span', { class: 'count' }, int(count)));
    })));
}

function rangeInputs(key, text, q, step) {
  return h('fieldset', {},
    h('legend', {}, text),
    h('div', { class: 'range' },
      h('div', { class: 'field' }, h('label', { for: `f-${key}_min`, class: 'inline' }, 'From'),
        h('input', { type: 'number', step, id: `f-${key}_min`, name: `${key}_min`, value: q.get(`${key}_min`) || '', 'data-path': `/${key}_min`, inputmode: 'decimal' })),
      h('div', { class: 'field' }, h('label', { for: `f-${key}_max`, class: 'inline' }, 'To'),
        h('input', { type: 'number', step, id: `f-${key}_max`, name: `${key}_max`, value: q.get(`${key}_max`) || '', 'data-path': `/${key}_max`, inputmode: 'decimal' }))));
}

function rimSelects(counts, q) {
  const rims = (counts || []).filter((c) => c.value !== null).map((c) => [Number(c.value), c.count]).sort((a, b) => a[0] - b[0]);
  const select = (which) => {
    const name = `rim_in_${which}`;
    const current = q.get(name) || '';
    const values = new Set(rims.map(([r]) => String(r)));
    return h('div', { class: 'field' }, h('label', { for: `f-${name}`, class: 'inline' }, which === 'min' ? 'From' : 'To'),
      h('select', { id: `f-${name}`, name, 'data-path': `/${name}` },
        h('option', { value: '' }, 'any'),
        current && !values.has(current) ? h('option', { value: current, selected: true }, `${current}"`) : null,
        rims.map(([r, n]) => h('option', { value: String(r), selected: String(r) === current }, `${r}" (${int(n)})`))));
  };
  return h('fieldset', {}, h('legend', {}, 'Rim (inches)'), h('div', { class: 'range' }, select('min'), select('max')));
}

/** Reads the form back into filter parameters (in a fixed order). */
export function readFilters(form) {
  const data = new FormData(form);
  const out = new URLSearchParams();
  for (const key of filterKeys()) {
    for (const v of data.getAll(key)) {
      const s = String(v).trim();
      if (s && !(key === 'direction' && s === 'both')) out.append(key, s);
    }
  }
  return out;
}

/**
 * The filter form. facets: `{brand: [{value, count}], …}` (counts among the rows the
 * other filters select). onChange(filters): checkboxes, radios and selects apply at
 * once; text and numbers on Enter or "Apply".
 */
export function filterForm({ query, facets = {}, total, onChange, direction = true }) {
  const q = query;
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter products', novalidate: true },
    h('div', { class: 'form-errors' }),
    h('div', { class: 'field' }, h('label', { for: 'f-q' }, 'Search'),
      h('input', { type: 'search', id: 'f-q', name: 'q', value: q.get('q') || '', placeholder: 'sku, brand or line', 'data-path': '/q' })),
    direction ? h('fieldset', { 'data-path': '/direction' }, h('legend', {}, 'Direction'),
      h('div', { class: 'options row' }, [['both', 'Both'], ['over', 'Over-priced'], ['under', 'Under-priced']].map(([v, text]) =>
        h('label', { class: 'option', for: `f-direction-${v}` },
          h('input', { type: 'radio', id: `f-direction-${v}`, name: 'direction', value: v, checked: (q.get('direction') || 'both') === v }), text)))) : null,
    direction ? h('fieldset', { 'data-path': '/outside_interval' }, h('legend', {}, 'Confidence'),
      h('label', { class: 'option', for: 'f-outside_interval' },
        h('input', { type: 'checkbox', id: 'f-outside_interval', name: 'outside_interval', value: 'true', checked: q.get('outside_interval') === 'true' }),
        'Only list prices outside the fair-price interval')) : null,
    FACETS.map((f) => checkboxGroup(f, facets[f.key], q.getAll(f.key))),
    rimSelects(facets.rim_in, q),
    RANGES.map((r) => rangeInputs(r.key, r.label, q, r.step)),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
      h('button', { type: 'button', class: 'secondary', 'data-reset': '', onclick: () => onChange(new URLSearchParams()) }, 'Clear filters')),
    total !== undefined ? h('p', { class: 'hint', role: 'status' }, `${int(total)} products match`) : null);
  form.addEventListener('change', (e) => {
    const t = e.target;
    if (t.type === 'checkbox' || t.type === 'radio' || t.tagName === 'SELECT') onChange(readFilters(form), t.id);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onChange(readFilters(form), document.activeElement && document.activeElement.id);
  });
  return form;
}
