// inkan's OAuth 2.0 pages in headless Chromium, as a signer meets them: the login form, the one-time
// code (computed with oathtool from the TOTP secret), the consent page (with the credential's PIN when
// it asks), and the redirect to the client. The redirect's target request is observed
// (page.waitForRequest) and answered by a route, so no client needs to run (a route alone misses it:
// Playwright does not route the hops of a redirect, and the browser would try to resolve the client's
// host). Used by oauth_flow.mjs and oauth_library_flow.mjs.
//
// The server's certificate is issued by the data directory's own development CA, which this browser
// does not know: the context ignores HTTPS errors (these tests are about the pages and the protocol,
// not the TLS chain, which the curl tests and the library's own fetch check against the CA).

import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const otp = (secret) => execFileSync('oathtool', ['--totp', '-b', secret], { encoding: 'utf8' }).trim();

/// Signs in and approves: returns { url (the redirect to the client, a URL), consentText, frameOptions }.
export async function approveInBrowser({ authorizeUrl, redirectUri, user, password, totpSecret, pin }) {
  const browser = await chromium.launch({
    executablePath: process.env.INKAN_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.route(`${redirectUri}**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<p>client reached</p>' }),
    );
    const first = await page.goto(authorizeUrl);
    const frameOptions = first.headers()['x-frame-options'] || '';
    await page.fill('#username', user);
    await page.fill('#password', password);
    await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
    await page.waitForSelector('#otp');
    await page.fill('#otp', otp(totpSecret));
    await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
    await page.waitForSelector('#approve');
    const consentText = await page.innerText('body');
    // An explicit-mode credential: the consent page also takes its PIN (the password and one-time
    // code do not replace it).
    if (pin && (await page.$('#pin'))) await page.fill('#pin', pin);
    const toClient = page.waitForRequest((r) => r.url().startsWith(redirectUri), { timeout: 30000 });
    // The navigation itself may fail (the client's host does not exist); the request is what counts.
    await page.click('#approve', { noWaitAfter: true });
    return { url: new URL((await toClient).url()), consentText, frameOptions };
  } finally {
    await browser.close();
  }
}
