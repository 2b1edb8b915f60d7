// Shared by the pricing pages: which pricing endpoints this server has, and the panel
// shown while the fair-price model is missing or still scoring the catalogue.

import { h, replace, announce } from './dom.js';
import { get, post, ApiError } from './api.js';
import { errorBanner } from './ui.js';
import { watchJob, progressBar } from './jobwatch.js';
import { can, cannot } from './session.js';

let operations = null;

/** Resolves to a Set of `METHOD /path` this server documents (from /openapi.json). */
export function serverOperations() {
  if (!operations) {
    operations = get('/openapi.json').then((doc) => {
      const ops = new Set();
      for (const [path, item] of Object.entries(doc.paths || {})) {
        for (const method of Object.keys(item)) ops.add(`${method.toUpperCase()} ${normalise(path)}`);
      }
      return ops;
    }).catch(() => { operations = null; return new Set(); });
  }
  return operations;
}

/** `/a/{id}/b` and `/a/{sku}/b` alike: path parameters lose their names. */
const normalise = (path) => path.replace(/\{[^}]*\}/g, '{}');

/** Whether the server has `METHOD /path` (path as documented, e.g. `/api/pricing/optimizations/{id}`). */
export async function has(op) {
  const [method, path] = op.split(' ');
  return (await serverOperations()).has(`${method} ${normalise(path)}`);
}

/** Whether an error means the fair-price model is missing or has not scored yet. */
export function notReady(err) {
  return err instanceof ApiError && err.status === 404 && /train|scor/i.test(err.problem.detail || '');
}

/**
 * The panel shown when the mispricing analysis is not ready: a button that trains the
 * fair-price model (or the progress of the job already scoring), then `onReady()`.
 * Returns `{el, stop}`.
 */
export function readinessPanel(err, onReady) {
  const el = h('div', { class: 'card' });
  let stop = () => {};
  const detail = (err && err.problem && err.problem.detail) || '';
  const follow = (jobId, what) => {
    const status = h('div', {}, h('p', {}, `${what} (job `, h('a', { href: `/jobs/${jobId}` }, `#${jobId}`), ')…'));
    const bar = h('div', {});
    replace(el, h('h2', {}, 'Preparing the analysis'), status, bar);
    stop = watchJob(jobId, (job) => {
      replace(bar, progressBar(job));
      if (job.status === 'succeeded') {
        announce(`${what}: done`);
        stop();
        onReady();
      } else if (job.status === 'failed' || job.status === 'cancelled') {
        replace(bar, errorBanner(new Error(job.error || `The job was ${job.status}.`)), trainButton());
      }
    });
  };
  const trainButton = () => (!can('jobs:start') ? h('p', { class: 'note' }, cannot('Training the model', 'jobs:start')) : h('button', {
    type: 'button', class: 'primary', 'data-train': '',
    onclick: async (e) => {
      e.currentTarget.disabled = true;
      try {
        const { data } = await post('/api/pricing/fair-price-model/train', {});
        follow(data.id, 'Training the fair-price model and scoring the catalogue');
      } catch (ex) {
        el.append(errorBanner(ex));
      }
    },
  }, 'Train the fair-price model'));
  const scoring = /job (\d+)/.exec(detail);
  if (/scor/i.test(detail) && scoring) {
    follow(scoring[1], 'The catalogue is being scored');
  } else {
    replace(el, h('h2', {}, 'No fair prices yet'),
      h('p', {}, 'The mispricing analysis compares each list price with a fair price learned from the catalogue. Train the model once; it takes a minute or two on the demo data.'),
      h('p', { class: 'hint' }, detail),
      trainButton());
  }
  return { el, stop: () => stop() };
}

/** `+12.3 %` for a percentage figure (gap_pct is a percentage of the fair price). */
export function gapClass(v) {
  return v > 0 ? 'neg' : v < 0 ? 'pos' : '';
}

/** Size as written on the sidewall: 225/45 R17. */
export const tireSize = (p) => `${p.width_mm}/${p.aspect_ratio} R${p.rim_in}`;
