// Live job progress over Server-Sent Events (`GET /api/jobs/{id}/events`).

import { h } from './dom.js';
import { get } from './api.js';

export const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Calls `onJob(job)` on every change of job `id` until it ends. Returns `stop()`.
 * The server closes the stream when the job ends; we close first so that EventSource
 * does not reconnect. If the stream fails, the job is polled every two seconds instead.
 */
export function watchJob(id, onJob) {
  let stopped = false;
  let timer = null;
  let source = null;
  const poll = async () => {
    if (stopped) return;
    try {
      const job = await get(`/api/jobs/${encodeURIComponent(id)}`);
      if (stopped) return;
      onJob(job);
      if (ENDED.has(job.status)) return;
    } catch (_) { /* try again */ }
    timer = setTimeout(poll, 2000);
  };
  if (typeof EventSource === 'function') {
    source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
    source.addEventListener('job', (event) => {
      if (stopped) return;
      let job;
      try { job = JSON.parse(event.data); } catch (_) { return; }
      onJob(job);
      if (ENDED.has(job.status)) { source.close(); stopped = true; }
    });
    source.addEventListener('error', () => {
      if (stopped || !source) return;
      source.close();
      source = null;
      poll();
    });
  } else {
    poll();
  }
  return () => {
    stopped = true;
    if (source) source.close();
    if (timer) clearTimeout(timer);
  };
}

/** A progress bar with its percentage and message. */
export function progressBar(job) {
  const fraction = Math.max(0, Math.min(1, (job.progress && job.progress.fraction) || 0));
  const done = job.status === 'succeeded';
  const value = done ? 1 : fraction;
  const text = `${Math.round(value * 100)} %${job.progress && job.progress.message ? ` · ${job.progress.message}` : ''}`;
  return h('div', { class: 'progress' },
    h('progress', { max: '1', value: String(value), 'aria-label': `Job ${job.id} progress` }),
    h('span', { class: 'progress-text' }, text));
}
