// Third-party sign-in in the browser, against a fake GitHub (../fake-oauth.mjs) that this spec
// starts on OAUTH_FAKE_PORT (default 3939). The app under test must run with OAUTH_GITHUB_*
// pointing at it (see fake-oauth.mjs). Without a GitHub button on /login the spec is skipped,
// except under E2E_STRICT=1 (scripts/test, which configures the button): there it fails.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOAuth } from '../fake-oauth.mjs';
import {
  BASE_URL, STRICT, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from './helpers.mjs';

const unique = () => `g${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

async function loginPageHasGithub() {
  const html = await (await fetch(`${BASE_URL}/login`)).text();
  return html.includes('/auth/oauth/github/start');
}

describe('third-party sign-in', async () => {
  await waitForServer(BASE_URL);
  const enabled = await loginPageHasGithub();
  const skip = !enabled && !STRICT && 'the app shows no GitHub button: run it with OAUTH_GITHUB_* pointing at end2end/fake-oauth.mjs';
  let browser;
  let fake;
  before(async () => {
    if (skip) return;
    fake = await startFakeOAuth();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await fake?.close();
  });

  it('signs up through GitHub, signs in again, and explains a refusal', { skip }, async () => {
    assert.ok(enabled, `E2E_STRICT=1 and ${BASE_URL}/login shows no GitHub button: the OAuth page is broken or unconfigured`);
    const handle = await newPage(browser);
    const { page, consoleErrors } = handle;
    try {
      const username = unique();
      fake.setPerson({ id: Math.floor(Math.random() * 1e9), login: username, name: `Name ${username}` });

      // First visit: consent at the provider, then choose a username on the finish page.
      await page.goto(`${BASE_URL}/login`);
      await waitForHydration(page);
      await page.click('a.oauth-github');
      await page.waitForURL((url) => url.pathname === '/login/oauth/authorize');
      await page.click('#authorize');
      await page.waitForURL(/\/login\/oauth\/finish$/);
      await page.waitForSelector('.oauth-identity');
      assert.match(await page.textContent('.oauth-identity'), new RegExp(`Name ${username}`));
      await waitForHydration(page);
      await page.fill('form.oauth-register input[name="username"]', username);
      await page.fill('form.oauth-register input[name="email"]', `${username}@example.com`);
      await page.click('form.oauth-register button[type="submit"]');
      await page.waitForURL(/\/account$/);
      await page.waitForSelector('dd.username');
      assert.equal((await page.textContent('dd.username')).trim(), username);
      await page.waitForSelector('.connection-github');

      // Signed out, GitHub alone signs the same account in again.
      await waitForHydration(page);
      await page.click('button.sign-out');
      await page.waitForURL((url) => url.pathname === '/');
      await page.goto(`${BASE_URL}/login`);
      await waitForHydration(page);
      await page.click('a.oauth-github');
      await page.click('#authorize');
      await page.waitForURL(/\/account$/);
      await page.waitForSelector('dd.username');
      assert.equal((await page.textContent('dd.username')).trim(), username);

      // Refusing consent comes back to the sign-in page with a message.
      await waitForHydration(page);
      await page.click('button.sign-out');
      await page.waitForURL((url) => url.pathname === '/');
      await page.goto(`${BASE_URL}/login`);
      await waitForHydration(page);
      await page.click('a.oauth-github');
      await page.click('#cancel');
      await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('oauth_error') === 'denied');
      assert.match(await page.textContent('.oauth-error'), /You did not allow the sign-in at GitHub/);
      assertNoConsoleErrors(consoleErrors);
    } finally {
      await closePage(handle);
    }
  });
});
