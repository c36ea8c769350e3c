// A XAdES signer that is not inkan, for inkan's validator to judge (src/validation/xades_test.cpp):
// xadesjs + xmldsigjs (PeculiarVentures) sign FILE enveloped — one ds:Reference URI="" with the
// enveloped-signature and exclusive C14N transforms, SignedProperties with SigningTime and
// SigningCertificateV2, KeyInfo with the certificate — and print the signed XML.
// Usage: node sign.mjs KEY.pk8.pem CERT.pem FILE.xml
// KEY: an unencrypted PKCS#8 P-256 (ECDSA SHA-256) or RSA (PKCS#1 v1.5 SHA-256) private key.

import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";
import * as xmldom from "@xmldom/xmldom";
import xpath from "xpath";
import * as xadesjs from "xadesjs";

xadesjs.setNodeDependencies({
  XMLSerializer: xmldom.XMLSerializer,
  DOMParser: xmldom.DOMParser,
  DOMImplementation: xmldom.DOMImplementation,
  xpath,
});
xadesjs.Application.setEngine("NodeJS", webcrypto);

const [keyFile, certFile, file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node sign.mjs KEY.pk8.pem CERT.pem FILE.xml");
  process.exit(2);
}
const pemBody = (pem, label) => {
  const m = pem.match(new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`));
  if (!m) throw new Error(`no ${label} in PEM`);
  return m[1].replace(/\s+/g, "");
};
const keyDer = Buffer.from(pemBody(readFileSync(keyFile, "utf8"), "PRIVATE KEY"), "base64");
const certB64 = pemBody(readFileSync(certFile, "utf8"), "CERTIFICATE");

let alg;
let key;
try {
  alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  key = await webcrypto.subtle.importKey("pkcs8", keyDer, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
} catch {
  alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  key = await webcrypto.subtle.importKey("pkcs8", keyDer, alg, false, ["sign"]);
}

const doc = xadesjs.Parse(readFileSync(file, "utf8"));
const signed = new xadesjs.SignedXml();
const signature = await signed.Sign(alg, key, doc, {
  x509: [certB64],
  references: [{ uri: "", hash: "SHA-256", transforms: ["enveloped", "exc-c14n"] }],
  signingCertificateV2: certB64,
  signingTime: { value: new Date() },
});
doc.documentElement.appendChild(signature.GetXml());
process.stdout.write(new xmldom.XMLSerializer().serializeToString(doc));
