// inkan's OAuth 2.0 server as a standard client library meets it: oauth4webapi (panva), which
// checks every response against RFC 6749, RFC 7636, RFC 7009, RFC 8414 and RFC 9207 and refuses
// what does not conform. The library discovers the server (RFC 8414 metadata), makes the PKCE
// verifier and S256 challenge and the state, and validates the authorization response (state and
// iss); a signer approves in headless Chromium through inkan's pages (consent.mjs). Then the code is
// exchanged (client_secret_basic), the refresh token rotated, the rotated one revoked (RFC 7009), and
// a system client gets a token with client_credentials.
//
// Input (environment): INKAN_ISSUER (api.public_url), INKAN_API (where the server listens: requests
// to the issuer's origin go there, since the test server's port is not the configured one),
// INKAN_CLIENT_ID, INKAN_CLIENT_SECRET, INKAN_REDIRECT_URI, INKAN_SEALER_ID, INKAN_SEALER_SECRET;
// for the service-scope authorization INKAN_USER, INKAN_PASSWORD, INKAN_TOTP_SECRET; for the
// credential-scope one INKAN_SIGNER, INKAN_SIGNER_PASSWORD, INKAN_SIGNER_TOTP_SECRET, INKAN_PIN,
// INKAN_CREDENTIAL_ID, INKAN_HASH (base64url), INKAN_HASH_OID. The server's CA comes in through
// NODE_EXTRA_CA_CERTS: the library's fetch checks the TLS chain.
// Each service-scope access token is also used the way a resource client of the library uses it
// (protectedResourceRequest on CSC credentials/list): before and after the rotation, and after its
// refresh token was revoked (RFC 7009 §2.1: the grant's access tokens go too).
// Output: one JSON line {"metadata", "service", "refreshed", "credential", "client_credentials", "lists"}.

import * as oauth from 'oauth4webapi';
import { approveInBrowser, env } from './consent.mjs';

const issuer = new URL(env('INKAN_ISSUER'));
const api = new URL(env('INKAN_API'));
const toApi = (u) => {
  const url = new URL(u);
  if (url.origin === issuer.origin) {
    url.protocol = api.protocol;
    url.host = api.host;
  }
  return url;
};
const options = { [oauth.customFetch]: (url, init) => fetch(toApi(url).href, init) };

const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }),
);
const client = { client_id: env('INKAN_CLIENT_ID') };
const clientAuth = oauth.ClientSecretBasic(env('INKAN_CLIENT_SECRET'));
const redirectUri = env('INKAN_REDIRECT_URI');

/// One authorization code flow with PKCE: the library's parameters, the pages, the library's checks.
async function authorize(extra, who) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  const params = {
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const { url: callback } = await approveInBrowser({ authorizeUrl: toApi(url).href, redirectUri, ...who });
  const validated = oauth.validateAuthResponse(as, client, callback, state);
  return oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(as, client, clientAuth, validated, redirectUri, verifier, options),
  );
}

/// CSC credentials/list with `token`, as a protected resource request of the library: the answer, or
/// the WWW-Authenticate challenge the library parsed from a 401.
const credentialsList = toApi(new URL('csc/v2/credentials/list', `${issuer.href.replace(/\/$/, '')}/`));
async function list(token) {
  try {
    const r = await oauth.protectedResourceRequest(
      token,
      'POST',
      credentialsList,
      new Headers({ 'content-type': 'application/json' }),
      '{}',
      options,
    );
    return { status: r.status, body: await r.json() };
  } catch (e) {
    if (!(e instanceof oauth.WWWAuthenticateChallengeError)) throw e;
    return { status: e.status, challenges: e.cause.map((c) => ({ scheme: c.scheme, error: c.parameters.error })) };
  }
}

const service = await authorize(
  { scope: 'service' },
  { user: env('INKAN_USER'), password: env('INKAN_PASSWORD'), totpSecret: env('INKAN_TOTP_SECRET') },
);
const lists = { service: await list(service.access_token) };
const refreshed = await oauth.processRefreshTokenResponse(
  as,
  client,
  await oauth.refreshTokenGrantRequest(as, client, clientAuth, service.refresh_token, options),
);
lists.service_after_rotation = await list(service.access_token);
lists.refreshed = await list(refreshed.access_token);
await oauth.processRevocationResponse(
  await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token, {
    additionalParameters: { token_type_hint: 'refresh_token' },
    ...options,
  }),
);

lists.refreshed_after_revocation = await list(refreshed.access_token);

const credential = await authorize(
  {
    scope: 'credential',
    credentialID: env('INKAN_CREDENTIAL_ID'),
    numSignatures: '1',
    hashes: env('INKAN_HASH'),
    hashAlgorithmOID: env('INKAN_HASH_OID'),
  },
  {
    user: env('INKAN_SIGNER'),
    password: env('INKAN_SIGNER_PASSWORD'),
    totpSecret: env('INKAN_SIGNER_TOTP_SECRET'),
    pin: process.env.INKAN_PIN,
  },
);

const sealer = { client_id: env('INKAN_SEALER_ID') };
const clientCredentials = await oauth.processClientCredentialsResponse(
  as,
  sealer,
  await oauth.clientCredentialsGrantRequest(
    as,
    sealer,
    oauth.ClientSecretBasic(env('INKAN_SEALER_SECRET')),
    {},
    options,
  ),
);

console.log(
  JSON.stringify({
    metadata: as,
    service,
    refreshed,
    credential,
    client_credentials: clientCredentials,
    lists,
  }),
);
