/**
 * Security headers of the admin UI (http/security-headers.ts): every GET route under /ui (recorded
 * from the app, so a new page is covered without editing this test), signed in as a superuser and
 * signed out, and the / redirect answer with a Content-Security-Policy that allows only the
 * server's own scripts and styles (no 'unsafe-inline', no eval, no framing), X-Frame-Options DENY,
 * nosniff and a Referrer-Policy; pages are `Cache-Control: no-store` (only the assets are cacheable);
 * no page has an inline <script>, an event handler attribute, hx-on or a style attribute (which the
 * policy would block). The session and sign-in cookies are Secure when the public URL is https (or a
 * trusted proxy says the request came over https), and not otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { LightMyRequestResponse } from 'fastify';

import type { RecordedRoute } from './support/routes.ts';
import { createSecurityFixture, fill, type SecurityFixture } from './support/security-fixture.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

function assertUiHeaders(res: LightMyRequestResponse, what: string): void {
  const csp = String(res.headers['content-security-policy'] ?? '');
  assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${what}: ${csp}`);
  assert.match(csp, /(^|; )style-src 'self'(;|$)/, `${what}: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.match(csp, /default-src 'none'/, what);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.equal(res.headers['x-frame-options'], 'DENY', what);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(res.headers['referrer-policy'], 'same-origin', what);
}

/** What a strict policy would block (or what would need 'unsafe-eval'): inline script, handlers, hx-on, js: values, style attributes and elements. */
function assertNoInlineCode(html: string, what: string): void {
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
    assert.match(tag, /\ssrc="\/ui\/assets\/[a-z.]+\.js"/, `${what}: inline script ${tag}`);
  }
  const tags = html.match(/<[a-z][^>]*>/gi) ?? [];
  for (const tag of tags) {
    assert.doesNotMatch(tag, /\son[a-z]+\s*=/i, `${what}: event handler attribute in ${tag}`);
    assert.doesNotMatch(tag, /\shx-on[:-]|\s(data-)?hx-vals="js:|\shx-vars=/i, `${what}: htmx attribute that needs eval in ${tag}`);
    assert.doesNotMatch(tag, /\sstyle\s*=/i, `${what}: style attribute in ${tag}`);
    assert.doesNotMatch(tag, /\shx-trigger="[^"]*\[/i, `${what}: hx-trigger filter (needs eval) in ${tag}`);
  }
  assert.doesNotMatch(html, /<style\b/i, `${what}: <style> element`);
  assert.doesNotMatch(html, /href="javascript:/i, `${what}: javascript: link`);
}

describe('security headers on every UI page', () => {
  let f: SecurityFixture;
  let pages: RecordedRoute[] = [];
  before(async () => {
    f = await createSecurityFixture();
    pages = f.routes.filter((r) => r.method === 'GET' && (r.url === '/' || r.url === '/ui' || r.url.startsWith('/ui/')));
  });
  after(() => f.t.close());

  test('signed in: every GET under /ui has the headers, no-store unless an asset, and no inline code in its HTML', async () => {
    assert.ok(pages.length >= 25, `${pages.length} GET routes under /ui`);
    let html = 0;
    for (const r of pages) {
      const url = fill(r.url, f.alpha);
      const res = await f.t.app.inject({ method: 'GET', url, headers: { cookie: f.creds.superuser.cookie as string } });
      const what = `GET ${url}: ${res.statusCode}`;
      assert.ok(res.statusCode < 500, `${what} ${res.body.slice(0, 300)}`);
      assertUiHeaders(res, what);
      if (r.url.startsWith('/ui/assets/')) {
        assert.match(String(res.headers['cache-control']), /^public, max-age=\d+$/, what);
        continue;
      }
      assert.equal(res.headers['cache-control'], 'no-store', what);
      if (String(res.headers['content-type']).startsWith('text/html')) {
        html += 1;
        assertNoInlineCode(res.body, what);
      }
    }
    assert.ok(html >= 20, `${html} HTML pages checked`);
    console.log(`# ${pages.length} UI GET routes, ${html} HTML pages: headers set, no inline code`);
  });

  test('signed out: the sign-in page, the redirects and an error page have the headers and no-store', async () => {
    for (const url of ['/', '/ui', '/ui/sign-in', '/ui/projects', `/ui/p/alpha/cases`]) {
      const res = await f.t.app.inject({ method: 'GET', url });
      assertUiHeaders(res, `GET ${url}`);
      assert.equal(res.headers['cache-control'], 'no-store', url);
    }
    const page = await f.t.app.inject({ method: 'GET', url: '/ui/sign-in' });
    assertNoInlineCode(page.body, 'sign-in');
    assert.match(page.body, /<meta name="htmx-config" content="\{(&quot;|&#34;)includeIndicatorStyles(&quot;|&#34;):false/, 'htmx injects no <style>');
    const missing = await f.t.app.inject({ method: 'GET', url: '/ui/p/alpha/cases/00000000-0000-4000-8000-000000000000', headers: { cookie: f.creds.superuser.cookie as string } });
    assert.ok(missing.statusCode >= 400 && missing.statusCode < 500, String(missing.statusCode));
    assertUiHeaders(missing, 'an error page');
    assert.equal(missing.headers['cache-control'], 'no-store');
  });

  test('the page script replaces the inline handlers: confirm, copy and auto-submit', async () => {
    const js = await f.t.app.inject({ method: 'GET', url: '/ui/assets/admin.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    for (const hook of ['dataset.confirm', 'data-copy', 'data-autosubmit']) {
      assert.ok(js.body.includes(hook), hook);
    }
    const gateways = await f.t.app.inject({ method: 'GET', url: '/ui/p/alpha/gateways', headers: { cookie: f.creds.superuser.cookie as string } });
    assert.match(gateways.body, /data-confirm="Delete this gateway\?/);
    assert.match(gateways.body, /<select id="f-type"[^>]*data-autosubmit/);
  });
});

describe('Secure cookies', () => {
  const apps: TestApp[] = [];
  after(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  async function signIn(t: TestApp, headers: Record<string, string> = {}): Promise<{ page: LightMyRequestResponse; signedIn: LightMyRequestResponse }> {
    const page = await t.app.inject({ method: 'GET', url: '/ui/sign-in', headers });
    const pre = (page.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'rollcall_signin');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const signedIn = await t.app.inject({
      method: 'POST',
      url: '/ui/sign-in',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre?.value}` },
      payload: new URLSearchParams({ _csrf: csrf, email: 'root@example.org', password: 'root-password', next: '/ui/projects' }).toString(),
    });
    assert.equal(signedIn.statusCode, 302, signedIn.body.slice(0, 300));
    return { page, signedIn };
  }
  const cookie = (res: LightMyRequestResponse, name: string) => ([res.headers['set-cookie']].flat().find((c) => c?.startsWith(`${name}=`)) ?? '') as string;

  test('public URL https: the session cookie and the sign-in cookie are Secure (and HttpOnly)', async () => {
    const t = await createTestApp({ config: { publicUrl: 'https://rollcall.example.org' } });
    apps.push(t);
    const { page, signedIn } = await signIn(t);
    assert.match(cookie(page, 'rollcall_signin'), /; Secure/i);
    assert.match(cookie(signedIn, 'rollcall_session'), /; Secure/i);
    assert.match(cookie(signedIn, 'rollcall_session'), /; HttpOnly/i);
  });

  test('public URL http: not Secure (the browser would drop it); behind a trusted proxy that says https: Secure', async () => {
    const t = await createTestApp({ config: { publicUrl: 'http://rollcall.example.org' } });
    apps.push(t);
    const plain = await signIn(t, { 'x-forwarded-proto': 'https' });
    assert.doesNotMatch(cookie(plain.signedIn, 'rollcall_session'), /; Secure/i, 'X-Forwarded-Proto is not believed without a trusted proxy');
    const proxied = await createTestApp({ config: { publicUrl: 'http://rollcall.example.org', trustProxy: '127.0.0.1' } });
    apps.push(proxied);
    const viaProxy = await signIn(proxied, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.4' });
    assert.match(cookie(viaProxy.signedIn, 'rollcall_session'), /; Secure/i);
  });
});
