/**
 * Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (never a
 * downloaded browser), and a page signed in as the test app's superuser.
 */
import { type Browser, chromium, type Page } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A new page signed in through the sign-in form (as root@example.org unless told otherwise). */
export async function signedInPage(browser: Browser, base: string, email = 'root@example.org', password = 'root-password'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${base}/ui/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/ui\/projects/), page.click('button[type=submit]')]);
  return page;
}

/** Sends `text` as the phone `from` through a project's SMS tester page. */
export async function textFromTester(page: Page, base: string, project: string, from: string, text: string): Promise<void> {
  await page.goto(`${base}/ui/p/${project}/tester`);
  await page.fill('#f-from', from);
  await page.fill('#f-text', text);
  await Promise.all([page.waitForURL(/tester\?gateway=/), page.click('text=Send as this phone')]);
}

/** Reloads until the element's text matches (workers handle messages in the background); at most 50 tries. */
export async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const text = await page.locator(selector).innerText();
    if (pattern.test(text)) {
      return text;
    }
    await page.waitForTimeout(100);
    await page.reload();
  }
  throw new Error(`"${pattern}" never appeared in ${selector}`);
}
