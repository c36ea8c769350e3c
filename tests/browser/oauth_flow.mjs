// One OAuth 2.0 authorization through inkan's pages in headless Chromium (consent.mjs), the
// authorization URL made by the test itself.
//
// Input (environment): INKAN_AUTHORIZE_URL, INKAN_REDIRECT_URI, INKAN_USER, INKAN_PASSWORD,
// INKAN_TOTP_SECRET (base32), INKAN_PIN (the credential's PIN, typed when the consent page asks).
// Output: one JSON line {"code", "state", "consent_text", "frame_options"}.

import { approveInBrowser, env } from './consent.mjs';

const { url, consentText, frameOptions } = await approveInBrowser({
  authorizeUrl: env('INKAN_AUTHORIZE_URL'),
  redirectUri: env('INKAN_REDIRECT_URI'),
  user: env('INKAN_USER'),
  password: env('INKAN_PASSWORD'),
  totpSecret: env('INKAN_TOTP_SECRET'),
  pin: process.env.INKAN_PIN,
});
console.log(
  JSON.stringify({
    code: url.searchParams.get('code'),
    state: url.searchParams.get('state'),
    consent_text: consentText,
    frame_options: frameOptions,
  }),
);
