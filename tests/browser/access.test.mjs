// Who may do what, in the browser: signing in by the printed link and by pasting a key,
// the caller shown in the header, actions hidden from roles that cannot take them,
// signing out, and a page of another origin that cannot use the session cookie.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launch, openPage, assertClean, screenshot, settled, api, makeKey, missingPricing, BASE } from './harness.mjs';
import { ensureScored, smallScope } from './pricing.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

test('a visitor without a session is sent to sign in, and a pasted key brings them back', async () => {
  const viewer = await makeKey('Vic Viewer', ['viewer']);
  const page = await openPage(browser, { key: null, allowStatus: (url, status) => status === 401 && url.endsWith('/api/session') });
  await page.goto('/explorer?sort=-gap');
  await page.waitForURL(/\/sign-in\?next=/);
  await page.waitForSelector('form.sign-in #key');
  await screenshot(page, 'sign-in');
  await page.fill('#key', 'rtk_not_a_key');
  await page.click('form.sign-in button[type=submit]');
  await page.waitForSelector('[data-sign-in-message] .banner.error');
  await page.fill('#key', viewer);
  await page.click('form.sign-in button[type=submit]');
  await page.waitForURL((url) => url.pathname === '/explorer' && url.search === '?sort=-gap');
  await page.waitForSelector('#who [data-caller="Vic Viewer"]');
  assert.match(await page.textContent('#who'), /viewer/);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'retort_session');
  assert.ok(session, 'no session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.secure, true, 'Secure on 127.0.0.1');
  assert.equal(await page.evaluate(() => document.cookie.includes('retort_session')), false, 'scripts cannot read it');
  assertClean(page, 'sign-in by pasting');
  await page.context().close();
});

test('the printed sign-in link signs in and leaves no key in the address bar or history', async () => {
  const analyst = await makeKey('Ana Analyst', ['analyst']);
  const page = await openPage(browser, { key: null });
  await page.goto(`/sign-in#key=${analyst}`);
  await page.waitForURL((url) => url.pathname === '/');
  await page.waitForSelector('#who [data-caller="Ana Analyst"]');
  assert.ok(!page.url().includes(analyst), page.url());
  await page.goBack().catch(() => {});
  assert.ok(!page.url().includes('key='), `history kept the key: ${page.url()}`);
  assertClean(page, 'sign-in by link');
  await page.context().close();
});

test('an analyst cannot see accept; an approver can', async (t) => {
  const missing = await missingPricing();
  if (missing.length) return t.skip(`pricing API incomplete: ${missing.join(', ')}`);
  await ensureScored();
  const scope = await smallScope();
  const started = await api('POST', '/api/pricing/optimizations', {
    scope: { filters: { brand: [scope.brand], category: [scope.category] } }, objective: 'profit', max_change_pct: 5,
  });
  assert.equal(started.status, 202, started.text);
  const id = started.body.id;
  const analyst = await makeKey('Al Analyst', ['analyst']);
  const page = await openPage(browser, { key: analyst });
  await page.goto(`/optimizations/${id}`);
  await page.waitForSelector('table.data tbody tr', { timeout: 300000 });
  await settled(page);
  await page.waitForSelector('[data-cannot-decide]');
  assert.equal(await page.$('button[data-accept-all]'), null, 'an analyst sees accept');
  assert.match(await page.textContent('[data-cannot-decide]'), /approver/);
  await screenshot(page, 'optimization-analyst');
  // The server refuses it too, whatever the page shows.
  const refused = await page.evaluate(async (u) => (await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, `/api/pricing/optimizations/${id}/accept`);
  assert.equal(refused, 403);
  await page.context().close();
  const approver = await makeKey('Apu Approver', ['approver']);
  const other = await openPage(browser, { key: approver });
  await other.goto(`/optimizations/${id}`);
  await other.waitForSelector('button[data-accept-all]', { timeout: 300000 });
  assert.match(await other.textContent('[data-decider]'), /Apu Approver/);
  assertClean(other, 'approver');
  await other.context().close();
});

test('signing out ends the session on the server', async () => {
  const viewer = await makeKey('Sam Signout', ['viewer']);
  const page = await openPage(browser, { key: viewer, allowStatus: (url, status) => status === 401 });
  const cookie = (await page.context().cookies()).find((c) => c.name === 'retort_session');
  assert.ok(cookie);
  const before = await api('GET', '/api/session', undefined, { authorization: null, cookie: `retort_session=${cookie.value}` });
  assert.equal(before.status, 200, before.text);
  assert.equal(before.body.name, 'Sam Signout');
  await page.click('#who [data-sign-out]');
  await page.waitForURL(/\/sign-in/);
  const afterOut = await api('GET', '/api/session', undefined, { authorization: null, cookie: `retort_session=${cookie.value}` });
  assert.equal(afterOut.status, 401, 'the old cookie still works after sign-out');
  await page.goto('/jobs');
  await page.waitForURL(/\/sign-in\?next=%2Fjobs/);
  await page.context().close();
});

test('a page of another origin cannot change anything with the session cookie', async () => {
  const page = await openPage(browser); // the admin, signed in on BASE
  const target = new URL(BASE);
  // Same host, another port: another origin of the same site, so the SameSite cookie is
  // sent, and only the server's origin check stands in the way.
  const evil = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>elsewhere</title><script>
      fetch(${JSON.stringify(`${BASE}/api/brands`)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
        headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'Planted Brand' }) });
    </script>`);
  });
  await new Promise((resolve) => evil.listen(0, target.hostname, resolve));
  try {
    const port = evil.address().port;
    const answer = page.waitForResponse((r) => r.url() === `${BASE}/api/brands` && r.request().method() === 'POST');
    await page.goto(`http://${target.hostname}:${port}/`);
    const response = await answer;
    assert.equal(response.status(), 403, 'the cross-origin change was not refused');
    const brands = await api('GET', '/api/brands?name=Planted%20Brand');
    assert.equal(brands.body.items.length, 0, 'a brand was created from another origin');
  } finally {
    evil.close();
    await page.context().close();
  }
});
