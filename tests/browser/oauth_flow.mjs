// One OAuth 2.0 authorization through inkan's pages in headless Chromium: the login form, the
// one-time code (computed with oathtool from the TOTP secret), the consent page, and the redirect
// to the client. The redirect's target request is observed (page.waitForRequest) and answered by a
// route, so no client needs to run (a route alone misses it: Playwright does not route the hops of a
// redirect, and the browser would try to resolve the client's host).
//
// Input (environment): INKAN_AUTHORIZE_URL, INKAN_REDIRECT_URI, INKAN_USER, INKAN_PASSWORD,
// INKAN_TOTP_SECRET (base32), INKAN_PIN (the credential's PIN, typed when the consent page asks). Output: one JSON line {"code", "state", "consent_text", "frame_options"}.
// The server's certificate is issued by the data directory's own development CA, which this browser
// does not know: the context ignores HTTPS errors (this test is about the pages, not the TLS chain,
// which the curl tests check against pki/root-ca.pem).

import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const otp = () =>
  execFileSync('oathtool', ['--totp', '-b', env('INKAN_TOTP_SECRET')], { encoding: 'utf8' }).trim();

const browser = await chromium.launch({
  executablePath: process.env.INKAN_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
  const page = await context.newPage();
  const redirectUri = env('INKAN_REDIRECT_URI');
  await page.route(`${redirectUri}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p>client reached</p>' }),
  );

  const first = await page.goto(env('INKAN_AUTHORIZE_URL'));
  const frameOptions = first.headers()['x-frame-options'] || '';
  await page.fill('#username', env('INKAN_USER'));
  await page.fill('#password', env('INKAN_PASSWORD'));
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  await page.waitForSelector('#otp');
  await page.fill('#otp', otp());
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  await page.waitForSelector('#approve');
  const consentText = await page.innerText('body');
  // An explicit-mode credential: the consent page also takes its PIN (the password and one-time code
  // do not replace it).
  if (await page.$('#pin')) await page.fill('#pin', env('INKAN_PIN'));
  const toClient = page.waitForRequest((r) => r.url().startsWith(redirectUri), { timeout: 30000 });
  // The navigation itself may fail (the client's host does not exist); the request is what counts.
  await page.click('#approve', { noWaitAfter: true });
  const url = new URL((await toClient).url());
  console.log(
    JSON.stringify({
      code: url.searchParams.get('code'),
      state: url.searchParams.get('state'),
      consent_text: consentText,
      frame_options: frameOptions,
    }),
  );
} finally {
  await browser.close();
}
