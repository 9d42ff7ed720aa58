// The devices page: register → sign in on a second browser → both sessions are listed → sign
// the other one out from here → that browser is signed out → sign out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const unique = () => `d${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const PASSWORD = 'correct horse battery staple';

describe('devices', () => {
  let browser;
  before(async () => {
    await waitForServer(BASE_URL);
    browser = await launchBrowser();
  });
  after(async () => { await browser?.close(); });

  it('lists both browsers, signs the other one out, then signs out', async () => {
    const mine = await newPage(browser);
    const other = await newPage(browser);
    try {
      const username = unique();
      const { page } = mine;
      await page.goto(`${BASE_URL}/register`);
      await waitForHydration(page);
      await page.fill('input[name="username"]', username);
      await page.fill('input[name="email"]', `${username}@example.com`);
      await page.fill('input[name="password"]', PASSWORD);
      await page.click('form.auth-form button[type="submit"]');
      await page.waitForURL(/\/account$/);

      // A second browser context is a second device.
      const second = other.page;
      await second.goto(`${BASE_URL}/login`);
      await waitForHydration(second);
      await second.fill('input[name="username"]', username);
      await second.fill('input[name="password"]', PASSWORD);
      await second.click('form.auth-form button[type="submit"]');
      await second.waitForURL(/\/account$/);
      await second.waitForSelector('dd.username');

      await page.click('a[href="/account/devices"]');
      await page.waitForURL(/\/account\/devices$/);
      await page.waitForSelector('li.device');
      await waitForHydration(page);
      assert.equal(await page.locator('li.device').count(), 2, 'two sessions listed');
      assert.equal(await page.locator('li.device.current').count(), 1, 'this one is marked');
      assert.match(await page.textContent('li.device.current'), /Chrome/);
      assert.match(await page.textContent('li.device.current .device-ip'), /127\.0\.0\.1/);

      await page.click('li.device:not(.current) button[type="submit"]');
      await page.waitForFunction(() => document.querySelectorAll('li.device').length === 1);
      assert.equal(await page.locator('li.device.current').count(), 1);

      await second.goto(`${BASE_URL}/account`);
      await second.waitForURL(/\/login$/);

      await page.goto(`${BASE_URL}/account`);
      await waitForHydration(page);
      await page.click('button.sign-out');
      await page.waitForURL((url) => url.pathname === '/');
      await page.goto(`${BASE_URL}/account/devices`);
      await page.waitForURL(/\/login$/);
      assertNoConsoleErrors(mine.consoleErrors);
      assertNoConsoleErrors(other.consoleErrors);
    } finally {
      await closePage(mine);
      await closePage(other);
    }
  });
});
