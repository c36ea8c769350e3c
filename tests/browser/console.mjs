// The operator console (issue 18, decision 0041) in headless Chromium with JavaScript off: every page works
// as plain HTML forms and links. Run by src/app/console_e2e_test.cpp.
//
// Input (environment): INKAN_URL (the API listener's base URL), INKAN_USER, INKAN_PASSWORD, INKAN_OTP (the
// code, computed by the test so that each TOTP step is used once), INKAN_LOCALE (the browser's
// Accept-Language, e.g. ja-JP), INKAN_SHOTS (where screenshots go), INKAN_MODE (operator | auditor),
// INKAN_NEW_USER (operator: the user to create and lock), INKAN_TARGET (auditor: a user to try to lock),
// INKAN_SIGNED_PDF and INKAN_TAMPERED_PDF (operator: the files the verify page is given), INKAN_REVOKE_OWNER
// (whose first active credential the operator revokes and the auditor tries to), INKAN_MANUAL_CA (operator:
// the manual CA a new credential of INKAN_NEW_CREDENTIAL_OWNER is created at), INKAN_WORK (where the CSRs and
// the certificate go), INKAN_BIN and INKAN_DATA (`inkan ca issue` plays the manual CA: the data directory's
// built-in CA issues the certificate from the downloaded CSR, outside the console).
// Output: one JSON line with what the pages showed (the test asserts on it).
// The server's certificate is issued by the data directory's own development CA, which this browser does
// not know: the context ignores HTTPS errors (the curl calls of the test check TLS against it).

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const base = env('INKAN_URL');
const shots = env('INKAN_SHOTS');
const mode = env('INKAN_MODE');
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.INKAN_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});

// Every form control the accessibility tree exposes must have a name (its <label>): the browser's own
// computation, not a look at our markup.
async function unlabelled(page, cdp) {
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  const controls = new Set(['textbox', 'searchbox', 'checkbox', 'combobox', 'spinbutton', 'radio', 'button']);
  return nodes
    .filter((n) => !n.ignored && n.role && controls.has(n.role.value))
    .filter((n) => !n.name || !String(n.name.value || '').trim())
    .map((n) => `${page.url()}: ${n.role.value}`);
}

// WCAG 2.x contrast of every element that shows text, from computed styles: its colour against the first
// opaque background up its ancestors (white at the root). Returns those below 4.5:1, with their values.
async function lowContrast(page) {
  return page.evaluate(() => {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const low = [];
    for (const el of document.body.querySelectorAll('*')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      const control = ['INPUT', 'SELECT', 'BUTTON', 'TEXTAREA'].includes(el.tagName);
      if (!own && !control) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none' || el.type === 'hidden') continue;
      const fg = rgb(style.color).slice(0, 3);
      const bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < 4.5) low.push(`${location.pathname} ${el.tagName}#${el.id || ''}.${el.className || ''}: ${style.color} on rgb(${bg.join(', ')}) = ${ratio.toFixed(2)}`);
    }
    return low;
  });
}

// The order Tab moves through the form's controls, from its first one: each focused element's id.
async function tabOrder(page, form) {
  const ids = await page.$$eval(`${form} input:not([type=hidden]), ${form} select, ${form} textarea, ${form} button`, (els) => els.map((e) => e.id));
  await page.focus(`#${ids[0]}`);
  const seen = [await page.evaluate(() => document.activeElement?.id)];
  for (let i = 1; i < ids.length; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => document.activeElement?.id));
  }
  return { expected: ids, seen };
}

async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

const out = { mode };
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    javaScriptEnabled: false,
    locale: env('INKAN_LOCALE'),
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const a11y = [];
  const contrast = [];
  const shot = async (name) => {
    await page.screenshot({ path: join(shots, `${mode}-${name}.png`), fullPage: true });
    a11y.push(...(await unlabelled(page, cdp)));
    contrast.push(...(await lowContrast(page)));
  };

  await page.goto(`${base}/admin/`);
  out.login_url = page.url();
  out.login_lang = await page.getAttribute('html', 'lang');
  out.login_title = await page.title();
  await shot('login');
  await page.fill('#username', env('INKAN_USER'));
  await page.fill('#password', env('INKAN_PASSWORD'));
  await page.fill('#otp', env('INKAN_OTP'));
  await submit(page, '#submit');
  out.after_login_url = page.url();
  if (!(await page.$('#whoami'))) throw new Error(`not signed in: ${page.url()}: ${await page.innerText('body')}`);
  out.whoami = await page.innerText('#whoami');
  const cookie = (await context.cookies()).find((c) => c.name === '__Host-inkan-admin');
  out.cookie = cookie ? { httpOnly: cookie.httpOnly, secure: cookie.secure, sameSite: cookie.sameSite, path: cookie.path } : null;
  await shot('audit');

  if (mode === 'operator') {
    // Search the log, open an entry, export the search, verify the chain.
    await page.fill('#action', 'console.login');
    await submit(page, '#do-search');
    out.search_actions = await page.$$eval('#entries td.action', (cells) => cells.map((c) => c.textContent));
    await shot('audit-search');
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    out.csv = readFileSync(await csvDownload.path(), 'utf8');
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    out.json_export = JSON.parse(readFileSync(await jsonDownload.path(), 'utf8'));
    await submit(page, '#entries tbody tr:first-child a');
    out.entry_text = await page.innerText('#entry');
    await shot('audit-entry');
    await page.goto(`${base}/admin/audit`);
    await submit(page, '#verify');
    out.verify_ok = await page.getAttribute('#verify-result', 'data-ok');
    out.verify_text = await page.innerText('#verify-result');
    await shot('audit-verify');

    // Maintenance on, then off again.
    await submit(page, '#nav-service');
    out.maintenance_before = await page.innerText('#maintenance');
    out.version = await page.innerText('#version');
    out.token = await page.innerText('#token');
    out.token_pin = await page.innerText('#token-pin');
    out.token_keys = Object.fromEntries(await page.$$eval('#token-keys li', (items) => items.map((li) => [li.getAttribute('data-kind'), Number(li.querySelector('.count').textContent)])));
    await submit(page, '#toggle-maintenance');
    out.maintenance_on = await page.innerText('#maintenance');
    out.ready_in_maintenance = await page.innerText('#ready');
    await shot('service-maintenance');
    await submit(page, '#toggle-maintenance');
    out.maintenance_after = await page.innerText('#maintenance');

    // Create a user (the password and TOTP enrolment shown once), then lock it.
    const name = env('INKAN_NEW_USER');
    await submit(page, '#nav-users');
    await page.fill('#name', name);
    await page.fill('#display_name', `${name} 表示名`);
    await page.selectOption('#role', 'user');
    await submit(page, '#create');
    out.created_name = await page.innerText('#created-name');
    out.created_password_length = (await page.innerText('#created-password')).length;
    out.created_otpauth = await page.innerText('#created-otpauth');
    out.qr_label = await page.getAttribute('#qr', 'aria-label');
    out.qr_modules = await page.$$eval('#qr path', (paths) => (paths[0]?.getAttribute('d') || '').split('z').length - 1);
    await shot('user-created');
    await submit(page, '#back');
    await submit(page, `#lock-${name}`);
    out.locked_state = await page.innerText(`tr[data-user="${name}"] td.state`);
    await shot('users');
    // Its role: user → auditor, the row says so afterwards.
    out.role_before = await page.innerText(`tr[data-user="${name}"] td.role`);
    await page.selectOption(`#role-${name}`, 'auditor');
    const roleChanged = await submit(page, `#setrole-${name}`);
    out.role_status = roleChanged.status();
    out.role_after = await page.innerText(`tr[data-user="${name}"] td.role`);
    await shot('user-role');

    // Credentials (read-only): every one, then one user's.
    await submit(page, '#nav-credentials');
    out.credentials_all = await page.$$eval('#credentials tbody tr', (rows) => rows.length);
    await page.fill('#user', env('INKAN_CREDENTIAL_OWNER'));
    await submit(page, '#find');
    out.credential_owners = await page.$$eval('#credentials td.owner', (cells) => cells.map((c) => c.textContent));
    await shot('credentials');

    // Revoke one credential with a reason: the row says disabled afterwards.
    await page.goto(`${base}/admin/credentials?user=${encodeURIComponent(env('INKAN_REVOKE_OWNER'))}`);
    const revokeId = await page.$eval('#credentials tbody tr:has(button[id^="revoke-"])', (row) => row.getAttribute('data-credential'));
    out.revoke_id = revokeId;
    out.revoke_tab_order = await tabOrder(page, `tr[data-credential="${revokeId}"] form:has(select)`);
    await page.selectOption(`#reason-${revokeId}`, 'keyCompromise');
    const revoked = await submit(page, `#revoke-${revokeId}`);
    out.revoke_status = revoked.status();
    await page.goto(`${base}/admin/credentials?user=${encodeURIComponent(env('INKAN_REVOKE_OWNER'))}`);
    out.revoked_state = await page.innerText(`tr[data-credential="${revokeId}"] td.status`);
    await shot('credential-revoked');

    // Create a credential at the manual CA: the key in the HSM, the PIN shown once, the CSR on the page.
    const work = env('INKAN_WORK');
    mkdirSync(work, { recursive: true });
    await submit(page, '#nav-credentials');
    await page.selectOption('#profile', 'person');
    await page.fill('#owner', env('INKAN_NEW_CREDENTIAL_OWNER'));
    await page.selectOption('#algo', 'ec-p384');
    await page.selectOption('#ca', env('INKAN_MANUAL_CA'));
    await page.selectOption('#scal', '2');
    await page.fill('#description', `console ${out.login_lang}`);
    await shot('credential-create-form');
    const createdCredential = await submit(page, '#create-credential-submit');
    out.credential_create_status = createdCredential.status();
    const credentialId = await page.innerText('#created-credential');
    out.new_credential_id = credentialId;
    out.new_credential_status = await page.innerText('#created-status');
    out.new_credential_pin_length = (await page.innerText('#created-pin')).length;
    await shot('credential-created');
    // The CSR twice: the page's own download (the one create made), and the form that signs it again.
    const [firstCsr] = await Promise.all([page.waitForEvent('download'), page.click('#download-csr')]);
    await firstCsr.saveAs(join(work, `${out.login_lang}-first.csr`));
    await submit(page, '#back');
    await page.goto(`${base}/admin/credentials?user=${encodeURIComponent(env('INKAN_NEW_CREDENTIAL_OWNER'))}`);
    out.pending_state = await page.innerText(`tr[data-credential="${credentialId}"] td.status`);
    await shot('credential-pending');
    const [againCsr] = await Promise.all([page.waitForEvent('download'), page.click(`#csr-${credentialId}`)]);
    out.csr_filename = againCsr.suggestedFilename();
    const csrPath = join(work, `${out.login_lang}-again.csr`);
    await againCsr.saveAs(csrPath);
    // The CA issues outside the console; the operator uploads what it returned.
    const certPath = join(work, `${out.login_lang}-cert.pem`);
    execFileSync(env('INKAN_BIN'), ['ca', 'issue', '--data', env('INKAN_DATA'), '--profile', 'person', '--csr', csrPath, '-o', certPath]);
    await page.goto(`${base}/admin/credentials?user=${encodeURIComponent(env('INKAN_NEW_CREDENTIAL_OWNER'))}`);
    await page.setInputFiles(`#certificate-${credentialId}`, certPath);
    const uploaded = await submit(page, `#upload-${credentialId}`);
    out.upload_status = uploaded.status();
    out.imported_status = await page.innerText('#imported-status');
    out.imported_subject = await page.innerText('#imported-subject');
    await shot('certificate-uploaded');
    await page.goto(`${base}/admin/credentials?user=${encodeURIComponent(env('INKAN_NEW_CREDENTIAL_OWNER'))}`);
    out.active_state = await page.innerText(`tr[data-credential="${credentialId}"] td.status`);

    // Verify: a signed and a tampered PDF in one upload, both verdicts read from the page; the JSON and
    // ETSI reports downloaded from its links (data: URLs, nothing kept on the server).
    await submit(page, '#nav-verify');
    out.verify_tab_order = await tabOrder(page, '#verify-form');
    await page.setInputFiles('#document', [env('INKAN_SIGNED_PDF'), env('INKAN_TAMPERED_PDF')]);
    await shot('verify-form');
    const verified = await submit(page, '#do-verify');
    out.verify_status = verified.status();
    out.verify_documents = await page.$$eval('#report section.document', (sections) => sections.map((s) => ({
      file: s.querySelector('.file')?.textContent,
      passed: s.getAttribute('data-passed'),
      signatures: [...s.querySelectorAll('table.signature')].map((t) => ({
        indication: t.getAttribute('data-indication'),
        subindication: t.getAttribute('data-subindication'),
        signer: t.querySelector('.signer')?.textContent,
        changes: t.querySelector('.changes')?.textContent || '',
      })),
    })));
    await shot('verify-report');
    const [reportJson] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    out.verify_json = JSON.parse(readFileSync(await reportJson.path(), 'utf8'));
    const [reportEtsi] = await Promise.all([page.waitForEvent('download'), page.click('#download-etsi')]);
    out.verify_etsi = readFileSync(await reportEtsi.path(), 'utf8').slice(0, 400);

    // The language switch: the other language, remembered for the next page.
    const other = out.login_lang === 'ja' ? 'en' : 'ja';
    await submit(page, `#lang-${other}`);
    out.switched_lang = await page.getAttribute('html', 'lang');
    await submit(page, '#nav-audit');
    out.switched_lang_next_page = await page.getAttribute('html', 'lang');
    await shot('switched');

    await submit(page, '#signout');
    out.after_signout_url = page.url();
    await page.goto(`${base}/admin/users`);
    out.users_after_signout_url = page.url();
  } else {
    // An auditor reads, and the server refuses every change it is offered (the buttons are there).
    await submit(page, '#nav-service');
    out.maintenance_before = await page.innerText('#maintenance');
    const refused = await submit(page, '#toggle-maintenance');
    out.maintenance_status = refused.status();
    out.maintenance_refusal = await page.innerText('#message');
    await shot('auditor-refused');
    await page.goto(`${base}/admin/service`);
    out.maintenance_after = await page.innerText('#maintenance');
    await page.goto(`${base}/admin/users`);
    const lock = await submit(page, `#lock-${env('INKAN_TARGET')}`);
    out.lock_status = lock.status();
    await page.goto(`${base}/admin/users`);
    out.target_state = await page.innerText(`tr[data-user="${env('INKAN_TARGET')}"] td.state`);
    await page.selectOption(`#role-${env('INKAN_TARGET')}`, 'operator');
    const role = await submit(page, `#setrole-${env('INKAN_TARGET')}`);
    out.role_status = role.status();
    await page.goto(`${base}/admin/users`);
    out.target_role = await page.innerText(`tr[data-user="${env('INKAN_TARGET')}"] td.role`);
    // Revoking a credential: refused by the server too, the credential still active.
    await page.goto(`${base}/admin/credentials?user=${encodeURIComponent(env('INKAN_REVOKE_OWNER'))}`);
    const revokeId = await page.$eval('#credentials tbody tr:has(button[id^="revoke-"])', (row) => row.getAttribute('data-credential'));
    out.revoke_id = revokeId;
    const refusedRevoke = await submit(page, `#revoke-${revokeId}`);
    out.revoke_status = refusedRevoke.status();
    await page.goto(`${base}/admin/credentials?user=${encodeURIComponent(env('INKAN_REVOKE_OWNER'))}`);
    out.revoke_state_after = await page.innerText(`tr[data-credential="${revokeId}"] td.status`);
  }
  out.unlabelled = a11y;
  out.low_contrast = contrast;
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
