// The back office in the browser: a course editor creates a course with two chapters,
// publishes it, and visitors find it on the public list; a customer-service user cannot reach
// course editing (no "Add" entry, the create page answers 403, the course page is read-only).
//
// Setup (documented in README "Tests"): the server runs with the demo data (SEED_DEMO=true, which
// creates the built-in roles) and a superuser made beforehand with
//   DATABASE_URL=… xuecheng createsuperuser --username e2e-admin --email e2e-admin@example.com --password …
// whose credentials reach this spec as E2E_ADMIN_USERNAME / E2E_ADMIN_PASSWORD. The spec signs
// in as that superuser over HTTP and, through the back office's own server functions, creates
// one staff user per role ("Course editor", "Customer service"). Skipped without the variables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const ADMIN = process.env.E2E_ADMIN_USERNAME;
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD;
const PASSWORD = 'correct horse battery staple';
const run = Date.now().toString(36);

/** Signs in over HTTP as the login form does; the `xc_session=…` cookie. */
async function signInHttp(username, password) {
  const res = await fetch(`${BASE_URL}/fn/accounts/login`, {
    method: 'POST',
    headers: { origin: BASE_URL, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }),
    redirect: 'manual',
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('xc_session='));
  assert.ok(cookie, `signing in as ${username} answered ${res.status} without a session cookie`);
  return cookie.split(';')[0];
}

/** Calls a server function as `cookie`; the JSON answer (or the redirect target's id). */
async function callFn(cookie, path, form) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method: 'POST',
    headers: { origin: BASE_URL, cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
    redirect: 'manual',
  });
  const text = await res.text();
  assert.ok(res.status < 400, `${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A staff account holding one built-in role, made through the back office as the superuser. */
async function staffWithRole(adminCookie, username, roleName) {
  const id = await callFn(adminCookie, '/fn/admin/save', {
    model: 'users',
    'values[username]': username,
    'values[email]': `${username}@example.com`,
    'values[password]': PASSWORD,
    'values[is_active]': 'on',
    'values[is_staff]': 'on',
  });
  assert.equal(typeof id, 'number', 'saving a user answers its id');
  const access = await callFn(adminCookie, '/fn/admin/user-access', { user_id: String(id) });
  const role = access.roles.find(([, name]) => name === roleName);
  assert.ok(role, `the demo data has the role "${roleName}" (is SEED_DEMO on?)`);
  await callFn(adminCookie, '/fn/admin/user-access/set', { user_id: String(id), [`role[${role[0]}]`]: 'on' });
  return id;
}

async function signInBrowser(page, username) {
  await page.goto('/login');
  await waitForHydration(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('form.auth-form button[type="submit"]');
  await page.waitForURL(/\/account$/);
}

/** The back-office menu's entries, as their link texts. */
async function menuEntries(page) {
  await page.waitForSelector('nav.admin-menu');
  return (await page.locator('nav.admin-menu li a').allTextContents()).map((t) => t.trim());
}

describe('back office', { skip: !(ADMIN && ADMIN_PASSWORD) && 'E2E_ADMIN_USERNAME/E2E_ADMIN_PASSWORD not set' }, () => {
  let browser;
  const editor = `editor${run}`;
  const support = `support${run}`;
  before(async () => {
    await waitForServer(BASE_URL);
    const admin = await signInHttp(ADMIN, ADMIN_PASSWORD);
    await staffWithRole(admin, editor, 'Course editor');
    await staffWithRole(admin, support, 'Customer service');
    browser = await launchBrowser();
  });
  after(async () => { await browser?.close(); });

  it('an editor creates a course with two chapters, publishes it, and it is on the public list', async () => {
    const handle = await newPage(browser);
    const { page, consoleErrors } = handle;
    const title = `E2E course ${run}`;
    const slug = `e2e-course-${run}`;
    try {
      await signInBrowser(page, editor);
      await page.goto('/admin');
      assert.ok((await menuEntries(page)).includes('Courses'), 'the editor sees Courses in the menu');
      await page.click('nav.admin-menu a[href="/admin/courses"]');
      await page.waitForURL(/\/admin\/courses$/);
      await waitForHydration(page);
      await page.click('a.add-link');
      await page.waitForURL(/\/admin\/courses\/new$/);
      await waitForHydration(page);

      // A first save with the title missing is refused with a message beside the field.
      const main = page.locator('form.admin-form:not(.inline-add)');
      await main.locator('input[name="values[slug]"]').fill(slug);
      await main.locator('select[name="values[level]"]').selectOption('beginner');
      await main.locator('input[name="values[price_cents]"]').fill('9900');
      await main.locator('select[name="values[teacher_id]"]').selectOption({ index: 1 });
      await main.locator('select[name="values[category_id]"]').selectOption({ index: 1 });
      await main.locator('button[type="submit"]').click();
      await page.waitForSelector('.field.invalid[data-field="title"] .field-error:not(:empty)');

      await main.locator('input[name="values[title]"]').fill(title);
      await main.locator('button[type="submit"]').click();
      await page.waitForURL(/\/admin\/courses\/\d+$/);
      await waitForHydration(page);
      assert.match(await page.textContent('h1'), new RegExp(title));

      // Two chapters through the inline form under the course.
      for (const chapter of ['Getting started', 'Going further']) {
        const inline = page.locator('section.inline-chapters form.inline-add');
        await inline.locator('input[name="values[title]"]').fill(`${chapter} ${run}`);
        await inline.locator('button[type="submit"]').click();
        await page.waitForSelector(`section.inline-chapters li:has-text("${chapter} ${run}")`);
        await waitForHydration(page);
      }
      assert.equal(await page.locator('section.inline-chapters ol.inline-rows li').count(), 2);

      // Publish (the editor's role holds course.publish).
      await page.locator('form.admin-form:not(.inline-add) select[name="values[status]"]').selectOption('published');
      const saved = page.waitForResponse((r) => r.url().endsWith('/fn/admin/save'));
      await page.locator('form.admin-form:not(.inline-add) button[type="submit"]').click();
      assert.ok((await saved).status() < 400, 'publishing is saved');
      // Reloaded, the course shows its publication date (the page keeps the old form after a
      // save in place, so the reload is what reads the stored row).
      await page.reload();
      await page.waitForFunction(() => /\d{4}-\d{2}-\d{2}/.test(document.querySelector('#field-published_at')?.textContent || ''));
      // A failed first save answers 422 by design; Chromium logs that response as an error.
      assertNoConsoleErrors(consoleErrors.filter((e) => !/status of 422/.test(e.text)));
    } finally {
      await closePage(handle);
    }

    // A visitor (no session) finds it on the public list and sees both chapters.
    const visitor = await newPage(browser);
    try {
      await visitor.page.goto(`/courses?q=${encodeURIComponent(title)}`);
      await visitor.page.waitForSelector(`article.course-card[data-slug="${slug}"]`);
      await visitor.page.goto(`/courses/${slug}`);
      const body = await visitor.page.textContent('body');
      assert.ok(body.includes(`Getting started ${run}`) && body.includes(`Going further ${run}`), 'both chapters are public');
      assertNoConsoleErrors(visitor.consoleErrors);
    } finally {
      await closePage(visitor);
    }
  });

  it('a customer-service user cannot reach course editing', async () => {
    const handle = await newPage(browser);
    const { page, consoleErrors } = handle;
    try {
      await signInBrowser(page, support);
      await page.goto('/admin');
      const entries = await menuEntries(page);
      assert.ok(entries.includes('Users'), `customer service manages users (menu: ${entries})`);
      for (const hidden of ['Chapters', 'Lessons', 'Teachers', 'Categories', 'Roles']) {
        assert.ok(!entries.includes(hidden), `no ${hidden} in the menu (menu: ${entries})`);
      }

      // The role may look at courses (to help customers) but not change them.
      await page.goto('/admin/courses');
      await page.waitForSelector('table.admin-table');
      assert.equal(await page.locator('a.add-link').count(), 0, 'no Add course button');
      const first = page.locator('table.admin-table tbody a').first();
      const href = await first.getAttribute('href');
      await page.goto(href);
      await page.waitForSelector('form.admin-form');
      assert.equal(await page.locator('form.admin-form:not(.inline-add) button[type="submit"]').count(), 0, 'no Save button');
      assert.equal(await page.locator('form.inline-add').count(), 0, 'no inline Add forms');

      // Typing the URLs anyway: the server answers 403.
      for (const url of ['/admin/courses/new', '/admin/chapters', `${href}/delete`]) {
        const res = await page.goto(url);
        assert.equal(res.status(), 403, `${url} answers 403`);
      }
      const res = await page.request.post(`${BASE_URL}/fn/admin/save`, {
        headers: { origin: BASE_URL },
        form: { model: 'courses', id: href.split('/').pop(), 'values[title]': 'hijacked' },
      });
      assert.equal(res.status(), 403, 'saving a course answers 403');
      // The 403 pages are logged by Chromium as failed resources; nothing else may be.
      assertNoConsoleErrors(consoleErrors.filter((e) => !/status of 403/.test(e.text)));
    } finally {
      await closePage(handle);
    }
  });
});
