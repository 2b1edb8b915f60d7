// Every dashboard page opens with no console error, no failed request and no request
// leaving localhost; the models page predicts and shows field errors; jobs show progress.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, openPage, assertClean, screenshot, settled, api, waitForJob, missingPricing, BASE } from './harness.mjs';

let browser;
let sku;
let jobId;
let pricingMissing = [];

before(async () => {
  browser = await launch();
  pricingMissing = await missingPricing();
  const products = await api('GET', '/api/products?limit=1&sort=id');
  assert.equal(products.status, 200);
  sku = products.body.items[0].sku;
  // A model to show and predict with: the scikit-learn pipeline fixture.
  const models = await api('GET', '/api/models');
  if (!models.body.items.some((m) => m.name === 'price')) {
    const onnx = await readFile(join(process.env.FIXTURES || '../../fixtures/models', 'pipeline_regressor.onnx'));
    const deployed = await api('POST', '/api/models/price/versions?alias=production&framework=sklearn&description=Browser%20test%20fixture&metrics=%7B%22r2%22%3A0.97%7D',
      new Uint8Array(onnx), { 'content-type': 'application/octet-stream' });
    assert.equal(deployed.status, 201, deployed.text);
  }
  // A job for the jobs pages: score every product with a model that reads product fields only.
  if (!models.body.items.some((m) => m.name === 'size-price')) {
    const onnx = await readFile(join(process.env.FIXTURES || '../../fixtures/models', 'linear_regression.onnx'));
    const deployed = await api('POST', '/api/models/size-price/versions?framework=sklearn&feature_names=width_mm,aspect_ratio,rim_in,load_index,tread_warranty_miles',
      new Uint8Array(onnx), { 'content-type': 'application/octet-stream' });
    assert.equal(deployed.status, 201, deployed.text);
  }
  const started = await api('POST', '/api/products/score', { model: 'size-price' });
  assert.equal(started.status, 202, started.text);
  jobId = started.body.id;
});

after(async () => {
  if (browser) await browser.close();
});

/** Opens `path`, waits for the page to settle, checks it, screenshots it. */
async function visit(path, name, { width = 1280, heading, allowStatus } = {}) {
  const page = await openPage(browser, { width, allowStatus });
  await page.goto(path);
  await page.waitForSelector('#view h1');
  await settled(page);
  if (heading) assert.match(await page.textContent('#view h1'), heading);
  const errors = await page.$$eval('#view .banner.error', (els) => els.map((e) => e.textContent));
  assert.deepEqual(errors, [], `${path} shows errors`);
  await screenshot(page, name);
  assertClean(page, path);
  return page;
}

test('the overview shows the catalogue figures', async (t) => {
  if (pricingMissing.length) t.diagnostic(`pricing API missing: ${pricingMissing.join(', ')}`);
  const page = await visit('/', 'overview', { heading: /Overview/ });
  const figures = await page.textContent('.stats');
  assert.match(figures, /Products/);
  await page.context().close();
});

test('the models list links to each model', async () => {
  const page = await visit('/models', 'models', { heading: /Models/ });
  await page.click('a[href="/models/price"]');
  await page.waitForSelector('form.predict');
  assert.equal(new URL(page.url()).pathname, '/models/price');
  await page.context().close();
});

test('a model page predicts from a form generated from the signature', async () => {
  const page = await visit('/models/price', 'model', { heading: /price/ });
  const names = await page.$$eval('form.predict [data-path]', (els) => els.map((e) => e.name));
  assert.ok(names.includes('width_mm') && names.includes('season'), names.join(','));
  await page.fill('[name=width_mm]', '225');
  await page.fill('[name=aspect_ratio]', '45');
  await page.fill('[name=rim_in]', '17');
  await page.fill('[name=load_index]', '94');
  await page.fill('[name=tier]', 'premium');
  await page.fill('[name=season]', 'summer');
  await page.click('form.predict button[type=submit]');
  const value = await page.waitForSelector('[data-prediction]');
  assert.match(await value.textContent(), /^\d/);
  assertClean(page, 'predict');
  await page.context().close();
});

test('a predict error is shown next to the field it names', async () => {
  const page = await openPage(browser, { allowStatus: (url, status) => status === 422 && url.includes('/predict') });
  await page.goto('/models/price');
  await page.waitForSelector('form.predict');
  await page.fill('[name=width_mm]', '225');
  await page.fill('[name=tier]', 'premium');
  // season left empty: the API answers 422 with /rows/0/season
  await page.click('form.predict button[type=submit]');
  const error = await page.waitForSelector('[name=season] ~ .field-error, .field:has([name=season]) .field-error');
  assert.ok((await error.textContent()).length > 0);
  assert.equal(await page.getAttribute('[name=season]', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'season');
  await screenshot(page, 'model-predict-error');
  assertClean(page, 'predict error');
  await page.context().close();
});

test('the jobs page lists jobs and follows progress live', async () => {
  const page = await visit('/jobs', 'jobs', { heading: /Jobs/ });
  await page.waitForSelector(`a[href="/jobs/${jobId}"]`);
  await waitForJob(jobId);
  // The row turns to its final state without a reload (SSE), or after one poll.
  await page.waitForFunction((id) => {
    const link = document.querySelector(`a[href="/jobs/${id}"]`);
    const row = link && link.closest('tr');
    return row && /succeeded|failed|cancelled/.test(row.textContent);
  }, jobId, { timeout: 30000 });
  await page.selectOption('#job-status', 'succeeded');
  await page.waitForURL(/status=succeeded/);
  await settled(page);
  assertClean(page, '/jobs filtered');
  await page.goBack();
  await page.waitForURL((u) => !u.search.includes('status='));
  await page.context().close();
});

test('a job page shows its parameters and result', async () => {
  const page = await visit(`/jobs/${jobId}`, 'job', { heading: new RegExp(`Job ${jobId}`) });
  assert.match(await page.textContent('#view'), /score_products/);
  await page.context().close();
});

test('a product page shows its attributes and weekly history', async () => {
  const allowStatus = (url, status) => pricingMissing.length > 0 && status === 404 && url.includes('/api/');
  const page = await visit(`/products/${encodeURIComponent(sku)}`, 'product', { heading: /./, allowStatus });
  assert.match(await page.textContent('#view'), new RegExp(sku));
  await page.waitForSelector('.chart[data-drawn] .main-svg', { timeout: 30000 });
  await screenshot(page, 'product');
  await page.context().close();
});

test('the evaluation page shows the holdout, the interval, the elasticities and the planted mispricings', async () => {
  const page = await visit('/evaluation', 'evaluation', { heading: /Evaluation/ });
  const text = await page.textContent('#view');
  assert.match(text, /R²/);
  assert.match(text, /Coverage reached/);
  assert.match(text, /Precision@100/);
  assert.match(text, /Std\. error/);
  await page.click('a[href="/explorer?outside_interval=true"]');
  await page.waitForSelector('#f-outside_interval:checked');
  await page.waitForSelector('table tbody tr');
  assertClean(page, 'evaluation to explorer');
  await page.context().close();
});

test('an unknown dashboard path answers the shell and a not-found page', async () => {
  const page = await openPage(browser, { allowStatus: () => false });
  await page.goto('/products/NO-SUCH-SKU');
  await page.waitForSelector('.empty-title');
  assert.match(await page.textContent('.empty-title'), /No such product/);
  assertClean(page, 'unknown sku');
  await page.context().close();
});

test('pages are readable at phone width: tables scroll inside their box', async () => {
  const page = await visit('/jobs', 'jobs-phone', { width: 390 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow} px wider than the screen`);
  await page.context().close();
});

test('the keyboard reaches the navigation and the focus is visible', async () => {
  const page = await openPage(browser);
  await page.goto('/jobs');
  await settled(page);
  await page.keyboard.press('Tab'); // skip link
  await page.keyboard.press('Tab'); // brand
  await page.keyboard.press('Tab'); // Overview
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
  });
  assert.equal(focused.text, 'Overview');
  assert.notEqual(focused.outline, 'none');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/`);
  assertClean(page, 'keyboard');
  await page.context().close();
});
