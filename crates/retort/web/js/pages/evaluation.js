// Evaluation: how good the analysis is on the current data — the fair-price model on
// its holdout, its interval's coverage, the elasticities' standard errors and, on the
// demo catalogue, how many planted mispricings it finds.

import { h, replace, int, num3f, share, when } from '../dom.js';
import { get, isAbort } from '../api.js';
import { loading, errorBanner, pageHeader, stat, section, dataTable, facts, badge } from '../ui.js';
import { notReady, readinessPanel } from '../pricing.js';

const MISSING = (text) => h('p', { class: 'hint' }, text);

function modelCard(e) {
  const ho = e.holdout;
  return section('Fair-price model',
    ho ? h('div', { class: 'stats' },
      stat('R²', num3f(ho.r2), 'on held-out products'),
      stat('MAPE', share(ho.mape), 'mean absolute % error'),
      stat('Held out', int(ho.rows), `of ${int(e.scored)} scored`))
      : MISSING('This version did not report holdout metrics (it was trained outside Retort).'),
    h('p', { class: 'hint' }, `${e.model} version ${e.version}. `, h('a', { href: `/models/${encodeURIComponent(e.model)}` }, 'Model page')));
}

function intervalCard(e) {
  const iv = e.interval;
  if (!iv) return section('Fair-price interval', MISSING('This version has no interval: retrain the fair-price model to calibrate one.'));
  const width = Math.exp(iv.log_halfwidth) - 1;
  const gap = iv.holdout_coverage - iv.coverage;
  return section('Fair-price interval',
    h('div', { class: 'stats' },
      stat('Coverage asked', share(iv.coverage)),
      stat('Coverage reached', share(iv.holdout_coverage), 'held-out products inside, each half calibrated on the other'),
      stat('Width', `−${share(1 - Math.exp(-iv.log_halfwidth))} / +${share(width)}`, 'around each fair price')),
    h('p', { class: 'hint' }, `Split conformal on ${int(iv.calibration_rows)} held-out products. `,
      Math.abs(gap) <= 0.03 ? 'The coverage reached is close to the coverage asked.' : `The coverage reached is ${gap > 0 ? 'above' : 'below'} the coverage asked by ${share(Math.abs(gap))}.`,
      ' ', h('a', { href: '/explorer?outside_interval=true' }, 'Products outside their interval')));
}

function elasticitiesCard(e) {
  const el = e.elasticities;
  if (!el) return section('Elasticities', MISSING('No estimates yet: they are made from the sales history.'));
  return section('Elasticities',
    h('p', { class: 'hint' }, `${el.method}; estimated ${when(el.estimated_at)} from ${int(el.sales_rows)} sales rows. `, el.stale ? badge('stale') : null),
    dataTable({
      caption: 'Elasticity estimates and their standard errors',
      columns: [
        { key: 'category', label: 'Category' },
        { key: 'tier', label: 'Tier', render: (r) => r.tier || '—' },
        { key: 'elasticity', label: 'Elasticity', num: true, render: (r) => num3f(r.elasticity) },
        { key: 'std_error', label: 'Std. error', num: true, render: (r) => num3f(r.std_error) },
        { key: 'ci', label: '95 % interval', num: true, render: (r) => `${num3f(r.elasticity - 1.96 * r.std_error)} to ${num3f(r.elasticity + 1.96 * r.std_error)}` },
        { key: 'zero_share', label: 'Weeks with no sale', num: true, render: (r) => share(r.zero_share) },
        { key: 'products', label: 'Products', num: true, render: (r) => int(r.products) },
      ],
      rows: el.items || [],
    }));
}

function plantedCard(e) {
  const p = e.planted;
  if (!p) return section('Planted mispricings', MISSING('There is no ground truth in this catalogue: the demo plants known mispricings to measure against.'));
  const flag = p.outside_interval;
  return section('Planted mispricings',
    h('div', { class: 'stats' },
      stat('Precision@100', share(p.precision_at_100), 'of the 100 most mispriced, planted'),
      stat('Precision@1000', share(p.precision_at_1000)),
      stat('Top 2 %', share(p.recall_top_2pct_relative), 'of planted ones, by relative gap'),
      stat('Direction', share(p.direction_agreement), 'over/under as planted')),
    facts([
      ['Planted among the scored', int(p.products)],
      ['Top 2 % by dollar gap', share(p.recall_top_2pct_dollars)],
      flag ? ['Outside their interval', `${int(flag.flagged)} products: ${share(flag.precision)} planted; ${share(flag.recall)} of the planted ones`] : null,
    ]));
}

/** Draws the evaluation page. */
export async function render(view, ctx) {
  const { signal } = ctx;
  const body = h('div', { class: 'stack' }, loading('Evaluating…'));
  replace(view, pageHeader('Evaluation', 'How good the analysis is on the current data.'), body);
  let gate = null;
  const draw = async () => {
    try {
      const e = await get('/api/pricing/evaluation', { k: 100 }, { signal });
      replace(body,
        h('div', { class: 'grid' }, modelCard(e), intervalCard(e)),
        h('div', { class: 'grid' }, plantedCard(e)),
        elasticitiesCard(e));
    } catch (err) {
      if (isAbort(err)) return;
      if (notReady(err)) {
        gate = readinessPanel(err, draw);
        replace(body, gate.el);
      } else {
        replace(body, errorBanner(err));
      }
    }
  };
  await draw();
  return { destroy: () => { if (gate) gate.stop(); } };
}
