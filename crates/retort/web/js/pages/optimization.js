// One optimisation: progress while it runs, then totals, the chart and the proposed
// prices (filter, sort, pages in the URL); accept all or selected, or reject.

import { h, replace, int, money, signedMoney, pct, num, when, announce } from '../dom.js';
import { get, post, ApiError, isAbort } from '../api.js';
import { loading, empty, errorBanner, banner, dataTable, cursorPager, firstPage, badge, stat, section, facts, confirmDialog, showFieldErrors } from '../ui.js';
import { chartBox, drawFrom, purge } from '../charts.js';
import { watchJob, progressBar } from '../jobwatch.js';
import { scopeText } from './optimizations.js';
import { can, cannot, currentCaller } from '../session.js';

const ITEM_FILTERS = ['sku', 'brand', 'category', 'status', 'binding'];
const BINDINGS = ['max_increase', 'max_decrease', 'min_margin', 'zero_demand', 'ladder_above', 'ladder_below'];
const OPEN = new Set(['ready', 'partially_accepted']);

const change = (before, after) => (before ? pct((after - before) / before, true) : '—');

function totalsView(t) {
  if (!t) return null;
  const cls = (v) => (v > 0 ? 'pos' : v < 0 ? 'neg' : '');
  return h('div', { class: 'stats' },
    stat('Products', int(t.products), t.changed !== undefined ? `${int(t.changed)} with a new price` : null),
    stat('Profit a week', h('span', { class: cls(t.profit_delta) }, signedMoney(t.profit_delta)), `${money(t.profit_before)} → ${money(t.profit_after)} (${change(t.profit_before, t.profit_after)})`),
    stat('Revenue a week', h('span', { class: cls(t.revenue_after - t.revenue_before) }, signedMoney(t.revenue_after - t.revenue_before)), `${money(t.revenue_before)} → ${money(t.revenue_after)}`),
    stat('Units a week', int(t.units_after), `from ${int(t.units_before)} (${change(t.units_before, t.units_after)})`));
}

function paramsView(o) {
  const p = o.params || {};
  return facts([
    ['Status', badge(o.status)],
    ['Scope', scopeText(p)],
    ['Objective', p.objective || '—'],
    ['Demand', p.demand_model === 'linear' ? 'linear at today\'s price' : 'constant elasticity, q0·(p/p0)^e'],
    ['Largest change', p.max_change_pct === null || p.max_change_pct === undefined ? 'none' : `${num(p.max_change_pct)} %`],
    ['Smallest margin', p.min_margin_pct === null || p.min_margin_pct === undefined ? 'none' : `${num(p.min_margin_pct)} %`],
    ['Price ladder', p.price_ladder ? 'kept' : 'ignored'],
    ['Price ending', p.price_ending ? `.${String(p.price_ending).split('.')[1] || p.price_ending}` : 'to the cent'],
    ['Baseline', p.baseline_weeks ? `last ${int(p.baseline_weeks)} weeks of sales` : '—'],
    o.totals && o.totals.solver_status ? ['Solver', `${o.totals.solver_status}, ${int(o.totals.steps || 1)} step${(o.totals.steps || 1) === 1 ? '' : 's'}, ${int(o.totals.iterations)} iterations, ${o.totals.solve_seconds < 1 ? `${int(o.totals.solve_seconds * 1000)} ms` : `${num(o.totals.solve_seconds)} s`}`] : null,
    o.decided_by ? ['Decided by', o.decided_by] : null,
    ['Job', o.job_id ? h('a', { href: `/jobs/${o.job_id}` }, `#${o.job_id}`) : '—'],
    ['Created', when(o.created_at)],
  ]);
}

function itemFilters(ctx) {
  const q = ctx.query;
  const form = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter proposed prices' },
    h('div', { class: 'range' },
      h('div', { class: 'field' }, h('label', { for: 'i-sku' }, 'SKU'), h('input', { id: 'i-sku', name: 'sku', value: q.get('sku') || '', size: '16', 'data-path': '/sku' })),
      h('div', { class: 'field' }, h('label', { for: 'i-brand' }, 'Brand'), h('input', { id: 'i-brand', name: 'brand', value: q.get('brand') || '', size: '12', 'data-path': '/brand' })),
      h('div', { class: 'field' }, h('label', { for: 'i-category' }, 'Category'), h('input', { id: 'i-category', name: 'category', value: q.get('category') || '', size: '12', 'data-path': '/category' })),
      h('div', { class: 'field' }, h('label', { for: 'i-status' }, 'Decision'),
        h('select', { id: 'i-status', name: 'status', 'data-path': '/status' }, h('option', { value: '' }, 'any'),
          ['pending', 'accepted', 'rejected'].map((s) => h('option', { value: s, selected: q.get('status') === s }, s)))),
      h('div', { class: 'field' }, h('label', { for: 'i-binding' }, 'Held by'),
        h('select', { id: 'i-binding', name: 'binding', 'data-path': '/binding' }, h('option', { value: '' }, 'any constraint'),
          BINDINGS.map((s) => h('option', { value: s, selected: q.get('binding') === s }, s.replace(/_/g, ' '))))),
      h('button', { type: 'submit' }, 'Apply')),
    h('div', { class: 'form-errors' }));
  const apply = () => {
    const next = firstPage(ctx.query);
    const data = new FormData(form);
    for (const k of ITEM_FILTERS) {
      const v = String(data.get(k) || '').trim();
      if (v) next.set(k, v); else next.delete(k);
    }
    ctx.setQuery(next, { state: { trail: [], offset: 0 } });
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  form.addEventListener('change', (e) => { if (e.target.tagName === 'SELECT') apply(); });
  return form;
}

/** Draws optimisation `ctx.params.id`. */
export async function render(view, ctx) {
  const id = ctx.params.id;
  const crumbs = h('p', { class: 'crumbs' }, h('a', { href: '/optimizations' }, 'Optimisation'), ' / ', `#${id}`);
  const subtitle = h('p', { class: 'subtitle' });
  const head = h('div', { class: 'page-head' }, h('div', {}, h('h1', { tabindex: '-1' }, `Optimisation #${id}`), subtitle));
  const top = h('div', {}, loading('Loading the optimisation…'));
  const itemsBox = h('div', {});
  replace(view, crumbs, head, top, itemsBox);
  const selected = new Set();
  let stop = () => {};
  let chart = null;
  let proposal = null;
  let itemsCtl = null;

  const actionBar = h('form', { class: 'decision', 'aria-label': 'Decide on the proposal', novalidate: true, onsubmit: (e) => e.preventDefault() });
  let pending = 0;
  const isOpen = () => proposal && OPEN.has(proposal.status) && pending > 0;
  const drawActions = () => {
    if (!isOpen()) { replace(actionBar); return; }
    if (!can('decisions:approve')) {
      replace(actionBar, h('p', { class: 'note', 'data-cannot-decide': '' }, cannot('Accepting or rejecting prices', 'decisions:approve')));
      return;
    }
    replace(actionBar,
      h('div', { class: 'form-errors' }),
      h('div', { class: 'form-actions' },
        h('span', { class: 'note', 'data-decider': '' }, `Recorded as ${currentCaller().name}`),
        h('button', { type: 'button', class: 'primary', 'data-accept-selected': '', disabled: selected.size === 0, onclick: () => decide('accept', [...selected]) }, `Accept selected (${int(selected.size)})`),
        h('button', { type: 'button', 'data-accept-all': '', onclick: () => decide('accept', null) }, `Accept all ${int(pending)} pending`),
        h('button', { type: 'button', class: 'danger', 'data-reject': '', onclick: () => decide('reject') }, selected.size ? 'Reject selected' : 'Reject all pending'),
        selected.size ? h('button', { type: 'button', class: 'link', onclick: () => { selected.clear(); loadItems(ctx); } }, 'Clear selection') : null));
  };

  async function decide(kind, chosen) {
    const skus = chosen || (kind === 'reject' && selected.size ? [...selected] : null);
    const n = skus ? skus.length : pending;
    const ok = await confirmDialog(kind === 'reject'
      ? { title: `Reject ${int(n)} proposed ${n === 1 ? 'price' : 'prices'}?`, body: h('p', {}, 'Their list prices stay as they are; the proposal keeps the decision.'), confirm: 'Reject', danger: true }
      : { title: skus ? `Accept ${int(n)} selected ${n === 1 ? 'price' : 'prices'}?` : `Accept all ${int(n)} pending prices?`,
        body: [h('p', {}, `${int(n)} list ${n === 1 ? 'price changes' : 'prices change'} now; every change is recorded with its old and new price.`),
          !skus && proposal.totals && proposal.status === 'ready' ? h('p', {}, `Expected profit change: ${signedMoney(proposal.totals.profit_delta)} a week.`) : null],
        confirm: 'Accept' });
    if (!ok) return;
    const body = skus ? { skus } : {};
    try {
      const { data } = await post(`/api/pricing/optimizations/${encodeURIComponent(id)}/${kind}`, body);
      selected.clear();
      const changed = data.changed ?? data.accepted ?? 0;
      const conflicts = data.conflicts ?? [];
      const msg = kind === 'reject'
        ? `${int(changed)} proposed ${changed === 1 ? 'price' : 'prices'} rejected.`
        : `${int(changed)} ${changed === 1 ? 'price' : 'prices'} changed${data.unchanged ? `, ${int(data.unchanged)} already decided` : ''}.`;
      // Products whose price changed since the proposal stay pending: say which.
      const shown = conflicts.slice(0, 10).map((c) => c.sku).join(', ');
      const warn = conflicts.length
        ? ` ${int(conflicts.length)} left pending because their price changed since the proposal: ${shown}${conflicts.length > 10 ? ', …' : ''}.`
        : '';
      announce(msg + warn);
      await load(ctx, banner(msg + warn, conflicts.length ? 'warn' : 'success'));
    } catch (e) {
      showFieldErrors(actionBar, e);
    }
  }

  async function loadItems(c) {
    ctx = c;
    if (itemsCtl) itemsCtl.abort();
    itemsCtl = new AbortController();
    const q = new URLSearchParams();
    for (const k of [...ITEM_FILTERS, 'sort', 'limit', 'cursor']) if (c.query.get(k)) q.set(k, c.query.get(k));
    if (!q.get('sort')) q.set('sort', '-profit_delta');
    const filters = itemFilters(c);
    const tableBox = h('div', {}, loading('Loading proposed prices…'));
    replace(itemsBox, section('Proposed prices', filters, actionBar, tableBox));
    drawActions();
    let page;
    try {
      page = await get(`/api/pricing/optimizations/${encodeURIComponent(id)}/items`, q, { signal: itemsCtl.signal });
    } catch (e) {
      if (isAbort(e)) return;
      replace(tableBox, errorBanner(e));
      return;
    }
    const open = isOpen();
    replace(tableBox, page.items.length ? [dataTable({
      caption: 'Proposed prices',
      sort: q.get('sort'),
      onSort: (s) => { const n = firstPage(c.query); n.set('sort', s); c.setQuery(n, { state: { trail: [], offset: 0 } }); },
      select: open ? {
        isSelected: (r) => selected.has(r.sku),
        canSelect: (r) => r.status === 'pending',
        label: (r) => `Select ${r.sku}`,
        onToggle: (r, on) => {
          if (on) selected.add(r.sku); else selected.delete(r.sku);
          const all = tableBox.querySelector('[data-select-all]');
          if (all) all.checked = page.items.filter((x) => x.status === 'pending').every((x) => selected.has(x.sku));
          drawActions();
        },
        onToggleAll: (rows, on) => {
          rows.forEach((r) => (on ? selected.add(r.sku) : selected.delete(r.sku)));
          tableBox.querySelectorAll('td.select input').forEach((box) => { if (!box.disabled) box.checked = on; });
          drawActions();
        },
      } : null,
      rowClass: (r) => `row-${r.status}`,
      columns: [
        { key: 'sku', label: 'SKU', sort: 'sku', render: (r) => h('a', { href: `/products/${encodeURIComponent(r.sku)}` }, r.sku) },
        { key: 'brand', label: 'Brand', sort: 'brand' },
        { key: 'category', label: 'Category' },
        { key: 'old_price', label: 'Now', num: true, sort: 'old_price', defaultDesc: true, render: (r) => money(r.old_price) },
        { key: 'new_price', label: 'Proposed', num: true, sort: 'new_price', defaultDesc: true, render: (r) => money(r.new_price) },
        { key: 'change_pct', label: 'Change', num: true, sort: 'change_pct', defaultDesc: true, render: (r) => pct(r.change_pct) },
        { key: 'expected_units', label: 'Units', num: true, render: (r) => `${int(r.baseline_units)} → ${int(r.expected_units)}` },
        { key: 'elasticity', label: 'Elasticity', num: true, render: (r) => num(r.elasticity) },
        { key: 'profit_delta', label: 'Profit Δ', num: true, sort: 'profit_delta', defaultDesc: true, render: (r) => h('span', { class: r.profit_delta >= 0 ? 'pos' : 'neg' }, signedMoney(r.profit_delta)) },
        { key: 'revenue_delta', label: 'Revenue Δ', num: true, sort: 'revenue_delta', defaultDesc: true, render: (r) => signedMoney(r.revenue_delta) },
        { key: 'binding', label: 'Held by', render: (r) => ((r.binding || []).length ? r.binding.map((b) => h('span', { class: 'chip' }, b.replace(/_/g, ' '))) : '—') },
        { key: 'status', label: 'Decision', render: (r) => badge(r.status) },
      ],
      rows: page.items,
    }), cursorPager(c, page, 50)] : empty('No proposed price matches', 'Change the filters above.'));
  }

  async function load(c, notice) {
    let o;
    try {
      o = await get(`/api/pricing/optimizations/${encodeURIComponent(id)}`, null, { signal: c.signal });
    } catch (e) {
      if (isAbort(e)) return;
      replace(top, e instanceof ApiError && e.status === 404
        ? empty('No such optimisation', `There is no optimisation ${id}.`, h('a', { href: '/optimizations' }, 'All optimisations'))
        : errorBanner(e));
      return;
    }
    proposal = o;
    replace(subtitle, badge(o.status), ' ', o.params && o.params.objective ? `Maximise ${o.params.objective} · ` : '', scopeText(o.params));
    if (o.status === 'queued' || o.status === 'running') {
      const bar = h('div', {}, progressBar({ id: o.job_id, status: o.status, progress: { fraction: 0, message: 'waiting for a worker' } }));
      replace(top, section('Running', h('p', {}, 'Estimating demand and solving for the best prices within the constraints…'), bar, paramsView(o)));
      replace(itemsBox);
      stop();
      stop = o.job_id ? watchJob(o.job_id, (job) => {
        replace(bar, progressBar(job));
        if (['succeeded', 'failed', 'cancelled'].includes(job.status)) { stop(); load(ctx); }
      }) : () => {};
      return;
    }
    if (o.status === 'failed') {
      replace(top, notice || null, errorBanner(new Error(o.error || 'The optimisation failed.')), section('Parameters', paramsView(o)));
      replace(itemsBox);
      return;
    }
    pending = 0;
    if (OPEN.has(o.status)) {
      try {
        pending = (await get(`/api/pricing/optimizations/${encodeURIComponent(id)}/items`, { status: 'pending', limit: 1 }, { signal: c.signal })).total;
      } catch (e) {
        if (isAbort(e)) return;
      }
    }
    if (chart) purge(chart);
    chart = chartBox('Profit before and after, by category');
    const chartTitle = h('h2', {}, 'Price changes');
    replace(top, notice || null, totalsView(o.totals),
      h('div', { class: 'grid' }, section('Parameters', paramsView(o)), h('section', { class: 'card' }, chartTitle, chart)));
    drawFrom(chart, () => get(`/api/pricing/optimizations/${encodeURIComponent(id)}/chart`, null, { signal: c.signal }), { heading: chartTitle });
    await loadItems(c);
  }

  await load(ctx);
  return {
    update: (c) => loadItems(c),
    destroy: () => { stop(); if (itemsCtl) itemsCtl.abort(); if (chart) purge(chart); },
  };
}
