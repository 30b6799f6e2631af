// Debian's Chromium, headless, for the tests of the HTML pages: a page opened from a file, with
// every console error, page error and request beyond the file system collected as a problem.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Whether Chromium is here; skips the test when not (fails it under CI=true, where .ci/run installs it). */
export async function requireChromium(t: TestContext): Promise<boolean> {
  const there = await access(CHROMIUM).then(
    () => true,
    () => false,
  );
  if (there) return true;
  if (process.env.CI) throw new Error('CI=true but /usr/bin/chromium is missing: .ci/run installs it');
  t.skip('Debian chromium is not installed (apt-get install chromium)');
  return false;
}

/** Opens the HTML as a file in Chromium, runs `use` on the page, and closes everything after. */
export async function withPage<T>(
  html: string,
  use: (page: Page, problems: readonly string[]) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'page-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const file = join(dir, 'page.html');
    await writeFile(file, html);
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file://')) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(`file://${file}`);
    return await use(page, problems);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}
