// Learning in the browser: an enrolled student plays a short video lesson (a 12-second clip
// shipped in end2end/fixtures, copied under the server's MEDIA_ROOT), leaves, comes back and
// resumes where they stopped, scrolls an article lesson to its end, and finds the course at
// 50% in "my courses"; an anonymous visitor meets "buy to continue" on a paid lesson. Needs the
// e2e superuser (E2E_ADMIN_USERNAME / E2E_ADMIN_PASSWORD) and the media root (E2E_MEDIA_ROOT),
// both set by scripts/test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BASE_URL, STRICT, assertNoConsoleErrors, closePage, launchBrowser, newPage, waitForHydration, waitForServer,
} from '../tests/helpers.mjs';

const ADMIN = process.env.E2E_ADMIN_USERNAME;
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD;
const MEDIA_ROOT = process.env.E2E_MEDIA_ROOT;
const PASSWORD = 'correct horse battery staple';
const unique = () => `l${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

const ready = ADMIN && ADMIN_PASSWORD && MEDIA_ROOT;
const skip = !ready && !STRICT && 'E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD and E2E_MEDIA_ROOT not set';

describe('learning', { skip }, () => {
  let browser;
  before(async () => {
    await waitForServer(BASE_URL);
    browser = await launchBrowser();
  });
  after(async () => { await browser?.close(); });

  it('resumes a video, finishes an article, and shows the course percentage', async () => {
    const tag = unique();
    const root = await token(ADMIN, ADMIN_PASSWORD);
    // The clip under the media root; the lesson names it by the site's own media URL.
    mkdirSync(join(MEDIA_ROOT, 'e2e'), { recursive: true });
    const here = dirname(fileURLToPath(import.meta.url));
    copyFileSync(join(here, '..', 'fixtures', 'clip.webm'), join(MEDIA_ROOT, 'e2e', `${tag}.webm`));
    const any = (await api('GET', '/api/v1/courses?limit=1', null)).json.results[0];
    const course = await api('POST', '/api/v1/courses', root, {
      title: `Learning ${tag}`, slug: `learn-${tag}`, status: 'published', level: 'beginner',
      price_cents: 0, teacher_id: any.teacher_id, category_id: any.category_id,
    });
    assert.equal(course.status, 201, JSON.stringify(course.json));
    const chapter = await api('POST', `/api/v1/courses/${course.json.id}/chapters`, root, { title: 'Start' });
    assert.equal(chapter.status, 201);
    const video = await api('POST', '/api/v1/lessons', root, {
      chapter_id: chapter.json.id, title: 'Clip', kind: 'video', duration_secs: 12, position: 1,
      video_url: `${BASE_URL}/media/e2e/${tag}.webm`, content_md: 'Watch the clip.',
    });
    assert.equal(video.status, 201, JSON.stringify(video.json));
    const paragraphs = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} of a long read.`).join('\n\n');
    const article = await api('POST', '/api/v1/lessons', root, {
      chapter_id: chapter.json.id, title: 'Reading', kind: 'article', position: 2,
      content_md: `# Reading\n\n\`\`\`rust\nfn main() { println!("hi"); }\n\`\`\`\n\n${paragraphs}\n\nThe end.`,
    });
    assert.equal(article.status, 201);
    const username = `s${tag}`;
    const user = await api('POST', '/api/v1/users', root, { username, email: `${username}@example.com`, password: PASSWORD });
    assert.equal(user.status, 201, JSON.stringify(user.json));
    const student = await token(username, PASSWORD);
    const order = await api('POST', '/api/v1/orders', student, { items: [{ course_id: course.json.id }] });
    assert.equal(order.status, 201, JSON.stringify(order.json));
    assert.equal(order.json.status, 'paid', 'a free course is enrolled at once');

    const handle = await newPage(browser);
    const { page, consoleErrors } = handle;
    try {
      await page.goto(`${BASE_URL}/login`);
      await waitForHydration(page);
      await page.fill('input[name="username"]', username);
      await page.fill('input[name="password"]', PASSWORD);
      await page.click('form.auth-form button[type="submit"]');
      await page.waitForURL((url) => !url.pathname.startsWith('/login'));

      const lessonUrl = `${BASE_URL}/learn/learn-${tag}/${video.json.id}`;
      await page.goto(lessonUrl);
      await waitForHydration(page);
      const src = await page.getAttribute('video.lesson-video', 'src');
      assert.match(src, /^\/media\/e2e\/.+\?exp=\d+&sig=[0-9a-f]{64}$/, 'a signed, short-lived media URL');
      await page.evaluate(() => { const v = document.querySelector('video'); v.muted = true; return v.play(); });
      await page.waitForFunction(() => document.querySelector('video').currentTime >= 6, null, { timeout: 20000 });
      await page.evaluate(() => document.querySelector('video').pause());
      const stopped = await page.evaluate(() => document.querySelector('video').currentTime);
      // The pause saved it; leaving sends a beacon too.
      await page.goto(`${BASE_URL}/courses`);
      let saved;
      for (let i = 0; i < 50; i += 1) {
        saved = (await api('GET', `/api/v1/lessons/${video.json.id}/progress`, student)).json;
        if (saved.position_secs >= 5) break;
        await sleep(100);
      }
      assert.ok(Math.abs(saved.position_secs - stopped) <= 1.5, `saved ${saved.position_secs}, stopped at ${stopped}`);

      await page.goto(lessonUrl);
      await waitForHydration(page);
      await page.waitForFunction(
        (at) => Math.abs(document.querySelector('video').currentTime - at) <= 1.5,
        saved.position_secs,
        { timeout: 15000 },
      );

      await page.keyboard.press(']');
      await page.waitForURL(new RegExp(`/learn/learn-${tag}/${article.json.id}$`));
      await page.waitForSelector('article.lesson[data-kind="article"] .tok-kw');
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      let done = false;
      for (let i = 0; i < 50 && !done; i += 1) {
        done = (await api('GET', `/api/v1/lessons/${article.json.id}/progress`, student)).json.done;
        if (!done) await sleep(100);
      }
      assert.ok(done, 'scrolling to the end finished the article');

      await page.goto(`${BASE_URL}/account/courses`);
      await waitForHydration(page);
      const item = page.locator(`li.owned-course[data-course-id="${course.json.id}"]`);
      await item.waitFor();
      assert.equal(await item.getAttribute('data-percent'), '50', 'one of two lessons done');
      assert.ok(await item.locator('a.continue').count(), 'continue where you left off');
      assertNoConsoleErrors(consoleErrors);
    } finally {
      await closePage(handle);
    }
  });

  it('shows an anonymous visitor "buy to continue" on a paid lesson', async () => {
    const list = (await api('GET', '/api/v1/courses?price_min=100&limit=20', null)).json.results;
    let target;
    for (const c of list) {
      const chapters = (await api('GET', `/api/v1/courses/${c.id}/chapters?limit=5`, null)).json.results ?? [];
      for (const ch of chapters) {
        const lessons = (await api('GET', `/api/v1/lessons?chapter_id=${ch.id}&free_preview=false&limit=1`, null)).json.results ?? [];
        if (lessons.length) { target = { slug: c.slug, lesson: lessons[0].id }; break; }
      }
      if (target) break;
    }
    assert.ok(target, 'a paid lesson of a public course');
    const handle = await newPage(browser);
    const { page, consoleErrors } = handle;
    try {
      await page.goto(`${BASE_URL}/learn/${target.slug}/${target.lesson}`);
      await waitForHydration(page);
      await page.waitForSelector('.buy-to-continue');
      assert.match(await page.textContent('.buy-to-continue h2'), /Buy to continue/);
      assert.ok(await page.locator('.learn-lesson.locked').count(), 'the outline shows locked lessons');
      assertNoConsoleErrors(consoleErrors);
    } finally {
      await closePage(handle);
    }
  });
});
