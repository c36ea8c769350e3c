// inkan's outside judge of XAdES (EN 319 132-1), written on xadesjs + xmldsigjs (PeculiarVentures),
// @xmldom/xmldom and pkijs — none of it inkan's code. For every top-level ds:Signature in FILE:
//   1. xmldsigjs verifies every ds:Reference digest and the SignatureValue with the KeyInfo certificate
//      (external references: the bytes given with --content URI=FILE);
//   2. the XAdES parts: exactly one SignedProperties, referenced with
//      Type="http://uri.etsi.org/01903#SignedProperties" (so it is covered by 1.), QualifyingProperties
//      Target = "#" + the Signature's Id, the SigningCertificateV2 digest = the digest of the KeyInfo's
//      first certificate, a SigningTime, a DataObjectFormat for each data reference;
//   3. each SignatureTimeStamp: its token's messageImprint (read with pkijs) equals the hash of the
//      canonicalised ds:SignatureValue element (canonicalised by xmldsigjs with the CanonicalizationMethod
//      the time-stamp names);
//   4. each xades141:ArchiveTimeStamp (ETSI TS 101 903 v1.4.1 §8.2.1, EN 319 132-1 §5.5.2): its token's
//      messageImprint equals the hash of the archive input rebuilt here: every ds:Reference's output as
//      xmldsigjs' own reference processing makes it (the octets it digests, captured at its hash call),
//      then ds:SignedInfo, ds:SignatureValue, ds:KeyInfo, the unsigned signature properties before the
//      time-stamp and the ds:Objects without QualifyingProperties, each canonicalised by xmldsigjs with
//      the CanonicalizationMethod the time-stamp names (inclusive C14N 1.0 if none).
//      --archive-input C14N_URI adds archive_input (base64): that input for a new time-stamp appended
//      after every unsigned property present, for a test to compare with inkan's.
// Prints one JSON object; exit status 0 only if every signature passed, 1 if one failed, 2 on bad usage.
// Usage: node verify.mjs [--content URI=FILE]... [--archive-input C14N_URI] FILE

import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";
import * as xmldom from "@xmldom/xmldom";
import xpath from "xpath";
import * as xadesjs from "xadesjs";
import * as xmldsig from "xmldsigjs";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

xadesjs.setNodeDependencies({
  XMLSerializer: xmldom.XMLSerializer,
  DOMParser: xmldom.DOMParser,
  DOMImplementation: xmldom.DOMImplementation,
  xpath,
});
xadesjs.Application.setEngine("NodeJS", webcrypto);
pkijs.setEngine("NodeJS", new pkijs.CryptoEngine({ name: "NodeJS", crypto: webcrypto }));

const DS = "http://www.w3.org/2000/09/xmldsig#";
const XADES = "http://uri.etsi.org/01903/v1.3.2#";
const XADES141 = "http://uri.etsi.org/01903/v1.4.1#";
const C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const SP_TYPE = "http://uri.etsi.org/01903#SignedProperties";
const DIGESTS = {
  "http://www.w3.org/2001/04/xmlenc#sha256": "SHA-256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "SHA-384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "SHA-512",
};
const HASH_OIDS = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const args = process.argv.slice(2);
const contents = new Map();
let file = null;
let archiveInputC14n = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--archive-input" && i + 1 < args.length) {
    archiveInputC14n = args[++i];
  } else if (args[i] === "--content" && i + 1 < args.length) {
    const v = args[++i];
    const eq = v.indexOf("=");
    if (eq < 1) usage();
    contents.set(v.slice(0, eq), new Uint8Array(readFileSync(v.slice(eq + 1))));
  } else if (!file) {
    file = args[i];
  } else {
    usage();
  }
}
if (!file) usage();

function usage() {
  console.error("usage: node verify.mjs [--content URI=FILE]... [--archive-input C14N_URI] FILE");
  process.exit(2);
}

const b64 = (u8) => Buffer.from(u8).toString("base64");
const children = (el, ns, name) =>
  Array.from(el.childNodes).filter((n) => n.nodeType === 1 && n.namespaceURI === ns && n.localName === name);
const descendants = (el, ns, name) => Array.from(el.getElementsByTagNameNS(ns, name));
const text = (el) => (el ? el.textContent.replace(/\s+/g, "") : "");

const toBytes = (x) =>
  typeof x === "string" ? Buffer.from(x, "utf8") : Buffer.from(x instanceof ArrayBuffer ? new Uint8Array(x) : x);

/// The octets xmldsigjs digests for each ds:Reference, in SignedInfo order: its own reference processing
/// (dereference, transforms, C14N) run again with the hash call intercepted, on a freshly loaded
/// signature (xmldsigjs' transform objects keep their output, so a second run on the same ones appends).
async function referenceOutputs(loaded) {
  const doc = loaded.jsDoc;
  const signed = new xadesjs.SignedXml(doc);
  signed.LoadXml(loaded.jsSigEl);
  signed.contentHandler = loaded.contentHandler;
  const outputs = [];
  let current = null;
  const original = xmldsig.CryptoConfig.CreateHashAlgorithm;
  xmldsig.CryptoConfig.CreateHashAlgorithm = (uri) => {
    const h = original.call(xmldsig.CryptoConfig, uri);
    return {
      Digest: (data) => {
        // xadesjs digests some references twice on the way; the first is the reference's output.
        if (current === null) current = toBytes(data);
        return h.Digest(data);
      },
    };
  };
  try {
    for (const ref of signed.XmlSignature.SignedInfo.References.GetIterator()) {
      current = null;
      await signed.DigestReference(doc.documentElement.cloneNode(true), ref, false);
      outputs.push(current ?? Buffer.alloc(0));
    }
  } finally {
    xmldsig.CryptoConfig.CreateHashAlgorithm = original;
  }
  return outputs;
}

/// `el` canonicalised as an apex. Inclusive C14N puts every namespace in scope on the apex (C14N 1.0
/// §2.4); xmldsigjs does not look above the element it is given, so the ancestors' declarations are
/// copied onto a clone first, as xmldsigjs itself does for SignedInfo (CopyNamespaces).
function canonical(el, c14nUri) {
  const t = xmldsig.CryptoConfig.CreateFromName(c14nUri);
  let apex = el;
  if (!c14nUri.startsWith("http://www.w3.org/2001/10/xml-exc-c14n#")) {
    apex = el.cloneNode(true);
    for (let a = el.parentNode; a && a.nodeType === 1; a = a.parentNode) {
      for (const attr of Array.from(a.attributes)) {
        if ((attr.name === "xmlns" || attr.name.startsWith("xmlns:")) && !apex.hasAttribute(attr.name)) {
          const declaredBelow = (() => {
            for (let b = el; b && b !== a; b = b.parentNode) if (b.hasAttribute(attr.name)) return true;
            return false;
          })();
          if (!declaredBelow) apex.setAttributeNS("http://www.w3.org/2000/xmlns/", attr.name, attr.value);
        }
      }
    }
  }
  t.LoadInnerXml(apex);
  return toBytes(t.GetOutput());
}

/// The archive time-stamp input (TS 101 903 v1.4.1 §8.2.1) of `sigEl` for the time-stamp `before`
/// (null: a new one after every unsigned property).
async function archiveInput(signed, doc, sigEl, before, c14nUri) {
  const parts = await referenceOutputs(signed);
  for (const name of ["SignedInfo", "SignatureValue", "KeyInfo"]) {
    for (const el of children(sigEl, DS, name)) parts.push(canonical(el, c14nUri));
  }
  const usp = descendants(sigEl, XADES, "UnsignedSignatureProperties")[0];
  if (usp) {
    for (const p of Array.from(usp.childNodes)) {
      if (p === before) break;
      if (p.nodeType === 1) parts.push(canonical(p, c14nUri));
    }
  }
  for (const o of children(sigEl, DS, "Object")) {
    if (children(o, XADES, "QualifyingProperties").length === 0) parts.push(canonical(o, c14nUri));
  }
  return Buffer.concat(parts);
}

function tstInfoOf(tsEl) {
  const der = Buffer.from(text(children(tsEl, XADES, "EncapsulatedTimeStamp")[0]), "base64");
  const ci = pkijs.ContentInfo.fromBER(new Uint8Array(der));
  const sd = new pkijs.SignedData({ schema: ci.content });
  return pkijs.TSTInfo.fromBER(sd.encapContentInfo.eContent.valueBlock.valueHexView);
}

/// xadesjs 2.6.8 reads UnsignedSignatureProperties by local name and throws on xades141:ArchiveTimeStamp
/// (it knows the XAdES 1.3.2 element of that name only). It is given a copy of the document whose
/// signatures lack the v1.4.1 unsigned elements (ArchiveTimeStamp, TimeStampValidationData): unsigned
/// properties, covered by no ds:Reference, so the XML-DSig core it checks is the same; the archive
/// time-stamps themselves are checked below on the original DOM.
function withoutV141(doc) {
  const copy = doc.cloneNode(true);
  for (const usp of Array.from(copy.getElementsByTagNameNS(XADES, "UnsignedSignatureProperties"))) {
    for (const n of Array.from(usp.childNodes)) {
      if (n.nodeType === 1 && n.namespaceURI === XADES141) usp.removeChild(n);
    }
  }
  return copy;
}

async function checkOne(doc, sigEl, xadesDoc, xadesSigEl) {
  const problems = [];
  const out = { id: sigEl.getAttribute("Id") };
  const signed = new xadesjs.SignedXml(xadesDoc);
  signed.LoadXml(xadesSigEl);
  signed.jsDoc = xadesDoc;
  signed.jsSigEl = xadesSigEl;
  signed.contentHandler = async (reference) => {
    const uri = reference.Uri;
    if (uri && uri[0] !== "#" && uri !== "") {
      if (!contents.has(uri)) throw new Error(`no --content given for external reference "${uri}"`);
      return contents.get(uri);
    }
    return null;
  };
  try {
    // The key of the first KeyInfo certificate (the signer's; KeyInfo also carries its issuers, whose
    // keys may be of another type than the SignatureMethod, which xmldsigjs would trip over).
    const first = text(descendants(sigEl, DS, "X509Certificate")[0]);
    const key = await new xmldsig.X509Certificate(Buffer.from(first, "base64")).exportKey(signed.Algorithm);
    out.core_valid = await signed.Verify(key);
    if (!out.core_valid) problems.push("SignatureValue does not verify");
  } catch (e) {
    out.core_valid = false;
    problems.push("xmldsigjs: " + e.message);
  }

  // XAdES parts, from the DOM (xadesjs' parsed view is used for SigningTime).
  const signedInfo = children(sigEl, DS, "SignedInfo")[0];
  const refs = children(signedInfo, DS, "Reference");
  const spRefs = refs.filter((r) => r.getAttribute("Type") === SP_TYPE);
  const sps = descendants(sigEl, XADES, "SignedProperties");
  if (sps.length !== 1) problems.push(`${sps.length} SignedProperties in the signature (want 1)`);
  if (spRefs.length !== 1) problems.push(`${spRefs.length} references of Type SignedProperties (want 1)`);
  if (sps.length === 1 && spRefs.length === 1 && spRefs[0].getAttribute("URI") !== "#" + sps[0].getAttribute("Id")) {
    problems.push("the SignedProperties reference does not point at SignedProperties");
  }
  const qp = descendants(sigEl, XADES, "QualifyingProperties")[0];
  if (!qp || qp.getAttribute("Target") !== "#" + sigEl.getAttribute("Id")) {
    problems.push("QualifyingProperties/@Target is not the Signature's Id");
  }
  try {
    out.signing_time = signed.SignedProperties.SignedSignatureProperties.SigningTime.Value.toISOString();
  } catch (e) {
    problems.push("xadesjs found no SigningTime: " + e.message);
  }
  const certB64 = text(descendants(sigEl, DS, "X509Certificate")[0]);
  const scv2 = descendants(sigEl, XADES, "SigningCertificateV2")[0];
  if (!scv2) {
    problems.push("no SigningCertificateV2");
  } else {
    const certDigest = descendants(scv2, XADES, "CertDigest")[0];
    const alg = DIGESTS[descendants(certDigest, DS, "DigestMethod")[0].getAttribute("Algorithm")];
    const want = b64(new Uint8Array(await webcrypto.subtle.digest(alg, Buffer.from(certB64, "base64"))));
    if (want !== text(descendants(certDigest, DS, "DigestValue")[0])) {
      problems.push("SigningCertificateV2 digest is not the KeyInfo certificate's");
    }
    out.signing_certificate_v2 = true;
  }
  const dataRefs = refs.filter((r) => r.getAttribute("Type") !== SP_TYPE);
  const formats = descendants(sigEl, XADES, "DataObjectFormat").map((f) => f.getAttribute("ObjectReference"));
  for (const r of dataRefs) {
    if (!formats.includes("#" + r.getAttribute("Id"))) {
      problems.push(`no DataObjectFormat for reference ${r.getAttribute("URI")}`);
    }
  }
  out.references = refs.length;

  // SignatureTimeStamps (EN 319 132-1 §5.3).
  out.signature_time_stamps = 0;
  for (const ts of descendants(sigEl, XADES, "SignatureTimeStamp")) {
    const cm = children(ts, DS, "CanonicalizationMethod")[0];
    const c14nUri = cm ? cm.getAttribute("Algorithm") : "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
    const transform = xmldsig.CryptoConfig.CreateFromName(c14nUri);
    const sv = children(sigEl, DS, "SignatureValue")[0];
    transform.LoadInnerXml(sv);
    const canonical = transform.GetOutput();
    const der = Buffer.from(text(children(ts, XADES, "EncapsulatedTimeStamp")[0]), "base64");
    const ci = pkijs.ContentInfo.fromBER(new Uint8Array(der));
    const sd = new pkijs.SignedData({ schema: ci.content });
    const tst = pkijs.TSTInfo.fromBER(sd.encapContentInfo.eContent.valueBlock.valueHexView);
    const hash = HASH_OIDS[tst.messageImprint.hashAlgorithm.algorithmId];
    if (!hash) {
      problems.push("SignatureTimeStamp: unknown imprint hash " + tst.messageImprint.hashAlgorithm.algorithmId);
      continue;
    }
    const want = b64(new Uint8Array(await webcrypto.subtle.digest(hash, Buffer.from(canonical, "utf8"))));
    const have = b64(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
    if (want !== have) {
      problems.push(`SignatureTimeStamp imprint ${have} is not ${hash} of the canonical SignatureValue (${want})`);
    }
    out.signature_time_stamps++;
    out.time_stamp_gen_time = tst.genTime.toISOString();
  }

  // ArchiveTimeStamps (TS 101 903 v1.4.1 §8.2.1).
  out.archive_time_stamps = 0;
  const uspEl = descendants(sigEl, XADES, "UnsignedSignatureProperties")[0];
  for (const ats of uspEl ? children(uspEl, XADES141, "ArchiveTimeStamp") : []) {
    const cm = children(ats, DS, "CanonicalizationMethod")[0];
    const input = await archiveInput(signed, doc, sigEl, ats, cm ? cm.getAttribute("Algorithm") : C14N10);
    const tst = tstInfoOf(ats);
    const hash = HASH_OIDS[tst.messageImprint.hashAlgorithm.algorithmId];
    const want = hash ? b64(new Uint8Array(await webcrypto.subtle.digest(hash, input))) : "?";
    const have = b64(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
    if (want !== have) {
      problems.push(`ArchiveTimeStamp ${out.archive_time_stamps + 1} imprint ${have} is not ${hash} of the archive input (${want})`);
    }
    out.archive_time_stamps++;
  }
  if (archiveInputC14n) {
    out.archive_input = (await archiveInput(signed, doc, sigEl, null, archiveInputC14n)).toString("base64");
  }
  out.problems = problems;
  out.valid = problems.length === 0;
  return out;
}

const xml = readFileSync(file, "utf8");
const doc = xadesjs.Parse(xml);
const all = Array.from(doc.getElementsByTagNameNS(DS, "Signature"));
// Top-level signatures only (a counter-signature inside another is checked by its parent's rules).
const inside = (node, outer) => {
  for (let n = node.parentNode; n; n = n.parentNode) if (n === outer) return true;
  return false;
};
const sigs = all.filter((s) => !all.some((o) => o !== s && inside(s, o)));
const results = [];
const xadesDoc = withoutV141(doc);
const allCopy = Array.from(xadesDoc.getElementsByTagNameNS(DS, "Signature"));
const sigsCopy = allCopy.filter((s) => !allCopy.some((o) => o !== s && inside(s, o)));
for (let i = 0; i < sigs.length; i++) results.push(await checkOne(doc, sigs[i], xadesDoc, sigsCopy[i]));
const valid = results.length > 0 && results.every((r) => r.valid);
console.log(JSON.stringify({ file, signatures: results.length, valid, results }));
process.exit(valid ? 0 : 1);
