// An outside judge for inkan's CAdES (ETSI EN 319 122-1) signatures: Bouncy Castle reads the CMS,
// verifies every SignerInfo, validates every signature-time-stamp and archive-time-stamp-v3 token,
// and recomputes each ATSv3 message imprint on its own from BC's ASN.1 objects (ades.md §2.2: the
// stored ats-hash-index-v3 is checked against the current certificates / crls / unsigned attribute
// values, then eContentType || H(content) || SignerInfo fields but unsignedAttrs || index is hashed).
// Nothing here is inkan code, so a bug in inkan's writer cannot hide behind the same bug here.
//
// Usage: java VerifyCades [--cafile ROOT.pem] [--content FILE] SIG.p7s
// Prints one JSON object per signer and per time-stamp token, then a summary line; exits 0 only when
// everything verifies (and chains to ROOT when --cafile is given).
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.Security;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerId;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.Store;
import org.bouncycastle.util.encoders.Hex;

public final class VerifyCades {
    private static final ASN1ObjectIdentifier SIGNATURE_TIME_STAMP =
        PKCSObjectIdentifiers.id_aa_signatureTimeStampToken;
    private static final ASN1ObjectIdentifier ARCHIVE_TIME_STAMP_V3 = new ASN1ObjectIdentifier("0.4.0.1733.2.4");
    private static final ASN1ObjectIdentifier ATS_HASH_INDEX_V3 = new ASN1ObjectIdentifier("0.4.0.19122.1.5");
    private static final ASN1ObjectIdentifier ID_RI_OCSP_RESPONSE = new ASN1ObjectIdentifier("1.3.6.1.5.5.7.16.2");
    private static final ASN1ObjectIdentifier SHA256 = new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1");

    private static final List<X509Certificate> anchors = new ArrayList<>();
    private static int failures = 0;
    private static int ltMissing = 0;  // certificates without embedded OCSP response or CRL
    private static CMSSignedData root;
    private static final List<X509Certificate> pool = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        String file = null;
        byte[] detached = null;
        for (int i = 0; i < args.length; ++i) {
            if (args[i].equals("--cafile")) {
                anchors.addAll(readPemCertificates(args[++i]));
            } else if (args[i].equals("--content")) {
                detached = Files.readAllBytes(new File(args[++i]).toPath());
            } else {
                file = args[i];
            }
        }
        if (file == null) {
            System.err.println("usage: VerifyCades [--cafile ROOT.pem] [--content FILE] SIG.p7s");
            System.exit(2);
        }
        byte[] der = Files.readAllBytes(new File(file).toPath());
        CMSSignedData cms = detached == null ? new CMSSignedData(der)
                                             : new CMSSignedData(new CMSProcessableByteArray(detached), der);
        SignedData sd = SignedData.getInstance(ContentInfo.getInstance(der).getContent());
        root = cms;
        addToPool(cms.getCertificates());
        byte[] content = detached != null ? detached : (byte[]) cms.getSignedContent().getContent();

        int ocsps = cms.getOtherRevocationInfo(ID_RI_OCSP_RESPONSE).getMatches(null).size();
        int crls = cms.getCRLs().getMatches(null).size();
        int certs = cms.getCertificates().getMatches(null).size();
        int signers = 0;
        int signatureTimeStamps = 0;
        int archiveTimeStamps = 0;
        for (SignerInformation si : cms.getSignerInfos().getSigners()) {
            StringBuilder out = new StringBuilder("{\"signer\":" + signers);
            String problem;
            try {
                problem = checkSigner(cms, si, out);
            } catch (Exception e) {
                problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            report(out, problem);
            AttributeTable unsigned = si.getUnsignedAttributes();
            if (unsigned != null) {
                ASN1EncodableVector sts = unsigned.getAll(SIGNATURE_TIME_STAMP);
                for (int k = 0; k < sts.size(); ++k) {
                    ++signatureTimeStamps;
                    out = new StringBuilder("{\"signer\":" + signers + ",\"token\":\"signature-time-stamp\"");
                    try {
                        TimeStampToken tst = token(((Attribute) sts.get(k)).getAttrValues().getObjectAt(0));
                        problem = checkToken(tst, out);
                        if (problem == null) {
                            problem = checkImprint(tst, digest(tst, si.getSignature()), out);
                        }
                    } catch (Exception e) {
                        problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                    report(out, problem);
                }
                ASN1EncodableVector ats = unsigned.getAll(ARCHIVE_TIME_STAMP_V3);
                for (int k = 0; k < ats.size(); ++k) {
                    ++archiveTimeStamps;
                    out = new StringBuilder("{\"signer\":" + signers + ",\"token\":\"archive-time-stamp-v3\"");
                    try {
                        ASN1Set values = ((Attribute) ats.get(k)).getAttrValues();
                        for (int v = 0; v < values.size(); ++v) {
                            TimeStampToken tst = token(values.getObjectAt(v));
                            problem = checkToken(tst, out);
                            if (problem == null) {
                                problem = checkArchive(sd, si, tst, content, out);
                            }
                            if (problem != null) break;
                        }
                    } catch (Exception e) {
                        problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                    report(out, problem);
                }
            }
            ++signers;
        }
        System.out.println("{\"signers\":" + signers + ",\"certs\":" + certs + ",\"crls\":" + crls + ",\"ocsps\":"
            + ocsps + ",\"signature_time_stamps\":" + signatureTimeStamps + ",\"archive_time_stamps\":"
            + archiveTimeStamps + ",\"version\":" + sd.getVersion().getValue() + ",\"lt_missing\":" + ltMissing
            + ",\"failures\":" + failures
            + "}");
        System.exit(failures == 0 && signers > 0 ? 0 : 1);
    }

    private static void report(StringBuilder out, String problem) {
        out.append(",\"ok\":").append(problem == null);
        if (problem != null) {
            out.append(",\"problem\":\"").append(escape(problem)).append('"');
            ++failures;
        }
        System.out.println(out.append('}'));
    }

    private static TimeStampToken token(ASN1Encodable value) throws Exception {
        return new TimeStampToken(new CMSSignedData(value.toASN1Primitive().getEncoded(ASN1Encoding.DER)));
    }

    private static String checkSigner(CMSSignedData cms, SignerInformation si, StringBuilder out) throws Exception {
        X509Certificate cert = certificate(cms.getCertificates(), si.getSID());
        if (cert == null) {
            return "signer certificate not in the CMS";
        }
        out.append(",\"subject\":\"").append(escape(cert.getSubjectX500Principal().getName())).append('"');
        if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert))) {
            return "CMS signature does not verify";
        }
        out.append(",\"cms_valid\":true");
        AttributeTable signed = si.getSignedAttributes();
        out.append(",\"signing_time\":").append(signed != null && signed.get(PKCSObjectIdentifiers.pkcs_9_at_signingTime) != null);
        out.append(",\"revocation\":\"").append(chainRevocation(cert)).append('"');
        return checkTrust(cert, cms.getCertificates());
    }

    private static String checkToken(TimeStampToken tst, StringBuilder out) throws Exception {
        X509Certificate tsa = certificate(tst.getCertificates(), tst.getSID());
        if (tsa == null) {
            return "TSA certificate not in the token";
        }
        tst.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(tsa));
        addToPool(tst.getCertificates());
        out.append(",\"revocation\":\"").append(chainRevocation(tsa)).append('"');
        out.append(",\"token_valid\":true,\"gen_time\":\"").append(tst.getTimeStampInfo().getGenTime().toInstant())
            .append('"');
        return checkTrust(tsa, tst.getCertificates());
    }

    private static byte[] digest(TimeStampToken tst, byte[] data) throws Exception {
        return MessageDigest.getInstance(tst.getTimeStampInfo().getMessageImprintAlgOID().getId(), "BC").digest(data);
    }

    private static String checkImprint(TimeStampToken tst, byte[] expected, StringBuilder out) {
        byte[] imprint = tst.getTimeStampInfo().getMessageImprintDigest();
        out.append(",\"imprint\":\"").append(Hex.toHexString(expected)).append('"');
        return MessageDigest.isEqual(expected, imprint) ? null
                                                        : "message imprint " + Hex.toHexString(imprint)
                                                              + " is not the recomputed " + Hex.toHexString(expected);
    }

    // EN 319 122-1 §5.5.2/§5.5.3, ades.md §2.2 "Validation": the stored index, each entry matched against
    // the current SignedData, then the imprint recomputed with the index exactly as stored.
    private static String checkArchive(SignedData sd, SignerInformation si, TimeStampToken tst, byte[] content,
                                       StringBuilder out) throws Exception {
        AttributeTable tokenUnsigned = tst.getUnsignedAttributes();
        ASN1EncodableVector indexes = tokenUnsigned == null ? new ASN1EncodableVector()
                                                            : tokenUnsigned.getAll(ATS_HASH_INDEX_V3);
        if (indexes.size() != 1) {
            return "the token carries " + indexes.size() + " ats-hash-index-v3 attributes, not 1";
        }
        ASN1Set indexValues = ((Attribute) indexes.get(0)).getAttrValues();
        if (indexValues.size() != 1) {
            return "ats-hash-index-v3 has " + indexValues.size() + " values";
        }
        ASN1Sequence index = ASN1Sequence.getInstance(indexValues.getObjectAt(0));
        int at = 0;
        ASN1ObjectIdentifier hashOid = SHA256;
        if (index.size() == 4) {
            hashOid = AlgorithmIdentifier.getInstance(index.getObjectAt(at++)).getAlgorithm();
        }
        MessageDigest md = MessageDigest.getInstance(hashOid.getId(), "BC");
        if (!hashOid.equals(tst.getTimeStampInfo().getMessageImprintAlgOID())) {
            return "the index hash " + hashOid + " is not the imprint's " + tst.getTimeStampInfo().getMessageImprintAlgOID();
        }
        ASN1Sequence certIndex = ASN1Sequence.getInstance(index.getObjectAt(at++));
        ASN1Sequence crlIndex = ASN1Sequence.getInstance(index.getObjectAt(at++));
        ASN1Sequence attrIndex = ASN1Sequence.getInstance(index.getObjectAt(at++));

        Set<String> certs = new HashSet<>();
        if (sd.getCertificates() != null) {
            for (ASN1Encodable c : sd.getCertificates()) {
                certs.add(Hex.toHexString(md.digest(c.toASN1Primitive().getEncoded(ASN1Encoding.DER))));
            }
        }
        Set<String> crls = new HashSet<>();
        if (sd.getCRLs() != null) {
            for (ASN1Encodable c : sd.getCRLs()) {
                crls.add(Hex.toHexString(md.digest(c.toASN1Primitive().getEncoded(ASN1Encoding.DER))));
            }
        }
        Set<String> values = new HashSet<>();
        for (ASN1Encodable a : si.toASN1Structure().getUnauthenticatedAttributes()) {
            Attribute attr = Attribute.getInstance(a);
            byte[] type = attr.getAttrType().getEncoded(ASN1Encoding.DER);
            for (ASN1Encodable v : attr.getAttrValues()) {
                md.update(type);
                values.add(Hex.toHexString(md.digest(v.toASN1Primitive().getEncoded(ASN1Encoding.DER))));
            }
        }
        String missing = unmatched(certIndex, certs, "certificatesHashIndex");
        if (missing == null) missing = unmatched(crlIndex, crls, "crlsHashIndex");
        if (missing == null) missing = unmatched(attrIndex, values, "unsignedAttrValuesHashIndex");
        out.append(",\"index\":{\"certs\":").append(certIndex.size()).append(",\"crls\":").append(crlIndex.size())
            .append(",\"values\":").append(attrIndex.size()).append('}');
        if (missing != null) {
            return missing;
        }

        SignerInfo s = si.toASN1Structure();
        java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
        input.write(sd.getEncapContentInfo().getContentType().getEncoded(ASN1Encoding.DER));
        input.write(MessageDigest.getInstance(hashOid.getId(), "BC").digest(content));
        input.write(s.getVersion().getEncoded(ASN1Encoding.DER));
        input.write(s.getSID().toASN1Primitive().getEncoded(ASN1Encoding.DER));
        input.write(s.getDigestAlgorithm().getEncoded(ASN1Encoding.DER));
        if (s.getAuthenticatedAttributes() != null) {
            input.write(new DERTaggedObject(false, 0, s.getAuthenticatedAttributes()).getEncoded(ASN1Encoding.DER));
        }
        input.write(s.getDigestEncryptionAlgorithm().getEncoded(ASN1Encoding.DER));
        input.write(s.getEncryptedDigest().getEncoded(ASN1Encoding.DER));
        input.write(index.getEncoded(ASN1Encoding.DER));
        return checkImprint(tst, MessageDigest.getInstance(hashOid.getId(), "BC").digest(input.toByteArray()), out);
    }

    @SuppressWarnings("unchecked")
    private static void addToPool(Store<X509CertificateHolder> store) throws Exception {
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
        for (Object h : store.getMatches(null)) {
            X509Certificate c = conv.getCertificate((X509CertificateHolder) h);
            if (!pool.contains(c)) pool.add(c);
        }
    }

    // EN 319 122-1 B-LT: the status of each certificate of the chain (leaf first, the self-signed
    // anchor excluded) from the OCSP responses (other/id-ri-ocsp-response) and CRLs of the root
    // SignedData, each checked with the issuer's key (or a responder the issuer certified).
    private static String chainRevocation(X509Certificate leaf) throws Exception {
        StringBuilder sb = new StringBuilder();
        X509Certificate c = leaf;
        for (int guard = 0; guard < 10 && !c.getSubjectX500Principal().equals(c.getIssuerX500Principal()); ++guard) {
            X509Certificate issuer = null;
            for (X509Certificate p : pool) {
                if (p.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                    try {
                        c.verify(p.getPublicKey(), "BC");
                        issuer = p;
                        break;
                    } catch (Exception e) {
                        // another certificate with that name
                    }
                }
            }
            if (sb.length() > 0) sb.append(',');
            String status = issuer == null ? null : status(c, issuer);
            if (status == null) {
                ++ltMissing;
                sb.append("missing");
            } else {
                sb.append(status);
            }
            if (issuer == null) break;
            c = issuer;
        }
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    private static String status(X509Certificate cert, X509Certificate issuer) throws Exception {
        DigestCalculatorProvider dcp = new JcaDigestCalculatorProviderBuilder().setProvider("BC").build();
        X509CertificateHolder issuerHolder = new JcaX509CertificateHolder(issuer);
        for (Object o : root.getOtherRevocationInfo(ID_RI_OCSP_RESPONSE).getMatches(null)) {
            OCSPResp resp = new OCSPResp(OCSPResponse.getInstance(o));
            BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
            for (SingleResp sr : basic.getResponses()) {
                CertificateID id = sr.getCertID();
                if (!id.getSerialNumber().equals(cert.getSerialNumber()) || !id.matchesIssuer(issuerHolder, dcp)) {
                    continue;
                }
                boolean signedByIssuer = basic.isSignatureValid(
                    new JcaContentVerifierProviderBuilder().setProvider("BC").build(issuer));
                boolean signedByResponder = false;
                for (X509CertificateHolder r : basic.getCerts()) {
                    if (r.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(issuer.getPublicKey()))
                        && basic.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(r))) {
                        signedByResponder = true;
                    }
                }
                if (!signedByIssuer && !signedByResponder) continue;
                Object st = sr.getCertStatus();
                return st == null ? "good" : st instanceof RevokedStatus ? "revoked" : "unknown";
            }
        }
        X500Name issuerName = X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
        for (Object o : root.getCRLs().getMatches(null)) {
            X509CRLHolder crl = (X509CRLHolder) o;
            if (!crl.getIssuer().equals(issuerName)) continue;
            if (!crl.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(issuer))) continue;
            return crl.getRevokedCertificate(cert.getSerialNumber()) != null ? "revoked" : "good";
        }
        return null;
    }

    private static String unmatched(ASN1Sequence index, Set<String> current, String what) {
        for (ASN1Encodable e : index) {
            String h = Hex.toHexString(ASN1OctetString.getInstance(e).getOctets());
            if (!current.contains(h)) {
                return what + " lists " + h + ", which is not in the signature any more";
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static X509Certificate certificate(Store<X509CertificateHolder> store, SignerId sid) throws Exception {
        Collection<X509CertificateHolder> match = store.getMatches(sid);
        if (match.isEmpty()) {
            return null;
        }
        return new JcaX509CertificateConverter().setProvider("BC").getCertificate(match.iterator().next());
    }

    // PKIX path from the certificate to one of the --cafile anchors, the CMS certificates as
    // intermediates. Revocation is judged elsewhere (openssl ocsp on the embedded responses).
    @SuppressWarnings("unchecked")
    private static String checkTrust(X509Certificate cert, Store<X509CertificateHolder> store) throws Exception {
        if (anchors.isEmpty()) {
            return null;
        }
        Set<TrustAnchor> ta = new HashSet<>();
        for (X509Certificate a : anchors) {
            ta.add(new TrustAnchor(a, null));
        }
        List<X509Certificate> pool = new ArrayList<>();
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
        for (Object h : store.getMatches(null)) {
            pool.add(conv.getCertificate((X509CertificateHolder) h));
        }
        pool.add(cert);
        X509CertSelector sel = new X509CertSelector();
        sel.setCertificate(cert);
        PKIXBuilderParameters params = new PKIXBuilderParameters(ta, sel);
        params.setRevocationEnabled(false);
        params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
        try {
            CertPathBuilder.getInstance("PKIX").build(params);
            return null;
        } catch (Exception e) {
            return "no path to a trust anchor for " + cert.getSubjectX500Principal().getName() + ": " + e.getMessage();
        }
    }

    private static List<X509Certificate> readPemCertificates(String path) throws Exception {
        List<X509Certificate> list = new ArrayList<>();
        try (InputStream in = new FileInputStream(path)) {
            for (Object c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                list.add((X509Certificate) c);
            }
        }
        return list;
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
