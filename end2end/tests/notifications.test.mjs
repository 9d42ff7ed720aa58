// The notification centre in the browser: the header's bell counts unread notifications and
// rises live (Server-Sent Events, no polling, no reload) when one is written elsewhere.
//
// 1. "another process writes one": the page is open on instance B (SSO_URL_B, PostgreSQL +
//    Redis); this spec then does what `xuecheng worker` does for a notification, as a process
//    of its own: it inserts the row (psql on E2E_SSO_DATABASE_URL) and announces it on the Redis
//    channel `<prefix>notifications` (redis-cli on E2E_REDIS_URL, prefix E2E_REDIS_PREFIX,
//    default `xc:`). Skipped without those variables.
// The issue's own scenario (the back office publishes a lesson, a follower's bell rises) is
// covered on the server by server/tests/api/reminders.rs; its browser version needs a
// superuser on the SSO instances' database and a short REMINDER_DEBOUNCE_SECONDS there, which
// scripts/test does not set up yet.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  STRICT, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const A = process.env.SSO_URL_A;
const B = process.env.SSO_URL_B;
const DB = process.env.E2E_SSO_DATABASE_URL;
const REDIS = process.env.E2E_REDIS_URL;
const PREFIX = process.env.E2E_REDIS_PREFIX || 'xc:';
const PASSWORD = 'correct horse battery staple';
const unique = () => `n${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

async function register(page, base, username) {
  await page.goto(`${base}/register`);
  await waitForHydration(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="email"]', `${username}@example.com`);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('form.auth-form button[type="submit"]');
  await page.waitForURL(/\/account$/);
}

/** The browser's session cookie, as a `cookie` header for fetch. */
async function cookieOf(page) {
  const session = (await page.context().cookies()).find((c) => c.name === 'xc_session');
  assert.ok(session, 'the browser is signed in');
  return `xc_session=${session.value}`;
}

async function api(base, cookie, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { origin: base, cookie, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Opens a page on `base` that shows the bell and is hydrated (its event stream open). */
async function openWithBell(page, base) {
  await page.goto(`${base}/courses`);
  await waitForHydration(page);
  await page.waitForSelector('a.bell');
  // A marker a reload would lose: the count must rise in this very document.
  await page.evaluate(() => { window.__xc_same_document = true; });
}

async function expectBell(page, count) {
  // The count is hidden while it is 0: then it is only attached.
  await page.waitForSelector(`a.bell .bell-count[data-count="${count}"]`, { state: count === 0 ? 'attached' : 'visible' });
  assert.equal(await page.evaluate(() => window.__xc_same_document), true, 'no reload happened');
}

describe('notification centre', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  const workerLike = A && B && DB && REDIS;
  it('the bell rises live when another process writes a notification', {
    skip: !workerLike && !STRICT && 'SSO_URL_A/B, E2E_SSO_DATABASE_URL and E2E_REDIS_URL not set',
  }, async () => {
    assert.ok(workerLike, 'scripts/test sets SSO_URL_A/B, E2E_SSO_DATABASE_URL and E2E_REDIS_URL');
    await waitForServer(B);
    const handle = await newPage(browser);
    const { page, consoleErrors } = handle;
    try {
      await register(page, B, unique());
      const cookie = await cookieOf(page);
      const me = await api(B, cookie, 'GET', '/api/v1/users/me');
      assert.equal(me.status, 200);
      await openWithBell(page, B);
      await expectBell(page, 0);

      // What the worker does: write the row, then announce it to every instance.
      const key = `e2e:${unique()}`;
      const id = execFileSync('psql', [DB, '-qtAc',
        `INSERT INTO notifications (user_id, kind, title, body, link, dedupe_key) VALUES (${Number(me.body.id)}, 'course.update', 'E2E: a new lesson', 'One new lesson', '/courses', '${key}') RETURNING id`,
      ], { encoding: 'utf8' }).trim().split('\n')[0];
      assert.match(id, /^\d+$/);
      execFileSync('redis-cli', ['-u', REDIS, 'PUBLISH', `${PREFIX}notifications`,
        JSON.stringify({ origin: 0, user_id: me.body.id, id: Number(id) })]);
      await expectBell(page, 1);

      // The centre lists it; marking all read brings the bell back to nothing.
      await page.click('a.bell');
      await page.waitForSelector('li.notification.unread:has-text("E2E: a new lesson")');
      await waitForHydration(page);
      await page.click('form.mark-all-read button[type="submit"]');
      await page.waitForSelector('li.notification:not(.unread):has-text("E2E: a new lesson")');
      await page.waitForSelector('a.bell .bell-count[data-count="0"]', { state: 'attached' });
      assertNoConsoleErrors(consoleErrors);
    } finally {
      await closePage(handle);
    }
  });
});
