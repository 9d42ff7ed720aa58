// Buying a course in the browser: a new student picks a price policy on the course page, pays
// through the embedded demo gateway (clearly labelled, no money moves) and finds the course
// under "my courses", where the course page now says "continue learning". Needs the demo
// gateway (PAYMENTS_DEMO, on by default on the embedded SQLite database) and the demo seed's
// coupon DEMO10 (¥10 off from ¥20).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const unique = () => `b${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const PASSWORD = 'correct horse battery staple';

describe('checkout', () => {
  let browser;
  before(async () => {
    await waitForServer(BASE_URL);
    browser = await launchBrowser();
  });
  after(async () => { await browser?.close(); });

  it('picks a policy, pays through the demo gateway and finds the course under my courses', async (t) => {
    // A demo course with its four policies: other specs may have made priced courses in the
    // back office, which has no policy screens yet (such a course is "not for sale").
    const list = await (await fetch(`${BASE_URL}/api/v1/courses?price_min=5000&per_page=50`)).json();
    let course;
    for (const candidate of list.results ?? []) {
      const policies = await (await fetch(`${BASE_URL}/api/v1/courses/${candidate.id}/price-policies`)).json();
      if (Array.isArray(policies) && policies.length >= 4) { course = candidate; break; }
    }
    assert.ok(course, 'a priced public course with its price policies');
    // A visitor in China: times are shown in their zone, not the server's UTC.
    const handle = await newPage(browser, { timezoneId: 'Asia/Shanghai' });
    const { page, consoleErrors } = handle;
    try {
      const username = unique();
      await page.goto(`${BASE_URL}/register`);
      await waitForHydration(page);
      await page.fill('input[name="username"]', username);
      await page.fill('input[name="email"]', `${username}@example.com`);
      await page.fill('input[name="password"]', PASSWORD);
      await page.click('form.auth-form button[type="submit"]');
      await page.waitForURL(/\/account$/);

      await page.goto(`${BASE_URL}/courses/${course.slug}`);
      await waitForHydration(page);
      await page.waitForSelector('form.buy-box fieldset.policies');
      // Shortest validity first (3, 6, 12 months), permanent last and preselected: take 12.
      await page.locator('form.buy-box input[name="price_policy_id"]').nth(2).check();
      await page.fill('form.buy-box input[name="coupon_code"]', 'DEMO10');
      await page.click('form.buy-box button.buy');
      await page.waitForURL(/\/checkout\/XC[0-9A-Z]+$/);
      assert.match(await page.textContent('.order-discount'), /10\.00/, 'the coupon is applied');
      // "Pay before" in the visitor's zone (UTC+8, no daylight saving), the UTC kept as title.
      const payBefore = page.locator('.pay-before time[data-local]');
      await page.waitForFunction(() => document.querySelector('.pay-before time')?.dataset.localised);
      const utc = new Date(await payBefore.getAttribute('datetime'));
      const shanghai = new Date(utc.getTime() + 8 * 3600 * 1000).toISOString();
      assert.equal(await payBefore.textContent(),
        `${shanghai.slice(0, 10)} ${shanghai.slice(11, 16)} GMT+8`);
      assert.equal(await payBefore.getAttribute('title'),
        `${utc.toISOString().slice(0, 10)} ${utc.toISOString().slice(11, 16)} UTC`);
      await page.waitForSelector('form.pay-form');
      if (!(await page.locator('label.provider.demo').count())) {
        t.skip('the demo gateway is off (PAYMENTS_DEMO)');
        return;
      }
      assert.match(await page.textContent('label.provider.demo'), /no money moves/);
      await page.check('label.provider.demo input');
      await page.click('form.pay-form button.pay');
      await page.waitForURL(/\/pay\/demo\//);
      assert.match(await page.textContent('.demo-warning'), /demo gateway/);
      await page.click('form.demo-pay-form button.pay');
      await page.waitForURL(/\/account\/courses$/);
      await page.waitForSelector(`li.owned-course[data-course-id="${course.id}"]`);
      assert.match(await page.textContent(`li.owned-course[data-course-id="${course.id}"] .until`), /until/);

      await page.goto(`${BASE_URL}/courses/${course.slug}`);
      await page.waitForSelector('a.continue');
      assertNoConsoleErrors(consoleErrors);
    } finally {
      await closePage(handle);
    }
  });
});
