// A flash sale in the browser, on both deciders: the embedded instance (SQLite: the seat is
// taken in the database) and a production-shaped one (PostgreSQL + Redis: the Lua script
// queues the claim and the in-process worker writes the order). Staff put a sale on a few
// seconds ahead; a new student opens its page, sees the countdown (by the server's clock) and
// a disabled button, which enables at the start without a reload; the student buys, follows
// the claim to "seat secured, pay within …", pays through the demo gateway and finds the course
// theirs. Needs the e2e superuser on both (E2E_ADMIN_USERNAME / E2E_ADMIN_PASSWORD) and the
// demo gateway, both set up by scripts/e2e.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, STRICT, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const ADMIN = process.env.E2E_ADMIN_USERNAME;
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD;
const PASSWORD = 'correct horse battery staple';
const unique = () => `s${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
// How far ahead the sale starts: long enough to see the countdown and the disabled button.
const LEAD_MS = 12000;
// The browser's clock is set this far behind the server's: the page must count by the server.
const SKEW_MS = 3600 * 1000;

async function api(base, method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      'accept-language': 'en',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, date: res.headers.get('date') };
}

/** A priced public demo course with its price policies (other specs may add bare ones). */
async function pricedCourse(base) {
  const list = await api(base, 'GET', '/api/v1/courses?price_min=5000&per_page=50');
  for (const candidate of list.json?.results ?? []) {
    const policies = await api(base, 'GET', `/api/v1/courses/${candidate.id}/price-policies`);
    if (Array.isArray(policies.json) && policies.json.length >= 4) return candidate;
  }
  return null;
}

const instances = [['embedded (SQLite)', BASE_URL]];
if (process.env.SSO_URL_A) instances.push(['PostgreSQL + Redis', process.env.SSO_URL_A.replace(/\/+$/, '')]);
const ready = ADMIN && ADMIN_PASSWORD;
const skip = !ready && !STRICT && 'E2E_ADMIN_USERNAME and E2E_ADMIN_PASSWORD not set';

describe('seckill', { skip }, () => {
  let browser;
  before(async () => {
    for (const [, base] of instances) await waitForServer(base);
    browser = await launchBrowser();
  });
  after(async () => { await browser?.close(); });

  for (const [name, base] of instances) {
    it(`counts down, opens without a reload and sells a seat paid through the demo gateway: ${name}`, async () => {
      const login = await api(base, 'POST', '/api/v1/auth/token', null, { username: ADMIN, password: ADMIN_PASSWORD });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      const staff = login.json.access_token;
      const course = await pricedCourse(base);
      assert.ok(course, 'a priced public course with its price policies');

      const handle = await newPage(browser, { baseURL: base });
      const { page, consoleErrors } = handle;
      // An hour slow, and running: a countdown by this clock would show an hour too much.
      await handle.context.clock.install({ time: Date.now() - SKEW_MS });
      try {
        const username = unique();
        await page.goto(`${base}/register`);
        await waitForHydration(page);
        await page.fill('input[name="username"]', username);
        await page.fill('input[name="email"]', `${username}@example.com`);
        await page.fill('input[name="password"]', PASSWORD);
        await page.click('form.auth-form button[type="submit"]');
        await page.waitForURL(/\/account$/);

        // Put on sale only now, so the page opens before the start.
        // The start on the server's clock (its Date header), not this machine's.
        const clock = await api(base, 'GET', '/readyz');
        const serverNow = Date.parse(clock.date) || Date.now();
        const startsAt = new Date(serverNow + LEAD_MS);
        const created = await api(base, 'POST', '/api/v1/seckill-events', staff, {
          course_id: course.id,
          title: `Flash ${unique()}`,
          price_cents: 990,
          stock: 3,
          starts_at: startsAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          ends_at: new Date(serverNow + 30 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        });
        assert.equal(created.status, 201, JSON.stringify(created.json));
        const event = created.json;
        await page.goto(`${base}/seckill/${event.id}`);
        await waitForHydration(page);
        // A marker on the document: a reload would lose it.
        await page.evaluate(() => { window.__sameDocument = true; });
        const button = page.locator('button.seckill-buy');
        assert.equal(await page.locator('.seckill-box').getAttribute('data-phase'), 'upcoming');
        // Within the lead (by the server's clock), not an hour more (by the browser's).
        const browserNow = await page.evaluate(() => Date.now());
        assert.ok(Date.now() - browserNow > SKEW_MS - 60000, 'the browser clock is an hour behind');
        assert.match(await page.textContent('.seckill-countdown'), /^Starts in 00:(0\d|1[0-2])$/);
        assert.ok(await button.isDisabled(), 'no buying before the start');
        assert.match(await page.textContent('.seckill-stock'), /^3 of 3 seats left$/);

        // The start: the countdown ends and the button enables, in the same document.
        await page.waitForFunction(() => !document.querySelector('button.seckill-buy')?.disabled,
          null, { timeout: LEAD_MS + 10000 }).catch(async (error) => {
          const box = await page.textContent('.seckill-box').catch(() => '(no box)');
          throw new Error(`the button never enabled; the page shows: ${box}; console: ${JSON.stringify(consoleErrors)}`, { cause: error });
        });
        assert.equal(await page.locator('.seckill-box').getAttribute('data-phase'), 'open');
        assert.match(await page.textContent('.seckill-countdown'), /^Ends in \d\d:\d\d$/);
        assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page did not reload');

        await button.click();
        // Queued, then written as a pending order: the seat is held for the pay window.
        const held = page.locator('.seckill-claim[data-status="held"]');
        await held.waitFor({ timeout: 20000 });
        assert.match(await held.textContent(), /Seat secured: pay within 1[45]:\d\d/);
        await page.waitForFunction(() => document.querySelector('.seckill-stock')?.dataset.left === '2');
        assert.ok(await button.isDisabled(), 'one seat per buyer: the button is off');

        await held.locator('a.pay-now').click();
        await page.waitForURL(/\/checkout\/XC[0-9A-Z]+$/);
        await page.waitForSelector('.checkout .order-total');
        assert.match(await page.textContent('.checkout .order-total'), /9\.90/, 'the sale price, not the regular one');
        await page.waitForSelector('form.pay-form label.provider.demo');
        await page.check('label.provider.demo input');
        await page.click('form.pay-form button.pay');
        await page.waitForURL(/\/pay\/demo\//);
        await page.click('form.demo-pay-form button.pay');
        await page.waitForURL(/\/account\/courses$/);
        await page.waitForSelector(`li.owned-course[data-course-id="${course.id}"]`);

        await page.goto(`${base}/seckill/${event.id}`);
        await waitForHydration(page);
        await page.locator('.seckill-claim[data-status="paid"]').waitFor();
        assert.match(await page.textContent('.seckill-claim[data-status="paid"]'), /Paid: the course is yours/);
        assertNoConsoleErrors(consoleErrors);
      } finally {
        await closePage(handle);
      }
    });
  }
});
