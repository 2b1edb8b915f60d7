// Pricing set-up shared by the explorer and optimisation tests: the fair-price model
// trained and the catalogue scored, once per server.

import { api, waitForJob } from './harness.mjs';

/** Trains the fair-price model if the mispricing list is not answering yet, then waits for scores. */
export async function ensureScored(timeoutMs = 600000) {
  const end = Date.now() + timeoutMs;
  let first = await api('GET', '/api/pricing/mispriced?limit=1');
  if (first.status === 200) return first.body;
  if (first.status === 404 && /train/i.test((first.body && first.body.detail) || '')) {
    const started = await api('POST', '/api/pricing/fair-price-model/train', {});
    if (started.status !== 202) throw new Error(`training did not start: ${started.status} ${started.text}`);
    const job = await waitForJob(started.body.id, timeoutMs);
    if (job.status !== 'succeeded') throw new Error(`training ${job.status}: ${job.error}`);
  }
  for (;;) {
    first = await api('GET', '/api/pricing/mispriced?limit=1');
    if (first.status === 200 && !first.body.model.stale) return first.body;
    if (Date.now() > end) throw new Error(`the catalogue is not scored: ${first.status} ${first.text.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A brand and a category with between `min` and `max` products together. */
export async function smallScope(min = 10, max = 80) {
  const facets = (await api('GET', '/api/pricing/mispriced/facets')).body.facets;
  for (const brand of facets.brand) {
    const byBrand = (await api('GET', `/api/pricing/mispriced/facets?brand=${encodeURIComponent(brand.value)}`)).body.facets;
    const hit = byBrand.category.find((c) => c.count >= min && c.count <= max);
    if (hit) return { brand: brand.value, category: hit.value, count: hit.count };
  }
  throw new Error('no brand and category with a few dozen products');
}
