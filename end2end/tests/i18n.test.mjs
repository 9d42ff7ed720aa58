// One language at a time, in a real browser: a Chinese visitor switches the course list to
// English and finds the same page in English, the choice survives a reload and a client-side
// navigation, nothing logs an error; the back office sends an anonymous visitor to sign in.
// Screenshots of home, course list and a course page in both languages at 1280 and 360 px go to
// end2end/test-results/i18n/ for review.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import {
  waitForServer,
  launchBrowser,
  newPage,
  closePage,
  assertNoConsoleErrors,
  waitForHydration,
} from './helpers.mjs';

const TEST_TIMEOUT = Number(process.env.E2E_TEST_TIMEOUT || 120000);
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results', 'i18n');

let browser;

async function withPage(options, fn) {
  const handle = await newPage(browser, options);
  try {
    await fn(handle);
  } catch (err) {
    if (handle.consoleErrors.length > 0 && err instanceof Error) {
      err.message += `\nconsole errors: ${handle.consoleErrors.map((e) => e.text).join(' | ')}`;
    }
    throw err;
  } finally {
    await closePage(handle);
  }
}

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

/** The page fits the viewport: nothing pushes the layout sideways on a phone. */
async function assertNoSidewaysScroll(page, width) {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= width, `${page.url()} is ${scrollWidth} px wide in a ${width} px window`);
}

describe('languages', { timeout: TEST_TIMEOUT * 4 }, () => {
  before(async () => {
    await waitForServer();
    browser = await launchBrowser();
    await mkdir(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
  });

  it('switches the course list from Chinese to English and keeps it', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({ locale: 'zh-CN' }, async ({ page, consoleErrors }) => {
      await page.goto('/courses?level=beginner');
      await waitForHydration(page);
      assert.equal(await htmlLang(page), 'zh-CN');
      assert.equal((await page.textContent('section.results h1')).trim(), '全部课程');
      const chineseCards = await page.locator('.course-card').evaluateAll((els) => els.map((e) => e.dataset.slug));
      const switcher = page.locator('a.language-switch');
      assert.equal((await switcher.textContent()).trim(), 'English');
      assert.equal(await page.locator('header a', { hasText: 'Sign in' }).count(), 0, 'no English in the Chinese header');

      await Promise.all([page.waitForURL((url) => url.searchParams.get('lang') === 'en'), switcher.click()]);
      await waitForHydration(page);
      assert.equal(await htmlLang(page), 'en');
      assert.equal((await page.textContent('section.results h1')).trim(), 'All courses');
      assert.ok(new URL(page.url()).searchParams.get('level') === 'beginner', 'the filter survives the switch');
      const englishCards = await page.locator('.course-card').evaluateAll((els) => els.map((e) => e.dataset.slug));
      assert.deepEqual(englishCards, chineseCards, 'the same courses, in the same order');
      assert.ok(chineseCards.length > 0);
      assert.equal((await page.locator('.filter-group[data-filter="level"] h2').textContent()).trim(), 'Level');
      assert.equal((await page.locator('a.language-switch').textContent()).trim(), '中文');

      // The choice is remembered: a plain URL and a client-side navigation stay English.
      await page.goto('/courses');
      await waitForHydration(page);
      assert.equal(await htmlLang(page), 'en');
      await Promise.all([
        page.waitForURL((url) => url.pathname.startsWith('/courses/')),
        page.locator('.course-card a').first().click(),
      ]);
      await page.locator('section.syllabus h2', { hasText: 'Outline' }).waitFor();
      assertNoConsoleErrors(consoleErrors);
    });
  });

  it('sends an anonymous visitor from the back office to sign in, with no console error', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({}, async ({ page, consoleErrors }) => {
      const response = await page.goto('/admin');
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/admin');
      assert.equal(response.status(), 200);
      await waitForHydration(page);
      assert.equal(await page.inputValue('input[name="next"]'), '/admin');
      assertNoConsoleErrors(consoleErrors);
    });
  });

  for (const width of [1280, 360]) {
    it(`home, course list and a course page in both languages at ${width} px`, { timeout: TEST_TIMEOUT * 2 }, async () => {
      for (const locale of ['zh-CN', 'en']) {
        await withPage({ locale, viewport: { width, height: 900 } }, async ({ page, consoleErrors }) => {
          await page.goto('/courses');
          await waitForHydration(page);
          const first = await page.locator('.course-card').first().getAttribute('data-slug');
          for (const [name, url] of [['home', '/'], ['courses', '/courses'], ['course', `/courses/${first}`]]) {
            await page.goto(url);
            await waitForHydration(page);
            assert.equal(await htmlLang(page), locale, `${url} in ${locale}`);
            await assertNoSidewaysScroll(page, width);
            // The header's links stand apart: no two run together on one line.
            const gaps = await page.evaluate(() => {
              const links = [...document.querySelectorAll('.site-header nav a, .site-header .language-switch')]
                .map((a) => a.getBoundingClientRect())
                .filter((r) => r.width > 0);
              let touching = 0;
              for (const a of links) {
                for (const b of links) {
                  if (a !== b && Math.abs(a.top - b.top) < 4 && b.left > a.left && b.left - a.right < 4) touching += 1;
                }
              }
              return touching;
            });
            assert.equal(gaps, 0, `header links touch on ${url} at ${width} px (${locale})`);
            await page.screenshot({ path: path.join(SHOTS, `${name}-${locale}-${width}.png`), fullPage: false });
          }
          assertNoConsoleErrors(consoleErrors);
        });
      }
    });
  }
});
