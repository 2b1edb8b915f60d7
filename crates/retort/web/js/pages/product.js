// One product: attributes, fair price and gap, peers, weekly price and units, price changes.

import { h, replace, money, signedMoney, pct, num, int, when, share } from '../dom.js';
import { get, ApiError, isAbort } from '../api.js';
import { loading, empty, errorBanner, pageHeader, section, facts, dataTable, stat, badge } from '../ui.js';
import { chartBox, draw } from '../charts.js';
import { has } from '../pricing.js';

const size = (p) => `${p.width_mm}/${p.aspect_ratio} R${p.rim_in}`;

/** Every page of a list (bounded), for small lists such as one product's weekly sales. */
async function all(path, query, signal, maxPages = 10) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i += 1) {
    const q = new URLSearchParams(query);
    if (cursor) q.set('cursor', cursor);
    const page = await get(path, q, { signal });
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

const unavailable = (e) => (e instanceof ApiError && (e.status === 404 || e.status === 405)
  ? h('p', { class: 'hint' }, 'Not available on this server yet.')
  : errorBanner(e));

function pricingCard(p, m) {
  if (!m) {
    return section('Fair price', h('p', { class: 'hint' }, 'No fair price yet: train the fair-price model from the ', h('a', { href: '/' }, 'overview'), ', and the catalogue will be scored.'));
  }
  const over = m.gap > 0;
  return section('Fair price',
    h('div', { class: 'stats' },
      stat('List price', money(m.list_price)),
      stat('Fair price', money(m.fair_price), m.model ? `${m.model.name || ''}` : null),
      stat('Gap', h('span', { class: over ? 'neg' : 'pos' }, signedMoney(m.gap)), pct(m.gap_pct)),
      stat('Peer z-score', num(m.peer_z), `against ${int(m.peer_count)} peers`),
      m.fair_low !== null && m.fair_low !== undefined
        ? stat('Fair range', `${money(m.fair_low)}–${money(m.fair_high)}`, m.outside_interval ? 'list price outside' : 'list price inside')
        : null),
    Math.abs(m.gap_pct) < 2
      ? h('p', {}, 'Listed close to its fair price.')
      : h('p', {}, badge(over ? 'over' : 'under'), ' ', over
        ? 'Listed above the price the model gives tires like it.'
        : 'Listed below the price the model gives tires like it.'));
}

async function peersCard(p, box, signal) {
  const q = { category: p.category, season: p.season, rim_in_min: p.rim_in, rim_in_max: p.rim_in, sort: '-mispricing', limit: 10 };
  try {
    const page = await get('/api/pricing/mispriced', q, { signal });
    const rows = page.items.filter((r) => r.sku !== p.sku);
    replace(box, h('h2', {}, 'Peers'),
      h('p', { class: 'hint' }, `${int(page.total)} ${p.category} ${p.season.replace('_', ' ')} tires on ${p.rim_in}" rims; the most mispriced:`),
      rows.length ? dataTable({
        caption: 'Peers',
        columns: [
          { key: 'sku', label: 'SKU', render: (r) => h('a', { href: `/products/${encodeURIComponent(r.sku)}` }, r.sku) },
          { key: 'brand', label: 'Brand' },
          { key: 'size', label: 'Size', render: size },
          { key: 'list_price', label: 'List', num: true, render: (r) => money(r.list_price) },
          { key: 'fair_price', label: 'Fair', num: true, render: (r) => money(r.fair_price) },
          { key: 'gap_pct', label: 'Gap', num: true, render: (r) => pct(r.gap_pct) },
        ],
        rows,
      }) : h('p', { class: 'hint' }, 'No peers.'),
      h('p', {}, h('a', { href: `/explorer?category=${encodeURIComponent(p.category)}&season=${encodeURIComponent(p.season)}&rim_in_min=${p.rim_in}&rim_in_max=${p.rim_in}` }, 'Open these in the explorer')));
  } catch (e) {
    if (isAbort(e)) return;
    replace(box, h('h2', {}, 'Peers'), unavailable(e));
  }
}

async function historyChart(p, box, signal) {
  let sales;
  try {
    sales = await all('/api/sales', { sku: p.sku, sort: 'week', limit: 1000 }, signal);
  } catch (e) {
    if (isAbort(e)) return;
    replace(box, h('h2', {}, 'Weekly price and units'), errorBanner(e));
    return;
  }
  if (!sales.length) {
    replace(box, h('h2', {}, 'Weekly price and units'), empty('No sales recorded', 'Import weekly sales (sku, week, price, units) to see the history.'));
    return;
  }
  const chart = chartBox(`Weekly price and units sold of ${p.sku}`, { tall: true });
  const units = sales.reduce((s, r) => s + r.units, 0);
  replace(box, h('h2', {}, 'Weekly price and units'),
    h('p', { class: 'hint' }, `${int(sales.length)} weeks, ${int(units)} units, ${sales[0].week} to ${sales[sales.length - 1].week}.`),
    chart);
  const weeks = sales.map((s) => s.week);
  await draw(chart, {
    data: [
      { type: 'bar', name: 'Units', x: weeks, y: sales.map((s) => s.units), marker: { color: '#9fb8d8' }, yaxis: 'y2', hovertemplate: '%{x}<br>%{y} units<extra></extra>' },
      { type: 'scatter', mode: 'lines+markers', name: 'Price', x: weeks, y: sales.map((s) => s.price), line: { color: '#1f5fa8', width: 2 }, marker: { size: 4 }, hovertemplate: '%{x}<br>$%{y:.2f}<extra></extra>' },
    ],
    layout: {
      xaxis: { type: 'date', title: { text: 'Week' } },
      yaxis: { title: { text: 'Price ($)' }, tickprefix: '$' },
      yaxis2: { title: { text: 'Units' }, overlaying: 'y', side: 'right', showgrid: false, rangemode: 'tozero', tickformat: ',d' },
      legend: { orientation: 'h', y: 1.12 },
      margin: { t: 30, r: 60, b: 48, l: 64 },
    },
  });
}

async function changesCard(p, box, signal) {
  try {
    const page = await get(`/api/products/${p.id}/price-changes`, { limit: 50 }, { signal });
    const items = page.items || [];
    replace(box, h('h2', {}, 'Price changes'),
      page.total > items.length ? h('p', { class: 'hint' }, `The latest ${int(items.length)} of ${int(page.total)}.`) : null,
      items.length ? dataTable({
      caption: 'Price changes',
      columns: [
        { key: 'changed_at', label: 'When', render: (c) => when(c.changed_at) },
        { key: 'old_price', label: 'From', num: true, render: (c) => money(c.old_price) },
        { key: 'new_price', label: 'To', num: true, render: (c) => money(c.new_price) },
        { key: 'change', label: 'Change', num: true, render: (c) => pct(c.old_price ? (c.new_price - c.old_price) / c.old_price : null, true) },
        { key: 'actor', label: 'By', render: (c) => c.actor || '—' },
        { key: 'proposal_id', label: 'Optimisation', render: (c) => (c.proposal_id ? h('a', { href: `/optimizations/${c.proposal_id}` }, `#${c.proposal_id}`) : '—') },
      ],
      rows: items,
    }) : empty('No price changes', 'Accepted optimisations are recorded here.'));
  } catch (e) {
    if (isAbort(e)) return;
    replace(box, h('h2', {}, 'Price changes'), unavailable(e));
  }
}

/** Draws the product page of `ctx.params.sku`. */
export async function render(view, ctx) {
  const sku = ctx.params.sku;
  const crumbs = h('p', { class: 'crumbs' }, h('a', { href: '/explorer' }, 'Explorer'), ' / ', sku);
  replace(view, crumbs, pageHeader(sku), loading('Loading the product…'));
  const { signal } = ctx;
  let product;
  let mispriced = null;
  const [pricing, audit] = await Promise.all([has('GET /api/pricing/mispriced'), has('GET /api/products/{id}/price-changes')]);
  try {
    const [list, m] = await Promise.all([
      get('/api/products', { sku, limit: 1 }, { signal }),
      pricing
        ? get('/api/pricing/mispriced', { sku, limit: 1 }, { signal }).catch((e) => { if (isAbort(e)) throw e; return { items: [], error: e }; })
        : { items: [] },
    ]);
    product = list.items[0];
    mispriced = m.items[0] || null;
  } catch (e) {
    if (isAbort(e)) throw e;
    replace(view, crumbs, pageHeader(sku), errorBanner(e));
    return null;
  }
  if (!product) {
    replace(view, crumbs, pageHeader(sku), empty('No such product', `No product has the sku ${sku}.`, h('a', { href: '/explorer' }, 'Back to the explorer')));
    return null;
  }
  const p = product;
  const peers = h('section', { class: 'card' }, h('h2', {}, 'Peers'), loading());
  const history = h('section', { class: 'card' }, h('h2', {}, 'Weekly price and units'), loading('Loading sales…'));
  const changes = h('section', { class: 'card' }, h('h2', {}, 'Price changes'), loading());
  replace(view, crumbs,
    pageHeader(`${p.brand} ${p.line}`, `${p.sku} · ${size(p)} ${p.load_index}${p.speed_rating} · ${p.category} · ${p.season.replace('_', ' ')}`),
    h('div', { class: 'grid' },
      section('Attributes', facts([
        ['SKU', h('code', {}, p.sku)],
        ['Brand', p.brand], ['Line', p.line], ['Category', p.category],
        ['Size', size(p)], ['Load index / speed', `${p.load_index} / ${p.speed_rating}`],
        ['Season', p.season.replace('_', ' ')],
        ['Tread warranty', p.tread_warranty_miles ? `${int(p.tread_warranty_miles)} miles` : '—'],
        ['Run-flat', p.runflat ? 'yes' : 'no'],
        ['Cost', money(p.cost)], ['List price', money(p.list_price)],
        ['Margin', share(p.list_price ? (p.list_price - p.cost) / p.list_price : null)],
        ['Updated', when(p.updated_at)],
      ])),
      pricingCard(p, mispriced)),
    history, h('div', { class: 'grid' }, peers, changes));
  const missing = (box, title) => replace(box, h('h2', {}, title), h('p', { class: 'hint' }, 'Not available on this server.'));
  await Promise.all([
    historyChart(p, history, signal),
    pricing ? peersCard(p, peers, signal) : missing(peers, 'Peers'),
    audit ? changesCard(p, changes, signal) : missing(changes, 'Price changes'),
  ]);
  return null;
}
