// The course catalogue in a real browser: home, list (filters, sort, pages, search), a course
// and its outline (the proof that hydration works), 404s and hostile query strings.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  BASE_URL,
  waitForServer,
  launchBrowser,
  newPage,
  closePage,
  assertNoConsoleErrors,
  withoutDocument404,
  waitForHydration,
} from './helpers.mjs';

const TEST_TIMEOUT = Number(process.env.E2E_TEST_TIMEOUT || 120000);
const PER_PAGE = 20;

let browser;

/**
 * Runs `fn` with a fresh page and closes it afterwards. When the test fails, the console errors
 * seen so far are appended to the failure: they usually explain it.
 */
async function withPage(fn) {
  const handle = await newPage(browser);
  try {
    await fn(handle);
  } catch (err) {
    if (handle.consoleErrors.length > 0 && err instanceof Error) {
      err.message += `\nconsole errors seen on ${handle.page.url()}:\n${handle.consoleErrors
        .map((e) => `  [${e.kind}] ${e.text}${e.url ? ` (at ${e.url})` : ''}`)
        .join('\n')}`;
    }
    throw err;
  } finally {
    await closePage(handle);
  }
}

/** Loads `path` as a full document and checks its HTTP status. */
async function gotoStatus(page, path, status = 200) {
  const response = await page.goto(path);
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), status, `GET ${path} answered ${response.status()}, expected ${status}`);
  return response;
}

/** Clicks `locator` and waits until the URL satisfies `predicate(URL)` (client-side or full navigation). */
async function clickAndWaitForUrl(page, locator, predicate, what) {
  await locator.waitFor({ state: 'visible' });
  await Promise.all([
    page.waitForURL(predicate).catch((err) => {
      throw new Error(`after clicking ${what}, the URL never matched (now ${page.url()}): ${err.message}`);
    }),
    locator.click(),
  ]);
}

const resultCards = (page) => page.locator('section.results article.course-card');
const filterLink = (page, group, text) => page.locator(`.filter-group[data-filter="${group}"] a`, { hasText: text });
const activeFilterLink = (page, group, text) =>
  page.locator(`.filter-group[data-filter="${group}"] a.active`, { hasText: text });

/** `¥12.90` → 1290, `免费 Free` → 0. */
function parsePrice(text) {
  if (/free/i.test(text)) return 0;
  const m = text.replace(/[,\s]/g, '').match(/(-?)¥(\d+)(?:\.(\d{1,2}))?/);
  assert.ok(m, `cannot parse price ${JSON.stringify(text)}`);
  const cents = Number(m[2]) * 100 + Number((m[3] || '0').padEnd(2, '0'));
  return m[1] === '-' ? -cents : cents;
}

/** A word from a course title to search for: the longest Latin word, else two CJK characters. */
function searchWordFrom(title) {
  const words = title.match(/[A-Za-z][A-Za-z0-9]+/g) || [];
  if (words.length > 0) return words.reduce((best, w) => (w.length > best.length ? w : best));
  const cjk = title.match(/[\u3400-\u9fff]{2,}/);
  if (cjk) return cjk[0].slice(0, 2);
  return title.trim().split(/\s+/)[0];
}

async function firstSlug(page) {
  return resultCards(page).first().getAttribute('data-slug');
}

/** Checks every result card's level and price against the filters beginner + free. */
async function assertBeginnerFreeResults(page) {
  const count = await resultCards(page).count();
  if (count === 0) {
    // A legitimate outcome if the demo data has no free beginner course; the page must say so.
    assert.equal(await page.locator('section.results .empty').count(), 1, 'no cards and no "empty" message');
    return;
  }
  for (const level of await page.locator('section.results article.course-card .level').allTextContents()) {
    assert.match(level, /Beginner/, `a card with level ${JSON.stringify(level)} under level=beginner`);
  }
  const priceClasses = await page
    .locator('section.results article.course-card .price')
    .evaluateAll((els) => els.map((el) => ({ free: el.classList.contains('free'), text: el.textContent })));
  assert.equal(priceClasses.length, count, 'every card has a .price');
  for (const p of priceClasses) {
    assert.ok(p.free, `a card priced ${JSON.stringify(p.text)} without class "free" under price=free`);
  }
}

describe('course catalogue', { timeout: TEST_TIMEOUT * 12 }, () => {
  before(async () => {
    await waitForServer(BASE_URL, Number(process.env.E2E_SERVER_TIMEOUT || 60000));
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('home page shows featured and newest courses', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      await gotoStatus(page, '/', 200);
      for (const id of ['featured', 'newest']) {
        const section = page.locator(`section#${id}`);
        assert.equal(await section.count(), 1, `section #${id} is missing`);
        const cards = await section.locator('article.course-card').count();
        assert.ok(cards > 0, `section #${id} has no article.course-card`);
      }
      await waitForHydration(page);
      assertNoConsoleErrors(consoleErrors);
    }));

  it('course list: total, 20 cards on page 1, pagination', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      await gotoStatus(page, '/courses', 200);
      const count = page.locator('p.count');
      assert.equal(await count.count(), 1, 'p.count is missing');
      const totalAttr = await count.getAttribute('data-total');
      assert.ok(totalAttr !== null, 'p.count has no data-total');
      const total = Number(totalAttr);
      assert.ok(Number.isInteger(total), `data-total ${JSON.stringify(totalAttr)} is not a number`);
      assert.ok(total > PER_PAGE, `expected more than ${PER_PAGE} demo courses, data-total=${total}`);
      assert.equal(await resultCards(page).count(), PER_PAGE, 'cards on page 1');
      assert.equal(await page.locator('nav.pagination').count(), 1, 'nav.pagination is missing');
      await waitForHydration(page);
      assertNoConsoleErrors(consoleErrors);
    }));

  it('filters by level and price, and the filters live in the URL', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      await gotoStatus(page, '/courses', 200);
      const allTotal = Number(await page.locator('p.count').getAttribute('data-total'));
      await waitForHydration(page);

      // Level: Beginner.
      await clickAndWaitForUrl(
        page,
        filterLink(page, 'level', 'Beginner'),
        (url) => url.search.includes('level=beginner'),
        'the Beginner level filter',
      );
      assert.ok(page.url().includes('level=beginner'), `URL ${page.url()}`);
      await activeFilterLink(page, 'level', 'Beginner').waitFor();
      const beginnerTotal = Number(await page.locator('p.count').getAttribute('data-total'));
      assert.ok(beginnerTotal > 0, 'no beginner course in the demo data');
      assert.ok(beginnerTotal <= allTotal, `level filter grew the total: ${beginnerTotal} > ${allTotal}`);
      const cards = await resultCards(page).count();
      assert.ok(cards > 0, 'no card after filtering by level');
      for (const level of await page.locator('section.results article.course-card .level').allTextContents()) {
        assert.match(level, /Beginner/, `a card with level ${JSON.stringify(level)} under level=beginner`);
      }

      // Price: Free, on top of the level.
      await clickAndWaitForUrl(
        page,
        filterLink(page, 'price', 'Free'),
        (url) => url.search.includes('price=free'),
        'the Free price filter',
      );
      assert.ok(page.url().includes('price=free'), `URL ${page.url()}`);
      assert.ok(page.url().includes('level=beginner'), `the level filter was lost: ${page.url()}`);
      await activeFilterLink(page, 'price', 'Free').waitFor();
      await activeFilterLink(page, 'level', 'Beginner').waitFor();
      await assertBeginnerFreeResults(page);

      // Reload: the state comes back from the URL alone.
      const filteredUrl = page.url();
      const reloaded = await page.reload();
      assert.ok(reloaded, 'no response on reload');
      assert.equal(reloaded.status(), 200, 'status on reload');
      assert.equal(page.url(), filteredUrl, 'URL changed on reload');
      assert.equal(await activeFilterLink(page, 'level', 'Beginner').count(), 1, 'Beginner is not active after reload');
      assert.equal(await activeFilterLink(page, 'price', 'Free').count(), 1, 'Free is not active after reload');
      await assertBeginnerFreeResults(page);
      await waitForHydration(page);
      assertNoConsoleErrors(consoleErrors);
    }));

  it('sorts by price, highest first', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      await gotoStatus(page, '/courses', 200);
      await waitForHydration(page);
      await clickAndWaitForUrl(
        page,
        page.locator('a.sort[data-sort="price_desc"]'),
        (url) => url.search.includes('sort=price_desc'),
        'sort by price descending',
      );
      await page.locator('a.sort.active[data-sort="price_desc"]').waitFor();
      const texts = await page.locator('section.results article.course-card .price').allTextContents();
      assert.ok(texts.length >= 2, `too few cards to check an order: ${texts.length}`);
      const prices = texts.map(parsePrice);
      for (let i = 1; i < prices.length; i++) {
        assert.ok(
          prices[i] <= prices[i - 1],
          `prices not non-increasing at card ${i + 1}: ${texts[i - 1]} then ${texts[i]} (all: ${texts.join(', ')})`,
        );
      }
      assertNoConsoleErrors(consoleErrors);
    }));

  it('goes to the next page', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      await gotoStatus(page, '/courses', 200);
      const page1First = await firstSlug(page);
      assert.ok(page1First, 'first card of page 1 has no data-slug');
      await waitForHydration(page);
      await clickAndWaitForUrl(
        page,
        page.locator('nav.pagination a[rel="next"]'),
        (url) => url.search.includes('page=2'),
        'the next-page link',
      );
      assert.ok(page.url().includes('page=2'), `URL ${page.url()}`);
      await page.locator('nav.pagination .current', { hasText: /^\s*2\s*$/ }).waitFor();
      const page2First = await firstSlug(page);
      assert.ok(page2First, 'first card of page 2 has no data-slug');
      assert.notEqual(page2First, page1First, 'page 2 starts with the same course as page 1');
      assert.ok((await resultCards(page).count()) <= PER_PAGE, 'more than 20 cards on page 2');
      assertNoConsoleErrors(consoleErrors);
    }));

  it('searches from the header', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      await gotoStatus(page, '/courses', 200);
      const title = (await resultCards(page).first().locator('.course-title').textContent()) || '';
      const word = searchWordFrom(title);
      assert.ok(word, `no word to search for in title ${JSON.stringify(title)}`);
      await waitForHydration(page);

      const input = page.locator('header.site-header input[name="q"]');
      await input.fill(word);
      await Promise.all([
        page.waitForURL((url) => url.searchParams.has('q')),
        input.press('Enter'),
      ]);
      assert.ok(page.url().includes('q='), `URL ${page.url()}`);
      assert.equal(new URL(page.url()).searchParams.get('q'), word, 'q in the URL');
      // The heading names the search once the results for it are in.
      await page.locator('section.results h1', { hasText: word }).waitFor();
      const titles = await page.locator('section.results article.course-card .course-title').allTextContents();
      assert.ok(titles.length > 0, `searching ${JSON.stringify(word)} (from ${JSON.stringify(title)}) found nothing`);
      for (const t of titles) {
        assert.ok(
          t.toLowerCase().includes(word.toLowerCase()),
          `result ${JSON.stringify(t)} does not contain ${JSON.stringify(word)}`,
        );
      }
      assertNoConsoleErrors(consoleErrors);
    }));

  it('opens a course; its outline chapters open and close (hydration works)', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      // Click through the first few cards until a course with at least two chapters shows up.
      let chapters = 0;
      let tried = [];
      for (let i = 0; i < 5 && chapters < 2; i++) {
        await gotoStatus(page, '/courses', 200);
        await waitForHydration(page);
        const card = resultCards(page).nth(i);
        const slug = await card.getAttribute('data-slug');
        tried.push(slug);
        await clickAndWaitForUrl(page, card.locator('a').first(), (url) => url.pathname === `/courses/${slug}`, `card ${slug}`);
        await page.locator('article.course-detail h1').waitFor();
        await page.locator('ol.outline, section.syllabus .muted').first().waitFor();
        chapters = await page.locator('ol.outline > li.chapter').count();
      }
      assert.ok(chapters >= 2, `none of the courses ${tried.join(', ')} has two chapters to toggle`);
      assert.equal(await page.locator('h1').count() >= 1, true, 'no h1');

      // Load that course as a document, so the toggles below run on hydrated server HTML.
      await gotoStatus(page, page.url(), 200);
      assert.equal(await page.locator('article.course-detail h1').count(), 1, 'no h1 in the course page');
      const chapterItems = page.locator('ol.outline > li.chapter');
      assert.ok((await chapterItems.count()) >= 2, 'fewer than two chapters after reload');
      const first = chapterItems.nth(0);
      const second = chapterItems.nth(1);
      assert.ok(await first.evaluate((el) => el.classList.contains('expanded')), 'the first chapter is not expanded');

      const toggle = second.locator('button.chapter-toggle');
      const lessons = second.locator('ul.lessons');
      const state = () =>
        second.evaluate((li) => ({
          expanded: li.classList.contains('expanded'),
          aria: li.querySelector('button.chapter-toggle')?.getAttribute('aria-expanded'),
          hidden: li.querySelector('ul.lessons')?.hidden,
        }));
      assert.deepEqual(await state(), { expanded: false, aria: 'false', hidden: true }, 'second chapter before the click');

      await waitForHydration(page);

      // Open.
      await toggle.click();
      await page
        .waitForFunction((li) => li.classList.contains('expanded'), await second.elementHandle(), { timeout: 5000 })
        .catch(() => {
          throw new Error('clicking the second chapter did nothing: the page is not hydrated (no event handler)');
        });
      assert.deepEqual(await state(), { expanded: true, aria: 'true', hidden: false }, 'second chapter after one click');
      if ((await lessons.locator('li.lesson').count()) > 0) {
        assert.ok(await lessons.isVisible(), 'the lessons of the opened chapter are not visible');
      }

      // Close again.
      await toggle.click();
      await page.waitForFunction((li) => !li.classList.contains('expanded'), await second.elementHandle(), {
        timeout: 5000,
      });
      assert.deepEqual(await state(), { expanded: false, aria: 'false', hidden: true }, 'second chapter after two clicks');
      assert.equal(await lessons.isVisible(), false, 'the lessons of the closed chapter are still visible');
      // The first chapter was not touched.
      assert.ok(await first.evaluate((el) => el.classList.contains('expanded')), 'the first chapter closed by itself');

      assertNoConsoleErrors(consoleErrors);
    }));

  it('an unknown course answers 404', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      const path = '/courses/no-such-course-xyz';
      await gotoStatus(page, path, 404);
      await page.locator('h1', { hasText: '404' }).waitFor();
      await waitForHydration(page);
      assertNoConsoleErrors(withoutDocument404(consoleErrors, path));
    }));

  it('an unknown path answers 404', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      const path = '/nope';
      await gotoStatus(page, path, 404);
      await page.locator('h1', { hasText: '404' }).waitFor();
      await waitForHydration(page);
      assertNoConsoleErrors(withoutDocument404(consoleErrors, path));
    }));

  it('bad query parameters are explained, never a 500', { timeout: TEST_TIMEOUT }, () =>
    withPage(async ({ page, consoleErrors }) => {
      const path = '/courses?page=0&per_page=10000&sort=bogus&level=%3Cscript%3Ealert(1)%3C%2Fscript%3E';
      await gotoStatus(page, path, 200);
      const notices = page.locator('ul.notices li');
      assert.ok((await notices.count()) >= 1, 'ul.notices has no message');
      const texts = (await notices.allTextContents()).map((t) => t.trim());
      assert.ok(texts.every((t) => t.length > 0), `an empty notice: ${JSON.stringify(texts)}`);
      assert.equal(await page.locator('ul.notices script, section.results script').count(), 0, 'markup from the URL was rendered');
      // Clamped to 100 per page: every course up to 100 (the 150-course clamp is in catalog_pages.rs).
      const total = Number(await page.locator('p.count').getAttribute('data-total'));
      assert.equal(await resultCards(page).count(), Math.min(total, 100), 'per_page was not clamped to 100');
      await waitForHydration(page);
      assertNoConsoleErrors(consoleErrors);

      // More hostile inputs, without a browser: each is a 200 page, with notices exactly when a
      // value was ignored or clamped (a search is cut, not refused; a page past the end is empty).
      const more = [
        ['/courses?page=abc', true],
        ['/courses?page=99999999999', true],
        ['/courses?page=4294967295', false],
        ['/courses?per_page=-1', true],
        ['/courses?price=maybe&direction=Py%20thon!&category=%01', true],
        [`/courses?q=${'a'.repeat(500)}`, false],
        ['/courses?q=%25%27%22%3B--', false],
        ['/courses?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E', false],
        ['/courses?level=beginner&level=advanced&sort=price_asc&sort=', false],
      ];
      // A NUL is refused at the edge for every route (PostgreSQL text cannot hold one).
      const nul = await fetch(BASE_URL + '/courses?category=%00', { redirect: 'manual' });
      assert.equal(nul.status, 400, 'GET /courses?category=%00');
      assert.match(await nul.text(), /NUL/);
      for (const [p, explained] of more) {
        const res = await fetch(BASE_URL + p, { redirect: 'manual' });
        const html = await res.text();
        assert.equal(res.status, 200, `GET ${p}`);
        assert.equal(html.includes('class="notices"'), explained, `GET ${p}: notices shown or not`);
        assert.ok(!html.includes('<script>alert'), `GET ${p} rendered markup from the URL`);
      }
      // The 500-character search is cut to 100 characters and shown as such.
      const long = await (await fetch(`${BASE_URL}/courses?q=${'a'.repeat(500)}`)).text();
      assert.ok(long.includes(`“${'a'.repeat(100)}”`), 'the cut search is shown');
      assert.ok(!long.includes('a'.repeat(101)), 'nothing past the cut');
    }));
});
