// The mispricing explorer: filters with facet counts, a sortable cursor-paged table, the
// list-vs-fair scatter and a CSV export of the view. The URL holds the whole state.

import { h, replace, money, signedMoney, pct, num, int, when } from '../dom.js';
import { get, url, isAbort } from '../api.js';
import { loading, empty, errorBanner, banner, pageHeader, dataTable, cursorPager, firstPage, showFieldErrors } from '../ui.js';
import { chartBox, drawFrom, purge } from '../charts.js';
import { filterForm, onlyFilters } from '../filters.js';
import { notReady, readinessPanel, gapClass, tireSize } from '../pricing.js';

const DEFAULT_SORT = '-mispricing';
const SCOPE_KEYS = new Set(['q', 'brand', 'category', 'season', 'rim_in_min', 'rim_in_max', 'list_price_min', 'list_price_max']);

const COLUMNS = [
  { key: 'sku', label: 'SKU', sort: 'sku', render: (r) => h('a', { href: `/products/${encodeURIComponent(r.sku)}` }, r.sku) },
  { key: 'brand', label: 'Brand', sort: 'brand' },
  { key: 'list_price', label: 'List', num: true, sort: 'list_price', defaultDesc: true, render: (r) => money(r.list_price) },
  { key: 'fair_price', label: 'Fair', num: true, sort: 'fair_price', defaultDesc: true, render: (r) => money(r.fair_price) },
  { key: 'interval', label: 'Fair range', num: true, render: (r) => (r.fair_low === null || r.fair_low === undefined ? '—'
    : h('span', { class: r.outside_interval ? gapClass(r.gap) : null, title: r.outside_interval ? 'List price outside the interval' : 'List price inside the interval' }, `${money(r.fair_low)}–${money(r.fair_high)}`)) },
  { key: 'gap', label: 'Gap', num: true, sort: 'gap', defaultDesc: true, render: (r) => h('span', { class: gapClass(r.gap) }, signedMoney(r.gap)) },
  { key: 'gap_pct', label: 'Gap %', num: true, sort: 'gap_pct', defaultDesc: true, render: (r) => h('span', { class: gapClass(r.gap) }, pct(r.gap_pct)) },
  { key: 'peer_z', label: 'Peer z', num: true, sort: 'peer_z', defaultDesc: true, render: (r) => num(r.peer_z) },
  { key: 'size', label: 'Size', render: tireSize },
  { key: 'category', label: 'Category', render: (r) => r.category.replace('_', ' ') },
  { key: 'season', label: 'Season', render: (r) => r.season.replace('_', ' ') },
  { key: 'line', label: 'Line' },
  { key: 'mispricing', label: '|log ratio|', num: true, sort: 'mispricing', defaultDesc: true, render: (r) => num(r.mispricing) },
  { key: 'peer_count', label: 'Peers', num: true, render: (r) => int(r.peer_count) },
];

/** Draws the explorer; `update` follows URL changes without rebuilding the filters' focus. */
export function render(view, ctx) {
  const csv = h('a', { class: 'button', href: '/api/pricing/mispriced?format=csv', download: 'mispriced.csv', 'data-csv': '' }, 'Export CSV');
  const optimise = h('a', { class: 'button', href: '/optimizations', 'data-optimise': '' }, 'Optimise these prices');
  const subtitle = h('p', { class: 'subtitle' }, 'List prices against the fair-price model: the most mispriced first.');
  const sidebar = h('aside', { class: 'card sidebar', 'aria-label': 'Filters' }, h('h2', {}, 'Filters'), loading('Loading filters…'));
  // Open beside the table on wide screens; folded above it on narrow ones until opened.
  let filtersOpen = !window.matchMedia('(max-width: 900px)').matches;
  const filterBox = (form, c) => {
    const active = [...new Set([...onlyFilters(c.query).keys()])].length;
    const box = h('details', { class: 'filter-box', open: filtersOpen },
      h('summary', {}, h('h2', {}, active ? `Filters (${active} active)` : 'Filters')), form);
    box.addEventListener('toggle', () => { filtersOpen = box.open; });
    return box;
  };
  const notices = h('div', {});
  const tableBox = h('div', { class: 'card' }, loading('Loading products…'));
  const chart = chartBox('List price against fair price of the filtered products', { tall: true });
  const chartTitle = h('h2', {}, 'List vs fair price');
  const chartCard = h('section', { class: 'card' }, chartTitle, chart);
  const main = h('div', { class: 'stack results' }, notices, tableBox, chartCard);
  const head = h('div', { class: 'page-head' },
    h('div', {}, h('h1', { tabindex: '-1' }, 'Mispricing explorer'), subtitle),
    h('div', { class: 'actions' }, optimise, csv));
  replace(view, head, h('div', { class: 'with-sidebar' }, sidebar, main));

  let lastFilters = null;
  let tableCtl = null;
  let filtersCtl = null;
  let gate = null;
  let firstTable = true;

  const applyFilters = (filters, focusId) => {
    const next = new URLSearchParams(filters);
    const sort = ctx.query.get('sort');
    const limit = ctx.query.get('limit');
    if (sort) next.set('sort', sort);
    if (limit) next.set('limit', limit);
    ctx.setQuery(next, { state: { trail: [], offset: 0, focus: focusId || null } });
  };

  let lastFacets = null;
  const drawFilters = (c, facets, total) => {
    const focusId = (document.activeElement && sidebar.contains(document.activeElement) && document.activeElement.id) || (c.state && c.state.focus);
    replace(sidebar, filterBox(filterForm({ query: c.query, facets, total, onChange: applyFilters }), c));
    const el = focusId && document.getElementById(focusId);
    if (el) el.focus({ preventScroll: true });
  };

  async function loadFilters(c, filters, signal) {
    // The URL's filters at once (with the counts known so far), then the new counts.
    if (lastFacets) drawFilters(c, lastFacets.facets);
    try {
      const facets = await get('/api/pricing/mispriced/facets', filters, { signal });
      lastFacets = facets;
      drawFilters(c, facets.facets, facets.total);
    } catch (e) {
      if (isAbort(e)) return;
      const form = filterForm({ query: c.query, onChange: applyFilters });
      replace(sidebar, filterBox(form, c));
      if (!notReady(e)) showFieldErrors(form, e);
    }
  }

  async function loadTable(c, signal) {
    const q = new URLSearchParams(c.query);
    if (!q.get('sort')) q.set('sort', DEFAULT_SORT);
    replace(tableBox, loading('Loading products…'));
    let page;
    try {
      page = await get('/api/pricing/mispriced', q, { signal });
    } catch (e) {
      if (isAbort(e)) return;
      if (notReady(e)) {
        if (gate) gate.stop();
        gate = readinessPanel(e, () => { lastFilters = null; load(ctx); });
        replace(tableBox, gate.el);
        replace(chartCard);
        return;
      }
      replace(tableBox, errorBanner(e));
      return;
    }
    const m = page.model || {};
    replace(subtitle, `${int(page.total)} products · fair prices from ${m.name || 'the model'} v${m.version || '?'}, scored ${when(m.scored_at)}`);
    replace(notices, m.stale ? banner(['The catalogue or the model changed since scoring; new scores are being computed', m.rescore_job ? [' (', h('a', { href: `/jobs/${m.rescore_job}` }, `job #${m.rescore_job}`), ')'] : null, '.'], 'warn') : null);
    if (!page.items.length) {
      replace(tableBox, empty('No product matches', 'Loosen the filters to see products.', h('button', { type: 'button', onclick: () => applyFilters(new URLSearchParams()) }, 'Clear filters')));
    } else {
      replace(tableBox,
        dataTable({
          caption: 'Mispriced products',
          columns: COLUMNS,
          rows: page.items,
          sort: q.get('sort'),
          onSort: (s) => { const n = firstPage(c.query); n.set('sort', s); c.setQuery(n, { state: { trail: [], offset: 0 } }); },
        }),
        cursorPager(c, page, 50));
    }
    if (firstTable) {
      firstTable = false;
      performance.mark('explorer:table-filled');
    }
  }

  async function load(c) {
    ctx = c;
    // A new sort or page cancels the table's request only; new filters cancel all.
    if (tableCtl) tableCtl.abort();
    tableCtl = new AbortController();
    const filters = onlyFilters(c.query);
    const exportQuery = new URLSearchParams(filters);
    const sort = c.query.get('sort');
    if (sort) exportQuery.set('sort', sort);
    exportQuery.set('format', 'csv');
    csv.href = url('/api/pricing/mispriced', exportQuery);
    // An optimisation's scope takes product filters only (not direction, tier or gaps).
    const scope = new URLSearchParams();
    for (const [k, v] of filters) if (SCOPE_KEYS.has(k)) scope.append(k, v);
    optimise.href = url('/optimizations', scope);
    const filtersChanged = lastFilters === null || lastFilters !== filters.toString();
    lastFilters = filters.toString();
    const table = loadTable(c, tableCtl.signal);
    const work = [table];
    if (filtersChanged) {
      if (filtersCtl) filtersCtl.abort();
      filtersCtl = new AbortController();
      const { signal } = filtersCtl;
      // The figure is fetched at once, but drawn (and plotly.js, 4.8 MB, parsed) only
      // once the table is filled: the table comes first.
      if (!chartCard.contains(chart)) replace(chartCard, chartTitle, chart);
      purge(chart);
      replace(chart, loading('Loading chart…'));
      // The facet counts (a count per value of every facet) are the heaviest query:
      // asked for once the table's page is in.
      work.push(table.then(() => (signal.aborted ? null : loadFilters(c, filters, signal))));
      const figure = get('/api/pricing/charts/price-scatter', filters, { signal });
      figure.catch(() => {});
      work.push(drawFrom(chart, async () => { await table; return figure; }, { heading: chartTitle }));
    }
    await Promise.all(work);
  }

  load(ctx);
  return {
    update: load,
    destroy: () => { [tableCtl, filtersCtl].forEach((ctl) => ctl && ctl.abort()); if (gate) gate.stop(); purge(chart); },
  };
}
