// Jobs: the list (filters, cursor pages), live progress over SSE, cancel; one job's page.

import { h, replace, when, announce } from '../dom.js';
import { get, post, ApiError, isAbort } from '../api.js';
import { loading, empty, errorBanner, banner, pageHeader, badge, dataTable, cursorPager, firstPage, section, facts } from '../ui.js';
import { watchJob, progressBar, ENDED } from '../jobwatch.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const MAX_WATCHED = 10;

/** Where a job's outcome can be seen, if it belongs to a page of the dashboard. */
function relatedLink(job) {
  const p = job.params || {};
  if (p.optimization_id !== undefined) return h('a', { href: `/optimizations/${p.optimization_id}` }, `Optimisation ${p.optimization_id}`);
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
  if (ENDED.has(job.status)) return null;
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

  async function load(c) {
    ctx = c;
    stopAll();
    drawFilters(c.query);
    const q = new URLSearchParams(c.query);
    if (!q.get('sort')) q.set('sort', '-id');
    if (!q.get('limit')) q.set('limit', '25');
    replace(results, loading('Loading jobs…'));
    let page;
    try {
      page = await get('/api/jobs', q, { signal: c.signal });
    } catch (e) {
      if (isAbort(e)) return;
      replace(results, errorBanner(e));
      return;
    }
    const rows = new Map(page.items.map((j) => [j.id, j]));
    const redraw = () => drawTable(page, rows);
    const drawTable = () => {
      if (!page.items.length) {
        replace(results, empty('No jobs', c.query.toString() ? 'No job matches these filters.' : 'Jobs appear here when a model is trained, products are scored or an optimisation runs.'));
        return;
      }
      replace(results,
        dataTable({
          caption: 'Jobs',
          sort: q.get('sort'),
          onSort: (s) => { const n = firstPage(c.query); n.set('sort', s); c.setQuery(n, { state: { trail: [], offset: 0 } }); },
          columns: [
            { key: 'id', label: 'Job', sort: 'id', defaultDesc: true, render: (j) => h('a', { href: `/jobs/${j.id}` }, `#${j.id}`) },
            { key: 'kind', label: 'Kind', sort: 'kind', render: (j) => h('code', {}, j.kind) },
            { key: 'status', label: 'Status', sort: 'status', render: (j) => badge(j.status) },
            { key: 'progress', label: 'Progress', render: (j) => progressBar(j) },
            { key: 'related', label: 'For', render: (j) => relatedLink(j) || '—' },
            { key: 'created_at', label: 'Queued', sort: 'created_at', render: (j) => when(j.created_at) },
            { key: 'finished_at', label: 'Ended', render: (j) => when(j.finished_at) },
            { key: 'actions', label: 'Actions', render: (j) => cancelButton(j, (updated) => { rows.set(updated.id, updated); refresh(updated); }, results) || '' },
          ],
          rows: page.items.map((j) => rows.get(j.id)),
        }),
        cursorPager(c, page, 25));
    };
    const refresh = (job) => {
      page.items = page.items.map((j) => (j.id === job.id ? job : j));
      redraw();
    };
    redraw();
    for (const job of page.items.filter((j) => !ENDED.has(j.status)).slice(0, MAX_WATCHED)) {
      watchers.set(job.id, watchJob(job.id, (j) => { rows.set(j.id, j); refresh(j); }));
    }
  }

  replace(view, pageHeader('Jobs', 'Background work: training, scoring and optimisations. Progress is live.'), filters, h('div', { class: 'card' }, results));
  load(ctx);
  return { update: load, destroy: stopAll };
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
  const body = h('div', {});
  const draw = (j) => {
    job = j;
    replace(body,
      h('div', { class: 'grid' },
        section('Status', facts([
          ['Status', badge(j.status)],
          ['Progress', progressBar(j)],
          ['Kind', h('code', {}, j.kind)],
          ['Attempts', `${j.attempts} of ${j.max_attempts}`],
          ['Queued', when(j.created_at)],
          ['Started', when(j.started_at)],
          ['Ended', when(j.finished_at)],
          relatedLink(j) ? ['For', relatedLink(j)] : null,
        ]), h('div', { class: 'form-actions' }, cancelButton(j, draw, body))),
        section('Parameters', h('pre', {}, JSON.stringify(j.params, null, 2)))),
      j.error ? section('Error', h('pre', {}, j.error)) : null,
      j.result ? section('Result', h('pre', {}, JSON.stringify(j.result, null, 2))) : null);
  };
  replace(view, h('p', { class: 'crumbs' }, h('a', { href: '/jobs' }, 'Jobs'), ' / ', `#${id}`),
    pageHeader(`Job ${id}`, job.kind), body);
  draw(job);
  const stop = ENDED.has(job.status) ? () => {} : watchJob(job.id, draw);
  return { destroy: stop };
}

/** Draws the jobs list or one job. */
export function render(view, ctx) {
  return ctx.view === 'detail' ? detailView(view, ctx) : listView(view, ctx);
}
