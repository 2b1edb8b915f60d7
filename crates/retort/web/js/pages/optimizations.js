// Optimisations: a form for a new run (scope, objective, constraints) and the runs so far.
// `/optimizations?brand=Kumho&category=touring` pre-fills the scope (the explorer links here).

import { h, replace, int, money, signedMoney, when, uniqueId } from '../dom.js';
import { get, post, isAbort } from '../api.js';
import { loading, empty, errorBanner, pageHeader, dataTable, cursorPager, badge, field, showFieldErrors, clearFieldErrors } from '../ui.js';
import { FACETS, onlyFilters } from '../filters.js';
import { can, cannot } from '../session.js';

const RANGE_KEYS = ['rim_in_min', 'rim_in_max', 'list_price_min', 'list_price_max'];

/** The product filters a scope can use (a brand's tier is not a product field). */
const SCOPE_FACETS = FACETS.filter((f) => f.key !== 'tier');

/** The scope filters as the API takes them: arrays for categories, numbers for ranges. */
export function scopeFilters(params) {
  const filters = {};
  for (const f of SCOPE_FACETS) {
    const values = params.getAll(f.key).filter(Boolean);
    if (values.length) filters[f.key] = values;
  }
  for (const key of RANGE_KEYS) {
    const v = params.get(key);
    if (v !== null && v !== '') filters[key] = Number(v);
  }
  const q = params.get('q');
  if (q) filters.q = q;
  return filters;
}

/** A short description of a run's scope. */
export function scopeText(params) {
  const scope = (params && params.scope) || {};
  if (Array.isArray(scope.skus)) return `${int(scope.skus.length)} skus`;
  const f = scope.filters || {};
  const parts = Object.entries(f).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${Array.isArray(v) ? v.join(', ') : v}`);
  return parts.length ? parts.join(' · ') : 'every product';
}

function checkboxes(key, legend, counts, selected) {
  const values = (counts || []).filter((c) => c.value !== null);
  if (!values.length) return null;
  return h('fieldset', { 'data-path': `/scope/filters/${key}` }, h('legend', {}, legend),
    h('div', { class: 'options' }, values.map((c) => {
      const id = `o-${key}-${String(c.value).replace(/[^A-Za-z0-9_-]/g, '_')}`;
      return h('label', { class: 'option', for: id },
        h('input', { type: 'checkbox', id, name: key, value: String(c.value), checked: selected.includes(String(c.value)) }),
        String(c.value).replace(/_/g, ' '), h('span', { class: 'count' }, int(c.count)));
    })));
}

function numberInput(name, path, value, attrs = {}) {
  return h('input', { type: 'number', name, id: `o-${name}`, 'data-path': path, value: value ?? '', step: 'any', inputmode: 'decimal', ...attrs });
}

async function newRunForm(ctx, signal) {
  const q = ctx.query;
  let facets = {};
  try {
    facets = (await get('/api/pricing/mispriced/facets', null, { signal })).facets || {};
  } catch (e) {
    if (isAbort(e)) throw e;
  }
  const preset = scopeFilters(q);
  const useSkus = q.has('skus');
  const preview = h('p', { class: 'hint', role: 'status', 'data-scope-count': '' });
  const scopeFilterBox = h('div', { class: 'scope-filters' },
    h('div', { class: 'form-grid' },
      SCOPE_FACETS.map((f) => checkboxes(f.key, f.label, facets[f.key], q.getAll(f.key)))),
    h('div', { class: 'form-grid' },
      field('Rim from (inches)', numberInput('rim_in_min', '/scope/filters/rim_in_min', preset.rim_in_min, { step: '1' })),
      field('Rim to (inches)', numberInput('rim_in_max', '/scope/filters/rim_in_max', preset.rim_in_max, { step: '1' })),
      field('List price from ($)', numberInput('list_price_min', '/scope/filters/list_price_min', preset.list_price_min)),
      field('List price to ($)', numberInput('list_price_max', '/scope/filters/list_price_max', preset.list_price_max))),
    preview);
  const skuBox = h('div', { class: 'scope-skus' },
    field('SKUs', h('textarea', { name: 'skus', 'data-path': '/scope/skus', rows: '5', placeholder: 'One per line, or separated by commas' }, q.get('skus') || ''),
      'Only these products are repriced.'));
  const scopeMode = (mode) => h('label', { class: 'option', for: `o-scope-${mode}` },
    h('input', { type: 'radio', name: 'scope_mode', id: `o-scope-${mode}`, value: mode, checked: (mode === 'skus') === useSkus }),
    mode === 'skus' ? 'A list of SKUs' : 'Products matching filters');
  const form = h('form', { class: 'card optimize', novalidate: true, 'aria-labelledby': 'new-run' },
    h('h2', { id: 'new-run' }, 'New optimisation'),
    h('div', { class: 'form-errors' }),
    h('fieldset', { 'data-path': '/scope' }, h('legend', {}, 'Scope'),
      h('div', { class: 'options row' }, scopeMode('filters'), scopeMode('skus')), scopeFilterBox, skuBox),
    h('div', { class: 'form-grid' },
      h('fieldset', { 'data-path': '/objective' }, h('legend', {}, 'Objective'),
        h('div', { class: 'options row' }, [['profit', 'Profit'], ['revenue', 'Revenue']].map(([v, t]) =>
          h('label', { class: 'option', for: `o-objective-${v}` },
            h('input', { type: 'radio', name: 'objective', id: `o-objective-${v}`, value: v, checked: (q.get('objective') || 'profit') === v }), t)))),
      h('fieldset', { 'data-path': '/demand_model' }, h('legend', {}, 'Demand'),
        h('div', { class: 'options row' }, [['constant_elasticity', 'Constant elasticity'], ['linear', 'Linear']].map(([v, t]) =>
          h('label', { class: 'option', for: `o-demand-${v}` },
            h('input', { type: 'radio', name: 'demand_model', id: `o-demand-${v}`, value: v, checked: (q.get('demand_model') || 'constant_elasticity') === v }), t)))),
      field('Largest price change (%)', numberInput('max_change_pct', '/max_change_pct', q.get('max_change_pct') || '10', { min: '0', max: '100' }), 'Up or down, per product.'),
      field('Smallest margin (%)', numberInput('min_margin_pct', '/min_margin_pct', q.get('min_margin_pct') || '', { min: '0', max: '100' }), 'Empty: no floor.'),
      field('Baseline weeks', numberInput('baseline_weeks', '/baseline_weeks', q.get('baseline_weeks') || '13', { min: '1', max: '52', step: '1' }), 'Recent weeks of sales averaged for expected units.')),
    h('div', { class: 'form-grid' },
      field('Keep the price ladder', h('input', { type: 'checkbox', name: 'price_ladder', 'data-path': '/price_ladder', checked: q.get('price_ladder') !== 'false' }),
        'Premium brands stay at or above mid, mid at or above economy, for the same size and category.'),
      field('End prices in .99', h('input', { type: 'checkbox', name: 'price_ending', 'data-path': '/price_ending', checked: q.get('price_ending') !== 'false' }))),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Run optimisation')));

  const mode = () => (form.elements.namedItem('scope_mode').value === 'skus' ? 'skus' : 'filters');
  const readScope = () => {
    if (mode() === 'skus') {
      return { skus: form.elements.namedItem('skus').value.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean) };
    }
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const f of SCOPE_FACETS) for (const v of data.getAll(f.key)) params.append(f.key, String(v));
    for (const key of RANGE_KEYS) { const v = String(data.get(key) || '').trim(); if (v) params.set(key, v); }
    return { filters: scopeFilters(params), params };
  };
  let previewCtl = null;
  const refresh = async () => {
    scopeFilterBox.hidden = mode() !== 'filters';
    skuBox.hidden = mode() !== 'skus';
    if (mode() !== 'filters') { replace(preview); return; }
    if (previewCtl) previewCtl.abort();
    previewCtl = new AbortController();
    try {
      const { params } = readScope();
      const f = await get('/api/pricing/mispriced/facets', params, { signal: previewCtl.signal });
      replace(preview, `${int(f.total)} products in scope`);
    } catch (e) {
      if (!isAbort(e)) replace(preview);
    }
  };
  form.addEventListener('change', refresh);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const { filters, skus } = readScope();
    const minMargin = form.elements.namedItem('min_margin_pct').value.trim();
    const maxChange = form.elements.namedItem('max_change_pct').value.trim();
    const body = {
      scope: skus ? { skus } : { filters },
      objective: form.elements.namedItem('objective').value || 'profit',
      demand_model: form.elements.namedItem('demand_model').value || 'constant_elasticity',
      max_change_pct: maxChange === '' ? null : Number(maxChange),
      min_margin_pct: minMargin === '' ? null : Number(minMargin),
      price_ladder: form.elements.namedItem('price_ladder').checked,
      price_ending: form.elements.namedItem('price_ending').checked ? 0.99 : null,
    };
    const weeks = form.elements.namedItem('baseline_weeks').value.trim();
    if (weeks !== '') body.baseline_weeks = Number(weeks);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const { data } = await post('/api/pricing/optimizations', body);
      ctx.navigate(`/optimizations/${data.id}`);
    } catch (err) {
      showFieldErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  refresh();
  return form;
}

async function runList(ctx, box) {
  const q = new URLSearchParams();
  for (const k of ['cursor', 'limit', 'status']) if (ctx.query.get(k)) q.set(k, ctx.query.get(k));
  if (!q.get('limit')) q.set('limit', '20');
  q.set('sort', '-id');
  replace(box, h('h2', {}, 'Runs'), loading('Loading runs…'));
  // A newer page of runs cancels the request of the one before.
  if (box.pending) box.pending.abort();
  const ctl = new AbortController();
  box.pending = ctl;
  ctx.signal.addEventListener('abort', () => ctl.abort());
  try {
    const page = await get('/api/pricing/optimizations', q, { signal: ctl.signal });
    replace(box, h('h2', {}, 'Runs'), page.items.length ? [dataTable({
      caption: 'Optimisation runs',
      columns: [
        { key: 'id', label: 'Run', render: (o) => h('a', { href: `/optimizations/${o.id}` }, `#${o.id}`) },
        { key: 'status', label: 'Status', render: (o) => badge(o.status) },
        { key: 'objective', label: 'Objective', render: (o) => (o.params && o.params.objective) || '—' },
        { key: 'scope', label: 'Scope', render: (o) => scopeText(o.params) },
        { key: 'products', label: 'Products', num: true, render: (o) => int(o.totals && o.totals.products) },
        { key: 'profit_delta', label: 'Profit change', num: true, render: (o) => signedMoney(o.totals && o.totals.profit_delta) },
        { key: 'revenue', label: 'Revenue after', num: true, render: (o) => money(o.totals && o.totals.revenue_after) },
        { key: 'created_at', label: 'Created', render: (o) => when(o.created_at) },
      ],
      rows: page.items,
    }), cursorPager(ctx, page, 20)] : empty('No optimisations yet', 'Choose a scope and constraints above, then run one.'));
  } catch (e) {
    if (isAbort(e)) return;
    replace(box, h('h2', {}, 'Runs'), errorBanner(e));
  }
}

/** Draws the form and the runs. */
export async function render(view, ctx) {
  const formBox = h('div', {}, loading('Loading the form…'));
  const list = h('section', { class: 'card', id: uniqueId('runs') });
  replace(view, pageHeader('Optimisation', 'Propose new prices within constraints, review them, accept or reject.'), formBox, list);
  const work = [runList(ctx, list)];
  try {
    if (can('jobs:start')) replace(formBox, await newRunForm(ctx, ctx.signal));
    else replace(formBox, h('p', { class: 'note card', 'data-cannot-start': '' }, cannot('Starting an optimisation', 'jobs:start')));
  } catch (e) {
    if (isAbort(e)) throw e;
    replace(formBox, errorBanner(e));
  }
  await Promise.all(work);
  return {
    update: (c) => {
      // Only the runs' page changes with the URL; the form keeps what was typed.
      const filtersChanged = onlyFilters(c.query).toString() !== onlyFilters(ctx.query).toString();
      ctx = c;
      if (filtersChanged) return render(view, c);
      return runList(c, list);
    },
  };
}
