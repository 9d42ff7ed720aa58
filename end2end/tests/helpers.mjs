// Shared plumbing for the browser tests: where the server is, how to start Debian's Chromium
// through playwright-core (no browser download), and how to collect console errors.

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');

/** Set by scripts/test, which configures every optional part: a spec must not skip itself then. */
export const STRICT = process.env.E2E_STRICT === '1';

/** Launch flags that work as root in a container, with no GPU and no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Default timeout for one Playwright action or wait (ms). The wasm bundle compiles slowly on 2 cores. */
export const ACTION_TIMEOUT = Number(process.env.E2E_ACTION_TIMEOUT || 20000);

/** The exact console message Chromium logs when the document itself answers 404. */
export const DOCUMENT_404_MESSAGE = 'Failed to load resource: the server responded with a status of 404 (Not Found)';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `GET {url}/readyz` until it answers 200. The server may still be starting (the test
 * runner and the server are started together), so connection errors are expected for a while.
 */
export async function waitForServer(url = BASE_URL, timeoutMs = 60000) {
  const readyz = new URL('/readyz', url).toString();
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt yet';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(readyz, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err?.cause?.code || err?.message || String(err);
    }
    await sleep(500);
  }
  throw new Error(`server at ${readyz} not ready after ${timeoutMs} ms (last: ${last})`);
}

/** Debian's Chromium driven by playwright-core. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    // Playwright adds its own --headless; ours is in CHROMIUM_ARGS as well, which is harmless.
    headless: true,
  });
}

/**
 * A fresh context and page (relative URLs resolve against BASE_URL), plus `consoleErrors`, which
 * collects every console message of type `error` and every uncaught page error.
 * Each entry is `{ kind, text, url }`; `kind` is `console` or `pageerror`.
 * Close it with `context.close()` (or `closePage(...)`).
 */
export async function newPage(browser, options = {}) {
  // English unless a spec asks otherwise: the specs read the English pages (the language
  // spec, i18n.test.mjs, reads both).
  const context = await browser.newContext({ baseURL: BASE_URL, locale: 'en-US', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_TIMEOUT);
  page.setDefaultNavigationTimeout(Math.max(ACTION_TIMEOUT, 30000));
  const consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      consoleErrors.push({ kind: 'console', text: msg.text(), url: msg.location()?.url || '' });
    }
  });
  page.on('pageerror', (err) => {
    consoleErrors.push({ kind: 'pageerror', text: err?.stack || err?.message || String(err), url: page.url() });
  });
  page.on('crash', () => {
    consoleErrors.push({ kind: 'pageerror', text: 'the page crashed', url: page.url() });
  });
  return { context, page, consoleErrors };
}

export async function closePage(handle) {
  if (handle?.context) await handle.context.close().catch(() => {});
}

/** Fails the test with every collected console error / page error listed. */
export function assertNoConsoleErrors(errors) {
  if (errors.length === 0) return;
  const lines = errors.map((e, i) => `  ${i + 1}. [${e.kind}] ${e.text}${e.url ? ` (at ${e.url})` : ''}`);
  assert.fail(`expected no console errors, got ${errors.length}:\n${lines.join('\n')}`);
}

/**
 * Drops the one console error Chromium logs because the *document* answered 404 (and only for
 * that document's URL), keeping everything else — a missing script or image still counts.
 */
export function withoutDocument404(errors, documentUrl) {
  const target = new URL(documentUrl, BASE_URL).toString();
  return errors.filter(
    (e) => !(e.kind === 'console' && e.text === DOCUMENT_404_MESSAGE && (e.url === '' || e.url === target)),
  );
}

/**
 * Waits until the wasm bundle (/pkg/xuecheng.js) has hydrated the page: network idle, then the
 * marker the frontend sets right after `hydrate_body` returns.
 */
export async function waitForHydration(page) {
  await page.waitForLoadState('networkidle');
  try {
    await page.waitForFunction(() => window.__xc_hydrated === true, null, { timeout: 30000 });
  } catch (err) {
    const scripts = await page
      .evaluate(() => [...document.scripts].map((s) => s.src || '(inline)').join(', '))
      .catch(() => '?');
    throw new Error(`page ${page.url()} did not hydrate within 30 s (window.__xc_hydrated never became true; scripts: ${scripts}): ${err.message}`);
  }
}
