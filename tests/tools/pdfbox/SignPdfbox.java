// A PDF signer that is not inkan: Apache PDFBox writes the incremental update and the signature
// dictionary, Bouncy Castle makes the CMS. inkan's validator must judge what it writes as the PDFBox
// checker (VerifyPades.java) does.
//
// Usage: java SignPdfbox --key KEY.pem --cert CERT.pem [--chain CA.pem] [--subfilter NAME]
//                        [--lock-include FIELD]... IN.pdf OUT.pdf
// --subfilter: adbe.pkcs7.detached (default) or ETSI.CAdES.detached (then ESS signing-certificate-v2
// is signed and the CMS signing-time left out, EN 319 142-1 §5.3). --lock-include: a FieldMDP
// transform in the signature dictionary locking these fields (ISO 32000-1 §12.8.2.4).
import java.io.File;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Collection;
import java.util.List;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSString;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureOptions;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

public final class SignPdfbox {
    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        String keyFile = null;
        List<X509Certificate> chain = new ArrayList<>();
        String subFilter = "adbe.pkcs7.detached";
        List<String> locked = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; ++i) {
            switch (args[i]) {
                case "--key": keyFile = args[++i]; break;
                case "--cert":
                case "--chain": chain.addAll(readCertificates(args[++i])); break;
                case "--subfilter": subFilter = args[++i]; break;
                case "--lock-include": locked.add(args[++i]); break;
                default: files.add(args[i]);
            }
        }
        if (keyFile == null || chain.isEmpty() || files.size() != 2) {
            System.err.println("usage: SignPdfbox --key KEY.pem --cert CERT.pem [--chain CA.pem] "
                + "[--subfilter NAME] [--lock-include FIELD]... IN.pdf OUT.pdf");
            System.exit(2);
        }
        final PrivateKey key = readKey(keyFile);
        final X509Certificate cert = chain.get(0);
        final boolean cades = subFilter.equals("ETSI.CAdES.detached");
        try (PDDocument doc = PDDocument.load(new File(files.get(0)))) {
            PDSignature sig = new PDSignature();
            sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(COSName.getPDFName(subFilter));
            sig.setName("PDFBox test signer");
            sig.setReason("issue 15: a signature inkan did not write");
            sig.setSignDate(Calendar.getInstance());
            if (!locked.isEmpty()) {
                COSDictionary params = new COSDictionary();
                params.setItem(COSName.TYPE, COSName.getPDFName("TransformParams"));
                params.setItem(COSName.getPDFName("Action"), COSName.getPDFName("Include"));
                COSArray fields = new COSArray();
                for (String f : locked) {
                    fields.add(new COSString(f));
                }
                params.setItem(COSName.getPDFName("Fields"), fields);
                params.setItem(COSName.V, COSName.getPDFName("1.2"));
                COSDictionary ref = new COSDictionary();
                ref.setItem(COSName.TYPE, COSName.getPDFName("SigRef"));
                ref.setItem(COSName.getPDFName("TransformMethod"), COSName.getPDFName("FieldMDP"));
                ref.setItem(COSName.getPDFName("TransformParams"), params);
                COSArray refs = new COSArray();
                refs.add(ref);
                sig.getCOSObject().setItem(COSName.getPDFName("Reference"), refs);
            }
            SignatureOptions options = new SignatureOptions();
            options.setPreferredSignatureSize(16384);
            doc.addSignature(sig, content -> {
                try {
                    return cms(IOUtils.toByteArray(content), key, cert, chain, cades);
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
            }, options);
            try (FileOutputStream out = new FileOutputStream(files.get(1))) {
                doc.saveIncremental(out);
            }
            options.close();
        }
    }

    private static byte[] cms(byte[] content, PrivateKey key, X509Certificate cert, List<X509Certificate> chain,
                              boolean cades) throws Exception {
        String alg = key.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        ContentSigner signer = new JcaContentSignerBuilder(alg).build(key);
        JcaSignerInfoGeneratorBuilder builder =
            new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build());
        if (cades) {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            SigningCertificateV2 scv2 = new SigningCertificateV2(new ESSCertIDv2(hash));
            ASN1EncodableVector v = new ASN1EncodableVector();
            v.add(new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2, new DERSet(scv2)));
            final DefaultSignedAttributeTableGenerator base =
                new DefaultSignedAttributeTableGenerator(new AttributeTable(v));
            builder.setSignedAttributeGenerator(new CMSAttributeTableGenerator() {
                @Override
                @SuppressWarnings("rawtypes")
                public AttributeTable getAttributes(java.util.Map params) {
                    return base.getAttributes(params).remove(CMSAttributes.signingTime);
                }
            });
        }
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(builder.build(signer, cert));
        gen.addCertificates(new JcaCertStore(chain));
        CMSSignedData sd = gen.generate(new CMSProcessableByteArray(content), false);
        return sd.getEncoded();
    }

    private static PrivateKey readKey(String file) throws Exception {
        try (PEMParser p = new PEMParser(new FileReader(file))) {
            Object o = p.readObject();
            JcaPEMKeyConverter c = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair) {
                return c.getKeyPair((PEMKeyPair) o).getPrivate();
            }
            return c.getPrivateKey((PrivateKeyInfo) o);
        }
    }

    private static List<X509Certificate> readCertificates(String file) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = new java.io.FileInputStream(file)) {
            Collection<? extends java.security.cert.Certificate> all =
                CertificateFactory.getInstance("X.509").generateCertificates(in);
            for (java.security.cert.Certificate c : all) {
                out.add((X509Certificate) c);
            }
        }
        return out;
    }
}
