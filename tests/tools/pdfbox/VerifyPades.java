// An outside judge for inkan's PDF signatures: Apache PDFBox reads the document, Bouncy Castle
// checks every CMS. Nothing here is inkan code, so a bug in inkan's CMS or PDF writer cannot hide
// behind a matching bug in the checker.
//
// Usage: java VerifyPades [--cafile ROOT.pem] FILE.pdf
// Prints one JSON object per signature or document time-stamp, then a summary line; exits 0 only
// when every signature verifies (and chains to ROOT when --cafile is given).
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
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
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;

public final class VerifyPades {
    private static final ASN1ObjectIdentifier SIGNATURE_TIME_STAMP =
        PKCSObjectIdentifiers.id_aa_signatureTimeStampToken;

    private static List<X509Certificate> anchors = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        String file = null;
        for (int i = 0; i < args.length; ++i) {
            if (args[i].equals("--cafile")) {
                anchors.addAll(readPemCertificates(args[++i]));
            } else {
                file = args[i];
            }
        }
        if (file == null) {
            System.err.println("usage: VerifyPades [--cafile ROOT.pem] FILE.pdf");
            System.exit(2);
        }
        byte[] pdf = java.nio.file.Files.readAllBytes(new File(file).toPath());
        int failures = 0;
        int count = 0;
        try (PDDocument doc = PDDocument.load(pdf)) {
            for (PDSignature sig : doc.getSignatureDictionaries()) {
                ++count;
                String problem = null;
                StringBuilder out = new StringBuilder();
                out.append("{\"index\":").append(count);
                try {
                    problem = checkSignature(doc, sig, pdf, out);
                } catch (Exception e) {
                    problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                out.append(",\"ok\":").append(problem == null);
                if (problem != null) {
                    out.append(",\"problem\":\"").append(escape(problem)).append('"');
                    ++failures;
                }
                out.append('}');
                System.out.println(out);
            }
            COSDictionary dss = doc.getDocumentCatalog().getCOSObject().getCOSDictionary(COSName.getPDFName("DSS"));
            if (dss != null) {
                System.out.println("{\"dss\":{\"certs\":" + arraySize(dss, "Certs") + ",\"ocsps\":"
                    + arraySize(dss, "OCSPs") + ",\"crls\":" + arraySize(dss, "CRLs") + ",\"vri\":"
                    + (dss.getCOSDictionary(COSName.getPDFName("VRI")) == null
                        ? 0 : dss.getCOSDictionary(COSName.getPDFName("VRI")).size()) + "}}");
            }
        }
        System.out.println("{\"signatures\":" + count + ",\"failures\":" + failures + "}");
        System.exit(failures == 0 && count > 0 ? 0 : 1);
    }

    private static int arraySize(COSDictionary d, String key) {
        COSBase b = d.getDictionaryObject(COSName.getPDFName(key));
        return b instanceof COSArray ? ((COSArray) b).size() : 0;
    }

    // Returns null when the signature is good, else the reason.
    private static String checkSignature(PDDocument doc, PDSignature sig, byte[] pdf, StringBuilder out)
        throws Exception {
        String subFilter = sig.getSubFilter();
        out.append(",\"subfilter\":\"").append(escape(String.valueOf(subFilter))).append('"');
        int[] br = sig.getByteRange();
        out.append(",\"byte_range\":").append(Arrays.toString(br).replace(" ", ""));
        boolean coversFile = br.length == 4 && br[0] == 0 && (long) br[2] + br[3] == pdf.length;
        out.append(",\"covers_whole_file\":").append(coversFile);
        if (br.length != 4 || br[0] != 0 || br[1] >= br[2]) {
            return "ByteRange is not [0 a b c] with a gap";
        }
        // The gap must be exactly the /Contents hex string: '<' at br[1], '>' just before br[2].
        if (pdf[br[1]] != '<' || pdf[br[2] - 1] != '>') {
            return "ByteRange gap is not the /Contents string";
        }
        byte[] signedContent = sig.getSignedContent(new ByteArrayInputStream(pdf));
        byte[] contents = sig.getContents(pdf);
        COSDictionary d = sig.getCOSObject();
        COSBase ref = d.getDictionaryObject(COSName.getPDFName("Reference"));
        if (ref instanceof COSArray) {
            for (COSBase r : (COSArray) ref) {
                COSBase o = r instanceof COSDictionary ? r : r.getCOSObject();
                if (o instanceof COSDictionary) {
                    COSDictionary rd = (COSDictionary) o;
                    COSDictionary tp = rd.getCOSDictionary(COSName.getPDFName("TransformParams"));
                    String method = rd.getNameAsString(COSName.getPDFName("TransformMethod"));
                    if ("DocMDP".equals(method) && tp != null) {
                        out.append(",\"docmdp\":").append(tp.getInt(COSName.P, 2));
                    }
                }
            }
        }
        if ("ETSI.RFC3161".equals(subFilter)) {
            TimeStampToken tst = new TimeStampToken(new CMSSignedData(contents));
            out.append(",\"type\":\"doc-timestamp\"");
            String p = checkTimeStamp(tst, signedContent, out, "");
            return p;
        }
        out.append(",\"type\":\"signature\"");
        CMSSignedData cms;
        if ("adbe.pkcs7.sha1".equals(subFilter)) {
            // ISO 32000-1 §12.8.3.3.1: the CMS encapsulates the SHA-1 digest of the byte ranges.
            cms = new CMSSignedData(contents);
            Object inside = cms.getSignedContent() == null ? null : cms.getSignedContent().getContent();
            byte[] want = MessageDigest.getInstance("SHA-1").digest(signedContent);
            if (!(inside instanceof byte[]) || !Arrays.equals((byte[]) inside, want)) {
                return "the encapsulated SHA-1 digest does not match the byte ranges";
            }
        } else {
            cms = new CMSSignedData(new CMSProcessableByteArray(signedContent), contents);
        }
        Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            return "expected one SignerInfo, found " + signers.size();
        }
        SignerInformation si = signers.iterator().next();
        X509Certificate cert = signerCertificate(cms.getCertificates(), si);
        if (cert == null) {
            return "signer certificate not in the CMS";
        }
        out.append(",\"signer\":\"").append(escape(cert.getSubjectX500Principal().getName())).append('"');
        if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert))) {
            return "CMS signature does not verify";
        }
        out.append(",\"cms_valid\":true");
        AttributeTable signed = si.getSignedAttributes();
        if (signed == null && "ETSI.CAdES.detached".equals(subFilter)) {
            return "no signed attributes";
        }
        if (signed == null) {
            // adbe.pkcs7.*: a signature straight over the content is allowed (ISO 32000-1 §12.8.3.3).
            out.append(",\"signed_attributes\":false");
            return checkTrust(cert, cms.getCertificates());
        }
        out.append(",\"signing_time_attr\":").append(signed.get(CMSAttributes.signingTime) != null);
        if ("ETSI.CAdES.detached".equals(subFilter) && signed.get(CMSAttributes.signingTime) != null) {
            return "PAdES baseline forbids the CMS signing-time attribute (EN 319 142-1 §5.3)";
        }
        String scv2 = checkSigningCertificateV2(signed, cert);
        if (scv2 != null && "ETSI.CAdES.detached".equals(subFilter)) {
            return scv2;
        }
        out.append(",\"signing_certificate_v2\":").append(scv2 == null);
        String trust = checkTrust(cert, cms.getCertificates());
        if (trust != null) {
            return trust;
        }
        AttributeTable unsigned = si.getUnsignedAttributes();
        Attribute ts = unsigned == null ? null : unsigned.get(SIGNATURE_TIME_STAMP);
        if (ts != null) {
            TimeStampToken tst = new TimeStampToken(new CMSSignedData(
                ts.getAttrValues().getObjectAt(0).toASN1Primitive().getEncoded()));
            String p = checkTimeStamp(tst, si.getSignature(), out, "signature_");
            if (p != null) {
                return "signature-time-stamp: " + p;
            }
        }
        return null;
    }

    private static String checkTimeStamp(TimeStampToken tst, byte[] data, StringBuilder out, String prefix)
        throws Exception {
        X509Certificate tsa = signerCertificate(tst.getCertificates(), null, tst.getSID());
        if (tsa == null) {
            return "TSA certificate not in the token";
        }
        tst.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(tsa));
        String alg = tst.getTimeStampInfo().getMessageImprintAlgOID().getId();
        MessageDigest md = MessageDigest.getInstance(alg, "BC");
        if (!MessageDigest.isEqual(md.digest(data), tst.getTimeStampInfo().getMessageImprintDigest())) {
            return "time-stamp imprint does not match";
        }
        out.append(",\"").append(prefix).append("timestamp\":\"")
            .append(tst.getTimeStampInfo().getGenTime().toInstant()).append('"');
        return checkTrust(tsa, tst.getCertificates());
    }

    private static String checkSigningCertificateV2(AttributeTable signed, X509Certificate cert) throws Exception {
        Attribute a = signed.get(PKCSObjectIdentifiers.id_aa_signingCertificateV2);
        if (a == null) {
            return "no signing-certificate-v2 attribute";
        }
        SigningCertificateV2 v2 = SigningCertificateV2.getInstance(a.getAttrValues().getObjectAt(0));
        ESSCertIDv2 id = v2.getCerts()[0];
        MessageDigest md = MessageDigest.getInstance(id.getHashAlgorithm().getAlgorithm().getId(), "BC");
        if (!MessageDigest.isEqual(md.digest(cert.getEncoded()), id.getCertHash())) {
            return "signing-certificate-v2 hash does not match the signer certificate";
        }
        return null;
    }

    private static X509Certificate signerCertificate(Store<X509CertificateHolder> store, SignerInformation si)
        throws Exception {
        return signerCertificate(store, si, si.getSID());
    }

    @SuppressWarnings("unchecked")
    private static X509Certificate signerCertificate(Store<X509CertificateHolder> store, SignerInformation si,
                                                     org.bouncycastle.cms.SignerId sid) throws Exception {
        Collection<X509CertificateHolder> match = store.getMatches(sid);
        if (match.isEmpty()) {
            return null;
        }
        return new JcaX509CertificateConverter().setProvider("BC").getCertificate(match.iterator().next());
    }

    // PKIX path from the certificate to one of the --cafile anchors, using the certificates the
    // CMS carries as intermediates. Revocation is not checked here (the DSS tests do that).
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
            return "no path to a trust anchor for " + cert.getSubjectX500Principal().getName() + ": "
                + e.getMessage();
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
