// The profile page (messages beside the fields, saving) and the forgotten-password form (one
// answer whether or not the address has an account).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const unique = () => `p${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const PASSWORD = 'correct horse battery staple';

describe('profile and password reset', () => {
  let browser;
  before(async () => {
    await waitForServer(BASE_URL);
    browser = await launchBrowser();
  });
  after(async () => { await browser?.close(); });

  it('edits the profile with messages beside the fields', async () => {
    const handle = await newPage(browser);
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

      await page.click('a[href="/account/profile"]');
      await page.waitForURL(/\/account\/profile$/);
      await page.waitForSelector('input[name="nickname"]');
      await waitForHydration(page);
      assert.equal(await page.inputValue('input[name="email"]'), `${username}@example.com`);
      assert.match(await page.textContent('.verification'), /not verified/);

      await page.fill('input[name="nickname"]', 'Learner');
      await page.fill('input[name="avatar_url"]', 'javascript:alert(1)');
      await page.click('form.auth-form button[type="submit"]');
      await page.waitForSelector('.field.invalid .field-error:not(:empty)');
      assert.match(await page.textContent('.field.invalid .field-error'), /http/);

      await page.fill('input[name="avatar_url"]', 'https://img.example.com/me.png');
      await page.fill('textarea[name="bio"]', 'Learning Rust');
      await page.click('form.auth-form button[type="submit"]');
      await page.waitForFunction(() => /Saved/.test(document.querySelector('.form-ok')?.textContent || ''));
      await page.reload();
      await page.waitForSelector('input[name="nickname"]');
      assert.equal(await page.inputValue('input[name="nickname"]'), 'Learner');
      assert.equal(await page.inputValue('textarea[name="bio"]'), 'Learning Rust');
      // The invalid avatar answered 422 by design; Chromium logs that as a console error.
      assertNoConsoleErrors(consoleErrors.filter((e) => !/status of 422/.test(e.text)));
    } finally {
      await closePage(handle);
    }
  });

  it('answers the same whether or not an account exists', async () => {
    // An account to ask for, registered in its own browser context.
    const owner = await newPage(browser);
    const known = `${unique()}@example.com`;
    try {
      await owner.page.goto(`${BASE_URL}/register`);
      await waitForHydration(owner.page);
      await owner.page.fill('input[name="username"]', known.split('@')[0]);
      await owner.page.fill('input[name="email"]', known);
      await owner.page.fill('input[name="password"]', PASSWORD);
      await owner.page.click('form.auth-form button[type="submit"]');
      await owner.page.waitForURL(/\/account$/);
    } finally {
      await closePage(owner);
    }

    // What a visitor sees (the server's answer, the page's message, where it ends up), asked
    // once for the known address and once for an unknown one, in fresh anonymous contexts.
    const ask = async (email) => {
      const handle = await newPage(browser);
      const { page, consoleErrors } = handle;
      try {
        await page.goto(`${BASE_URL}/login`);
        await waitForHydration(page);
        await page.click('a[href="/password/forgot"]');
        await page.waitForURL(/\/password\/forgot$/);
        await waitForHydration(page);
        await page.fill('input[name="email"]', email);
        const answer = page.waitForResponse((r) => r.url().includes('/fn/accounts/password/forgot'));
        await page.click('form.auth-form button[type="submit"]');
        const response = await answer;
        await page.waitForFunction(() => /If an account exists/.test(document.querySelector('.form-ok')?.textContent || ''));
        assertNoConsoleErrors(consoleErrors);
        return {
          status: response.status(),
          body: await response.text(),
          message: (await page.textContent('.form-ok')).trim(),
          errors: await page.locator('.field-error:not(:empty), .form-error:not(:empty)').count(),
          url: page.url(),
        };
      } finally {
        await closePage(handle);
      }
    };
    const forKnown = await ask(known);
    const forUnknown = await ask(`${unique()}@example.com`);
    assert.equal(forKnown.status, 200);
    assert.equal(forKnown.errors, 0);
    assert.deepEqual(forUnknown, forKnown, 'the answers differ: they tell which addresses have accounts');
  });
});
