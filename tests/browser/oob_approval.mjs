// One out-of-band approval (decision 0034) through inkan's approval page in headless Chromium: the page
// opened from the approvalURI credentials/authorize answered, the sign-in (password), the one-time code,
// the decision page (what is to be signed), Approve or Decline (with the credential's PIN when asked).
//
// Input (environment): INKAN_APPROVAL_URL, INKAN_USER, INKAN_PASSWORD, INKAN_OTP (the code, computed by the
// test so that each TOTP step is used once), INKAN_PIN, INKAN_DECISION (approve | decline), INKAN_LOCALE
// (e.g. ja-JP: the browser's Accept-Language). Output: one JSON line {"login_text", "decide_text",
// "labels", "client", "lang", "result", "result_text", "frame_options", "cookie"}.
// The server's certificate is issued by the data directory's own development CA, which this browser does
// not know: the context ignores HTTPS errors (the curl calls of the test check TLS against it).

import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const browser = await chromium.launch({
  executablePath: process.env.INKAN_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    javaScriptEnabled: false,
    locale: env('INKAN_LOCALE'),
  });
  const page = await context.newPage();
  const first = await page.goto(env('INKAN_APPROVAL_URL'));
  const frameOptions = first.headers()['x-frame-options'] || '';
  const loginText = await page.innerText('body');
  await page.fill('#username', env('INKAN_USER'));
  await page.fill('#password', env('INKAN_PASSWORD'));
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  await page.waitForSelector('#otp');
  await page.fill('#otp', env('INKAN_OTP'));
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  await page.waitForSelector('#approve');
  const decideText = await page.innerText('body');
  const labels = await page.$$eval('dt.label', (nodes) => nodes.map((n) => n.textContent));
  const clientElement = await page.$('#client');
  const client = clientElement ? await clientElement.textContent() : null;
  const lang = await page.getAttribute('html', 'lang');
  const cookies = await context.cookies();
  const cookie = cookies.find((c) => c.name === '__Host-inkan-approval');
  const decision = env('INKAN_DECISION');
  if (decision === 'approve' && (await page.$('#pin'))) await page.fill('#pin', env('INKAN_PIN'));
  await Promise.all([page.waitForLoadState('load'), page.click(decision === 'approve' ? '#approve' : '#decline')]);
  await page.waitForSelector('#result');
  console.log(
    JSON.stringify({
      login_text: loginText,
      decide_text: decideText,
      labels,
      client,
      lang,
      result: await page.getAttribute('#result', 'data-decision'),
      result_text: await page.innerText('#result'),
      frame_options: frameOptions,
      cookie: cookie ? { httpOnly: cookie.httpOnly, secure: cookie.secure, sameSite: cookie.sameSite } : null,
    }),
  );
} finally {
  await browser.close();
}
