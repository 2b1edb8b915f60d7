// Shared by the browser tests: Debian's Chromium through playwright-core, a page that
// records console errors, page errors, failed requests and requests leaving localhost,
// screenshots, and API calls from Node.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const BASE = process.env.RETORT_URL || 'http://127.0.0.1:8000';
/** The admin key the server was started with (RETORT_ADMIN_KEY). */
export const ADMIN_KEY = process.env.RETORT_KEY || '';
export const ARTIFACTS = process.env.ARTIFACTS || join(process.cwd(), 'target', 'browser-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Launches Chromium (CHROMIUM or /usr/bin/chromium). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/**
 * A new page at `width`×`height` that records problems in `page.problems`:
 * console errors, uncaught exceptions, requests to another host, failed requests and
 * HTTP errors from the server (except those `allowStatus(url, status)` expects).
 */
export async function openPage(browser, { width = 1280, height = 900, allowStatus = () => false, key = ADMIN_KEY } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: BASE });
  const page = await context.newPage();
  if (key) await signIn(page, key);
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every 4xx/5xx answer; an expected one (see allowStatus) is no problem.
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    if (failed && allowStatus(msg.location().url || '', Number(failed[1]))) return;
    page.problems.push(`console error: ${msg.text()} ${msg.location().url || ''}`);
  });
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  // A refused eval or inline script is caught by the code that tried it, and Chromium
  // does not always log it: the page reports every violation of its policy here.
  await page.exposeFunction('__reportCspViolation', (text) => page.problems.push(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCspViolation(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`);
    });
  });
  page.on('request', (req) => {
    const url = new URL(req.url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !LOCAL_HOSTS.has(url.hostname)) {
      page.problems.push(`request left localhost: ${req.url()}`);
    }
    if (url.protocol === 'ws:' || url.protocol === 'wss:') page.problems.push(`websocket: ${req.url()}`);
  });
  page.on('requestfailed', (req) => {
    const failure = req.failure();
    // Leaving a page aborts its open requests (event streams, fetches): not a problem.
    if (failure && /ERR_ABORTED|cancelled/i.test(failure.errorText)) return;
    page.problems.push(`request failed: ${req.url()} ${failure ? failure.errorText : ''}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !allowStatus(res.url(), res.status())) {
      page.problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
  });
  page.on('dialog', (d) => d.dismiss());
  return page;
}

/** Signs `page`'s browser in with `key` by the link `serve` prints; lands on `next`. */
export async function signIn(page, key, next = '/') {
  await page.goto(`/sign-in${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}#key=${key}`);
  await page.waitForURL((url) => url.pathname === next.split('?')[0], { timeout: 30000 });
  await page.waitForSelector('#who [data-caller]');
}

/** Makes a key with `roles` through the API (as the admin); returns its secret. */
export async function makeKey(name, roles) {
  const r = await api('POST', '/api/keys', { name, roles });
  if (r.status !== 201) throw new Error(`making key ${name}: ${r.status} ${r.text}`);
  return r.body.secret;
}

/** Fails with every problem the page recorded. */
export function assertClean(page, where) {
  assert.deepEqual(page.problems, [], `${where}: ${page.problems.join('\n')}`);
}

/** Saves a full-page screenshot as target/browser-artifacts/NAME.png. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Waits until no `.loading` indicator is on the page. */
export async function settled(page, timeout = 30000) {
  await page.waitForFunction(() => !document.querySelector('#view .loading'), null, { timeout });
}

/** Calls the API from Node; returns {status, headers, body}. Throws on network errors. */
export async function api(method, path, body, headers = {}) {
  const auth = ADMIN_KEY ? { authorization: `Bearer ${ADMIN_KEY}` } : {};
  const init = { method, headers: { accept: 'application/json', ...auth, ...headers } };
  if (init.headers.authorization === null) delete init.headers.authorization;
  if (body !== undefined) {
    if (body instanceof Uint8Array) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(new URL(path, BASE), init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: json, text };
}

/** Waits for a job to end (polling); returns it. */
export async function waitForJob(id, timeoutMs = 300000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api('GET', `/api/jobs/${id}`);
    if (body && ['succeeded', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > end) throw new Error(`job ${id} still ${body && body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

let doc = null;
/** Whether the server's OpenAPI document has `METHOD path`. */
export async function hasOperation(method, path) {
  if (!doc) doc = (await api('GET', '/openapi.json')).body;
  return Boolean(doc && doc.paths && doc.paths[path] && doc.paths[path][method.toLowerCase()]);
}

/** The pricing endpoints the dashboard's pricing pages use. */
export const PRICING = [
  ['POST', '/api/pricing/fair-price-model/train'],
  ['GET', '/api/pricing/mispriced'],
  ['GET', '/api/pricing/mispriced/facets'],
  ['GET', '/api/pricing/charts/price-scatter'],
  ['POST', '/api/pricing/optimizations'],
  ['GET', '/api/pricing/optimizations/{id}'],
  ['GET', '/api/pricing/optimizations/{id}/items'],
  ['POST', '/api/pricing/optimizations/{id}/accept'],
];

/** The pricing operations that are not on this server (empty when all are). */
export async function missingPricing() {
  const missing = [];
  for (const [m, p] of PRICING) if (!(await hasOperation(m, p))) missing.push(`${m} ${p}`);
  return missing;
}
