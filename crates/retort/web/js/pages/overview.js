// The overview: catalogue and model figures, the pricing charts, the most mispriced
// products, elasticities and recent optimisations.

import { h, replace, int, money, pct, num, num3f, when } from '../dom.js';
import { get, isAbort } from '../api.js';
import { loading, errorBanner, pageHeader, stat, section, dataTable, badge } from '../ui.js';
import { chartBox, drawFrom, purge } from '../charts.js';
import { has, notReady, readinessPanel, gapClass, tireSize } from '../pricing.js';

const total = (page) => (page && typeof page.total === 'number' ? page.total : null);

async function figures(box, signal) {
  const opt = (p) => p.catch((e) => { if (isAbort(e)) throw e; return null; });
  const pricing = await has('GET /api/pricing/mispriced');
  const [products, brands, models, running, over, under] = await Promise.all([
    opt(get('/api/products', { limit: 1 }, { signal })),
    opt(get('/api/brands', { limit: 1 }, { signal })),
    opt(get('/api/models', null, { signal })),
    opt(get('/api/jobs', { status: 'running', limit: 1 }, { signal })),
    pricing ? opt(get('/api/pricing/mispriced', { direction: 'over', limit: 1 }, { signal })) : null,
    pricing ? opt(get('/api/pricing/mispriced', { direction: 'under', limit: 1 }, { signal })) : null,
  ]);
  const versions = models ? models.items.reduce((s, m) => s + m.versions.length, 0) : null;
  replace(box,
    stat('Products', h('a', { href: '/explorer' }, int(total(products)))),
    stat('Brands', int(total(brands))),
    stat('Models', h('a', { href: '/models' }, int(models ? models.items.length : null)), versions !== null ? `${int(versions)} versions` : null),
    stat('Jobs running', h('a', { href: '/jobs?status=running' }, int(total(running)))),
    over ? stat('Over-priced', h('a', { href: '/explorer?direction=over' }, int(total(over))), 'list above fair') : null,
    under ? stat('Under-priced', h('a', { href: '/explorer?direction=under' }, int(total(under))), 'list below fair') : null);
}

function topMispriced(page) {
  return dataTable({
    caption: 'Most mispriced products',
    columns: [
      { key: 'sku', label: 'SKU', render: (r) => h('a', { href: `/products/${encodeURIComponent(r.sku)}` }, r.sku) },
      { key: 'brand', label: 'Brand' },
      { key: 'size', label: 'Size', render: tireSize },
      { key: 'list_price', label: 'List', num: true, render: (r) => money(r.list_price) },
      { key: 'fair_price', label: 'Fair', num: true, render: (r) => money(r.fair_price) },
      { key: 'gap_pct', label: 'Gap', num: true, render: (r) => h('span', { class: gapClass(r.gap) }, pct(r.gap_pct)) },
    ],
    rows: page.items,
  });
}

async function elasticities(box, signal) {
  try {
    const e = await get('/api/pricing/elasticities', null, { signal });
    replace(box, h('h2', {}, 'Price elasticities'),
      h('p', { class: 'hint' }, `By category and tier; estimated ${when(e.estimated_at)}. −1.5 means 1 % dearer sells 1.5 % fewer units.`),
      dataTable({
        caption: 'Price elasticities',
        columns: [
          { key: 'category', label: 'Category' },
          { key: 'tier', label: 'Tier', render: (r) => r.tier || '—' },
          { key: 'elasticity', label: 'Elasticity', num: true, render: (r) => num3f(r.elasticity) },
          { key: 'std_error', label: 'Std. error', num: true, render: (r) => num3f(r.std_error) },
          { key: 'observations', label: 'Weeks', num: true, render: (r) => int(r.observations) },
          { key: 'products', label: 'Products', num: true, render: (r) => int(r.products) },
        ],
        rows: e.items || [],
      }));
  } catch (err) {
    if (isAbort(err)) return;
    replace(box, h('h2', {}, 'Price elasticities'), errorBanner(err));
  }
}

async function recentOptimizations(box, signal) {
  try {
    const page = await get('/api/pricing/optimizations', { limit: 5, sort: '-id' }, { signal });
    replace(box, h('h2', {}, 'Recent optimisations'), page.items.length ? dataTable({
      caption: 'Recent optimisations',
      columns: [
        { key: 'id', label: 'Run', render: (o) => h('a', { href: `/optimizations/${o.id}` }, `#${o.id}`) },
        { key: 'status', label: 'Status', render: (o) => badge(o.status) },
        { key: 'objective', label: 'Objective', render: (o) => (o.params && o.params.objective) || '—' },
        { key: 'products', label: 'Products', num: true, render: (o) => int(o.totals && o.totals.products) },
        { key: 'profit_delta', label: 'Profit change', num: true, render: (o) => money(o.totals && o.totals.profit_delta) },
        { key: 'created_at', label: 'Created', render: (o) => when(o.created_at) },
      ],
      rows: page.items,
    }) : h('p', { class: 'hint' }, 'None yet. ', h('a', { href: '/optimizations' }, 'Run one'), ' to propose new prices.'));
  } catch (err) {
    if (isAbort(err)) return;
    replace(box, h('h2', {}, 'Recent optimisations'), errorBanner(err));
  }
}

/** Draws the overview. */
export async function render(view, ctx) {
  const { signal } = ctx;
  const stats = h('div', { class: 'stats', 'aria-label': 'Figures' }, loading('Loading figures…'));
  const pricing = h('div', { class: 'stack' });
  replace(view, pageHeader('Overview', 'The catalogue, its fair prices, and the models behind them.'), stats, pricing);
  const charts = [];
  let gate = null;
  const drawPricing = async () => {
    if (!(await has('GET /api/pricing/mispriced'))) {
      replace(pricing, section('Pricing', h('p', { class: 'hint' }, 'The pricing analysis is not available on this server.')));
      return;
    }
    replace(pricing, loading('Loading the pricing analysis…'));
    let top;
    try {
      top = await get('/api/pricing/mispriced', { limit: 10 }, { signal });
    } catch (e) {
      if (isAbort(e)) return;
      if (notReady(e)) {
        gate = readinessPanel(e, () => { figures(stats, signal); drawPricing(); });
        replace(pricing, gate.el);
      } else if (e.status === 404 || e.status === 405) {
        replace(pricing);
      } else {
        replace(pricing, errorBanner(e));
      }
      return;
    }
    const gaps = chartBox('Distribution of gaps between list and fair price');
    const scatter = chartBox('List price against fair price, by category');
    charts.push(gaps, scatter);
    const gapsTitle = h('h2', {}, 'Gap to fair price');
    const scatterTitle = h('h2', {}, 'List vs fair price');
    const topBox = section('Most mispriced', topMispriced(top), h('p', {}, h('a', { href: '/explorer' }, `All ${int(top.total)} in the explorer`)));
    const rows = [h('div', { class: 'grid' },
      h('section', { class: 'card' }, gapsTitle, gaps),
      h('section', { class: 'card' }, scatterTitle, scatter)),
    h('div', { class: 'grid' }, topBox)];
    const work = [
      drawFrom(gaps, () => get('/api/pricing/charts/gap-distribution', null, { signal }), { heading: gapsTitle }),
      drawFrom(scatter, () => get('/api/pricing/charts/price-scatter', null, { signal }), { heading: scatterTitle }),
    ];
    const [hasElasticities, hasElasticityChart, hasOptimizations] = await Promise.all([
      has('GET /api/pricing/elasticities'), has('GET /api/pricing/charts/elasticities'), has('GET /api/pricing/optimizations'),
    ]);
    if (hasElasticityChart) {
      const el = chartBox('Price elasticity by category and tier');
      const title = h('h2', {}, 'Elasticities');
      charts.push(el);
      rows[1].append(h('section', { class: 'card' }, title, el));
      work.push(drawFrom(el, () => get('/api/pricing/charts/elasticities', null, { signal }), { heading: title }));
    }
    const extra = h('div', { class: 'grid' });
    if (hasElasticities) {
      const box = h('section', { class: 'card' }, h('h2', {}, 'Price elasticities'), loading());
      extra.append(box);
      work.push(elasticities(box, signal));
    }
    if (hasOptimizations) {
      const box = h('section', { class: 'card' }, h('h2', {}, 'Recent optimisations'), loading());
      extra.append(box);
      work.push(recentOptimizations(box, signal));
    }
    replace(pricing, rows, extra.childElementCount ? extra : null,
      h('p', { class: 'hint' }, `Fair prices: ${top.model ? `${top.model.name} v${top.model.version}, scored ${when(top.model.scored_at)}` : '—'}`));
    await Promise.all(work);
  };
  await Promise.all([
    figures(stats, signal).catch((e) => { if (!isAbort(e)) replace(stats, errorBanner(e)); }),
    drawPricing(),
  ]);
  return { destroy: () => { charts.forEach(purge); if (gate) gate.stop(); } };
}
