// Jobs: the list (filters, cursor pages), live progress over SSE, cancel; one job's page.

import { h, replace, when, announce } from '../dom.js';
import { get, post, ApiError, isAbort } from '../api.js';
import { loading, empty, errorBanner, banner, pageHeader, badge, dataTable, cursorPager, firstPage, section, facts } from '../ui.js';
import { watchJob, progressBar, ENDED } from '../jobwatch.js';
import { can } from '../session.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const MAX_WATCHED = 10;

/** Where a job's outcome can be seen, if it belongs to a page of the dashboard. */
function relatedLink(job) {
  const p = job.params || {};
  const optimization = p.optimization ?? p.optimization_id;
  if (job.kind === 'optimize_prices' && optimization !== undefined) return h('a', { href: `/optimizations/${optimization}` }, `Optimisation #${optimization}`);
  if (job.kind === 'score_products' && p.model) return h('a', { href: `/models/${encodeURIComponent(p.model)}` }, `Model ${p.model}`);
  if (p.model && typeof p.model === 'string') return h('a', { href: `/models/${encodeURIComponent(p.model)}` }, `Model ${p.model}`);
  return null;
}

async function cancel(job, onDone, where) {
  try {
    const { data } = await post(`/api/jobs/${job.id}/cancel`, {});
    announce(`Cancellation of job ${job.id} requested`);
    onDone(data);
  } catch (e) {
    if (isAbort(e)) return;
    const msg = e instanceof ApiError && e.status === 409 ? `Job ${job.id} has already ended.` : null;
    where.prepend(msg ? banner(msg, 'warn') : errorBanner(e, `Cancelling job ${job.id}`));
  }
}

function cancelButton(job, onDone, where) {
  if (ENDED.has(job.status) || !can('jobs:cancel')) return null;
  return h('button', {
    type: 'button', disabled: job.cancel_requested, 'data-cancel': String(job.id),
    onclick: (e) => { e.currentTarget.disabled = true; cancel(job, onDone, where); },
  }, job.cancel_requested ? 'Cancelling…' : 'Cancel');
}

function listView(view, ctx) {
  const watchers = new Map();
  const stopAll = () => { watchers.forEach((stop) => stop()); watchers.clear(); };
  const results = h('div', {}, loading());
  const filters = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter jobs' });

  function drawFilters(q) {
    const statusSel = h('select', { id: 'job-status', name: 'status' },
      h('option', { value: '' }, 'Any status'),
      STATUSES.map((s) => h('option', { value: s, selected: q.get('status') === s }, s)));
    const kind = h('input', { id: 'job-kind', name: 'kind', value: q.get('kind') || '', placeholder: 'e.g. score_products', size: '18' });
    replace(filters,
      h('div', { class: 'range' },
        h('div', { class: 'field' }, h('label', { for: 'job-status' }, 'Status'), statusSel),
        h('div', { class: 'field' }, h('label', { for: 'job-kind' }, 'Kind'), kind),
        h('button', { type: 'submit', class: 'apply' }, 'Apply')));
    statusSel.addEventListener('change', () => filters.requestSubmit());
  }
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = firstPage(ctx.query);
    const data = new FormData(filters);
    for (const key of ['status', 'kind']) {
      const v = String(data.get(key) || '').trim();
      if (v) next.set(key, v); else next.delete(key);
    }
    ctx.setQuery(next, { state: { trail: [], offset: 0 } });
  });

  let listCtl = null;
  async function load(c) {
    ctx = c;
    stopAll();
    if (listCtl) listCtl.abort();
    listCtl = new AbortController();
    const { signal } = listCtl;
    drawFilters(c.query);
    const q = new URLSearchParams(c.query);
    if (!q.get('sort')) q.set('sort', '-id');
    if (!q.get('limit')) q.set('limit', '25');
    replace(results, loading('Loading jobs…'));
    let page;
    try {
      page = await get('/api/jobs', q, { signal });
    } catch (e) {
      if (isAbort(e)) return;
      replace(results, errorBanner(e));
      return;
    }
    const columns = [
      { key: 'id', label: 'Job', sort: 'id', defaultDesc: true, render: (j) => h('a', { href: `/jobs/${j.id}` }, `#${j.id}`) },
      { key: 'kind', label: 'Kind', sort: 'kind', render: (j) => h('code', {}, j.kind) },
      { key: 'status', label: 'Status', sort: 'status', render: (j) => badge(j.status) },
      { key: 'progress', label: 'Progress', render: (j) => progressBar(j) },
      { key: 'related', label: 'For', render: (j) => relatedLink(j) || '—' },
      { key: 'created_at', label: 'Queued', sort: 'created_at', render: (j) => when(j.created_at) },
      { key: 'finished_at', label: 'Ended', render: (j) => when(j.finished_at) },
      { key: 'actions', label: 'Actions', render: (j) => cancelButton(j, (updated) => refresh(updated), results) || '' },
    ];
    // A change redraws only the cells that move, so the focus (say, on a Cancel button) stays.
    const LIVE = new Set(['status', 'progress', 'finished_at']);
    const refresh = (job) => {
      const before = page.items.find((j) => j.id === job.id);
      page.items = page.items.map((j) => (j.id === job.id ? job : j));
      const link = results.querySelector(`a[href="/jobs/${job.id}"]`);
      const tr = link && link.closest('tr');
      if (!tr) return;
      columns.forEach((col, i) => {
        const actionsMoved = col.key === 'actions' && (!before || before.status !== job.status || before.cancel_requested !== job.cancel_requested);
        if (LIVE.has(col.key) || actionsMoved) replace(tr.cells[i], col.render(job));
      });
    };
    if (!page.items.length) {
      replace(results, empty('No jobs', c.query.toString() ? 'No job matches these filters.' : 'Jobs appear here when a model is trained, products are scored or an optimisation runs.'));
      return;
    }
    replace(results,
      dataTable({
        caption: 'Jobs',
        sort: q.get('sort'),
        onSort: (s) => { const n = firstPage(c.query); n.set('sort', s); c.setQuery(n, { state: { trail: [], offset: 0 } }); },
        columns,
        rows: page.items,
      }),
      cursorPager(c, page, 25));
    for (const job of page.items.filter((j) => !ENDED.has(j.status)).slice(0, MAX_WATCHED)) {
      watchers.set(job.id, watchJob(job.id, refresh));
    }
  }

  replace(view, pageHeader('Jobs', 'Background work: training, scoring and optimisations. Progress is live.'), filters, h('div', { class: 'card' }, results));
  load(ctx);
  return { update: load, destroy: () => { stopAll(); if (listCtl) listCtl.abort(); } };
}

async function detailView(view, ctx) {
  const id = ctx.params.id;
  let job;
  try {
    job = await get(`/api/jobs/${encodeURIComponent(id)}`, null, { signal: ctx.signal });
  } catch (e) {
    if (isAbort(e)) throw e;
    replace(view, pageHeader(`Job ${id}`), e instanceof ApiError && e.status === 404
      ? empty('No such job', `There is no job ${id}.`, h('a', { href: '/jobs' }, 'All jobs'))
      : errorBanner(e));
    return null;
  }
  // Built once; a change of the job redraws the parts that move (the focus stays put).
  const statusDd = h('span', {});
  const progressDd = h('span', {});
  const startedDd = h('span', {});
  const endedDd = h('span', {});
  const attemptsDd = h('span', {});
  const actions = h('div', { class: 'form-actions' });
  const outcome = h('div', {});
  const draw = (j) => {
    const before = job;
    job = j;
    replace(statusDd, badge(j.status));
    replace(progressDd, progressBar(j));
    replace(startedDd, when(j.started_at));
    replace(endedDd, when(j.finished_at));
    replace(attemptsDd, `${j.attempts} of ${j.max_attempts}`);
    if (before === j || before.status !== j.status || before.cancel_requested !== j.cancel_requested) replace(actions, cancelButton(j, draw, outcome));
    replace(outcome,
      j.error ? section('Error', h('pre', {}, j.error)) : null,
      j.result ? section('Result', h('pre', {}, JSON.stringify(j.result, null, 2))) : null);
  };
  const related = relatedLink(job);
  replace(view, h('p', { class: 'crumbs' }, h('a', { href: '/jobs' }, 'Jobs'), ' / ', `#${id}`),
    pageHeader(`Job ${id}`, job.kind),
    h('div', { class: 'grid' },
      section('Status', facts([
        ['Status', statusDd],
        ['Progress', progressDd],
        ['Kind', h('code', {}, job.kind)],
        ['Attempts', attemptsDd],
        ['Queued', when(job.created_at)],
        ['Started', startedDd],
        ['Ended', endedDd],
        related ? ['For', related] : null,
      ]), actions),
      section('Parameters', h('pre', {}, JSON.stringify(job.params, null, 2)))),
    outcome);
  draw(job);
  const stop = ENDED.has(job.status) ? () => {} : watchJob(job.id, draw);
  return { destroy: stop };
}

/** Draws the jobs list or one job. */
export function render(view, ctx) {
  return ctx.view === 'detail' ? detailView(view, ctx) : listView(view, ctx);
}
