// Course-update reminders across two browsers: staff add a lesson in the back office, and a
// student who follows the course sees the bell's count rise in the page already open, with no
// reload. The path under test is the real one: the model engine's create hook records the
// update, the debounce window closes (scripts/test sets REMINDER_DEBOUNCE_SECONDS=1), the worker
// inside the web process fans out one notification per follower, and the live count reaches the
// open page.
//
// Needs the e2e superuser (E2E_ADMIN_USERNAME / E2E_ADMIN_PASSWORD, as the back-office spec).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, STRICT, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const ADMIN = process.env.E2E_ADMIN_USERNAME;
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD;
const PASSWORD = 'correct horse battery staple';
const unique = () => `r${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

async function api(method, path, token, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function token(username, password) {
  const { status, json } = await api('POST', '/api/v1/auth/token', null, { username, password });
  assert.equal(status, 200, JSON.stringify(json));
  return json.access_token;
}

async function signIn(page, username, password) {
  await page.goto(`${BASE_URL}/login`);
  await waitForHydration(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('form.auth-form button[type="submit"]');
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

async function bellCount(page) {
  return Number(await page.getAttribute('a.bell .bell-count', 'data-count'));
}

const skip = !(ADMIN && ADMIN_PASSWORD) && !STRICT && 'E2E_ADMIN_USERNAME/E2E_ADMIN_PASSWORD not set';

describe('course-update reminders', { skip }, () => {
  let browser;
  before(async () => {
    await waitForServer(BASE_URL);
    browser = await launchBrowser();
  });
  after(async () => { await browser?.close(); });

  it('staff add a lesson in the back office; a follower sees the bell rise without a reload', async () => {
    assert.ok(ADMIN && ADMIN_PASSWORD, 'scripts/test sets E2E_ADMIN_USERNAME/E2E_ADMIN_PASSWORD');
    const tag = unique();
    const root = await token(ADMIN, ADMIN_PASSWORD);
    const any = (await api('GET', '/api/v1/courses?limit=1', null)).json.results[0];
    const course = await api('POST', '/api/v1/courses', root, {
      title: `Reminders ${tag}`, slug: `remind-${tag}`, status: 'published', level: 'beginner',
      price_cents: 0, teacher_id: any.teacher_id, category_id: any.category_id,
    });
    assert.equal(course.status, 201, JSON.stringify(course.json));
    const chapter = await api('POST', `/api/v1/courses/${course.json.id}/chapters`, root, { title: 'Start' });
    assert.equal(chapter.status, 201, JSON.stringify(chapter.json));
    const username = `f${tag}`;
    const user = await api('POST', '/api/v1/users', root, { username, email: `${username}@example.com`, password: PASSWORD });
    assert.equal(user.status, 201, JSON.stringify(user.json));

    const follower = await newPage(browser);
    const staff = await newPage(browser);
    try {
      // The follower follows the course from its page, and keeps that page open.
      await signIn(follower.page, username, PASSWORD);
      await follower.page.goto(`${BASE_URL}/courses/remind-${tag}`);
      await waitForHydration(follower.page);
      await follower.page.click('form.follow-form button.follow');
      await follower.page.waitForSelector('form.follow-form button.follow.following');
      await follower.page.waitForSelector('a.bell .bell-count[data-count="0"]', { state: 'attached' });
      await follower.page.evaluate(() => { window.__xc_same_document = true; });

      // Staff add a lesson through the chapter's inline form in the back office.
      const lesson = `New lesson ${tag}`;
      await signIn(staff.page, ADMIN, ADMIN_PASSWORD);
      await staff.page.goto(`${BASE_URL}/admin/chapters/${chapter.json.id}`);
      await waitForHydration(staff.page);
      const inline = staff.page.locator('section.inline-lessons form.inline-add');
      await inline.locator('input[name="values[title]"]').fill(lesson);
      await inline.locator('select[name="values[kind]"]').selectOption('article');
      const saved = staff.page.waitForResponse((r) => r.url().endsWith('/fn/admin/save'));
      await inline.locator('button[type="submit"]').click();
      assert.ok((await saved).status() < 400, 'the lesson is saved');
      await staff.page.waitForSelector(`section.inline-lessons li:has-text("${lesson}")`);
      assertNoConsoleErrors(staff.consoleErrors);

      // The bell rises in the follower's open page: debounce, fan-out, live count.
      await follower.page.waitForSelector('a.bell .bell-count[data-count="1"]', { state: 'visible', timeout: 30000 });
      assert.equal(await follower.page.evaluate(() => window.__xc_same_document), true, 'no reload happened');
      assert.equal(await bellCount(follower.page), 1, 'exactly one notification for one new lesson');
      await follower.page.click('a.bell');
      await follower.page.waitForSelector(`li.notification.unread:has-text("Reminders ${tag}")`);
      assertNoConsoleErrors(follower.consoleErrors);
    } finally {
      await closePage(staff);
      await closePage(follower);
    }
  });
});
