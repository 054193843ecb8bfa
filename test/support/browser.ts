/**
 * Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (never a
 * downloaded browser), a test app listening on loopback for it, and a page signed in as the test
 * app's superuser.
 */
import path from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';

import { startDispatchWorker } from '../../src/services/dispatch-worker.ts';
import { processInbound } from '../../src/services/inbound.service.ts';
import { type PollingLoop, startPollingLoop } from '../../src/lib/polling-loop.ts';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app.ts';

/** Where browser tests save the screenshots the docs show. */
export const shots = path.resolve(import.meta.dirname, '../../docs/screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface BrowserAppOptions extends TestAppOptions {
  /** Run the workers a server runs (handle inbound, send what is due), polling every 50 ms, from after `setup`. */
  workers?: boolean;
}

export interface BrowserApp {
  t: TestApp;
  browser: Browser;
  /** The app's address on 127.0.0.1. */
  base: string;
  shots: string;
  /** Closes Chromium, stops the workers, closes the app. */
  close(): Promise<void>;
}

/**
 * A test app, set up by `setup` (projects, gateways, cases…), listening on 127.0.0.1, and Chromium
 * to drive it. If anything fails on the way, what was started is closed again.
 */
export async function startBrowserApp(options: BrowserAppOptions = {}, setup?: (t: TestApp) => Promise<void>): Promise<BrowserApp> {
  const { workers, ...appOptions } = options;
  const t = await createTestApp(appOptions);
  const loops: PollingLoop[] = [];
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    for (const l of loops.splice(0)) {
      await l.stop();
    }
    await t.close();
  };
  try {
    await setup?.(t);
    if (workers) {
      loops.push(startPollingLoop(() => processInbound(t.deps, 50), { fullBatch: 50, pollMs: 50 }));
      loops.push(startDispatchWorker(t.deps, { batchSize: 50, leaseMs: 60_000, pollMs: 50 }));
    }
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    return { t, browser, base, shots, close };
  } catch (err) {
    await close();
    throw err;
  }
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
