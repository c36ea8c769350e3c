// CAdES material made with Bouncy Castle rather than inkan, for inkan's validator tests:
//
// countersign --key KEY.pem --cert CERT.pem [--nested] IN.p7s OUT.p7s
//   Adds a counter-signature (RFC 5652 §11.4) to the first SignerInfo of IN: BC's generateCounterSigners
//   signs the countersigned SignerInfo's signature value (message-digest over it, no content-type
//   attribute) and SignerInformation.addCounterSigners puts it into the unsigned attributes. KEY is PKCS#8
//   or traditional PEM (EC → SHA256withECDSA, RSA → SHA256withRSA); CERT is added to the certificates.
//   --nested also countersigns that counter-signature. OUT is DER.
//
// atsv2-hash IN.p7s
//   Prints (hex) the SHA-256 message imprint an archive-time-stamp v2 (ETSI TS 101 733 §6.4.1,
//   id-aa-ets-archiveTimestampV2) over the first SignerInfo of IN (encapsulated content) must carry:
//   encapContentInfo || certificates [0] || crls [1] || every SignerInfo field, unsignedAttrs included,
//   each DER-encoded from BC's own ASN.1 objects (not from inkan's bytes).
import java.io.FileInputStream;
import java.io.FileReader;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.CollectionStore;
import org.bouncycastle.util.encoders.Hex;

public class MakeCades {
    static PrivateKey key;
    static X509Certificate cert;

    static SignerInformationStore countersign(SignerInformation target) throws Exception {
        String alg = key.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        ContentSigner signer = new JcaContentSignerBuilder(alg).setProvider("BC").build(key);
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(
                new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider("BC").build())
                        .build(signer, cert));
        return gen.generateCounterSigners(target);
    }

    static void atsV2Hash(String file) throws Exception {
        CMSSignedData cms = new CMSSignedData(Files.readAllBytes(Paths.get(file)));
        SignedData sd = SignedData.getInstance(cms.toASN1Structure().getContent());
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(sd.getEncapContentInfo().getEncoded(ASN1Encoding.DER));
        if (sd.getCertificates() != null) {
            md.update(new DERTaggedObject(false, 0, sd.getCertificates()).getEncoded(ASN1Encoding.DER));
        }
        if (sd.getCRLs() != null) {
            md.update(new DERTaggedObject(false, 1, sd.getCRLs()).getEncoded(ASN1Encoding.DER));
        }
        SignerInfo si = SignerInfo.getInstance(sd.getSignerInfos().getObjectAt(0));
        md.update(si.getVersion().getEncoded(ASN1Encoding.DER));
        md.update(si.getSID().getEncoded(ASN1Encoding.DER));
        md.update(si.getDigestAlgorithm().getEncoded(ASN1Encoding.DER));
        if (si.getAuthenticatedAttributes() != null) {
            md.update(new DERTaggedObject(false, 0, si.getAuthenticatedAttributes()).getEncoded(ASN1Encoding.DER));
        }
        md.update(si.getDigestEncryptionAlgorithm().getEncoded(ASN1Encoding.DER));
        md.update(si.getEncryptedDigest().getEncoded(ASN1Encoding.DER));
        if (si.getUnauthenticatedAttributes() != null) {
            md.update(new DERTaggedObject(false, 1, si.getUnauthenticatedAttributes()).getEncoded(ASN1Encoding.DER));
        }
        System.out.println(Hex.toHexString(md.digest()));
    }

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        if (args.length == 2 && args[0].equals("atsv2-hash")) {
            atsV2Hash(args[1]);
            return;
        }
        if (args.length == 0 || !args[0].equals("countersign")) {
            System.err.println("usage: MakeCades countersign ... | atsv2-hash IN");
            System.exit(2);
        }
        args = java.util.Arrays.copyOfRange(args, 1, args.length);
        String keyFile = null, certFile = null;
        boolean nested = false;
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--key": keyFile = args[++i]; break;
                case "--cert": certFile = args[++i]; break;
                case "--nested": nested = true; break;
                default: files.add(args[i]);
            }
        }
        if (keyFile == null || certFile == null || files.size() != 2) {
            System.err.println("usage: MakeCades countersign --key KEY.pem --cert CERT.pem [--nested] IN OUT");
            System.exit(2);
        }
        try (PEMParser p = new PEMParser(new FileReader(keyFile))) {
            Object o = p.readObject();
            PrivateKeyInfo info = o instanceof PEMKeyPair ? ((PEMKeyPair) o).getPrivateKeyInfo() : (PrivateKeyInfo) o;
            key = new JcaPEMKeyConverter().setProvider("BC").getPrivateKey(info);
        }
        try (InputStream in = new FileInputStream(certFile)) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        CMSSignedData sd = new CMSSignedData(Files.readAllBytes(Paths.get(files.get(0))));
        List<SignerInformation> signers = new ArrayList<>(sd.getSignerInfos().getSigners());
        SignerInformation target = signers.get(0);
        SignerInformationStore counter = countersign(target);
        if (nested) {
            SignerInformation first = counter.getSigners().iterator().next();
            first = SignerInformation.addCounterSigners(first, countersign(first));
            counter = new SignerInformationStore(first);
        }
        signers.set(0, SignerInformation.addCounterSigners(target, counter));
        CMSSignedData out = CMSSignedData.replaceSigners(sd, new SignerInformationStore(signers));
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> certs = new ArrayList<>(sd.getCertificates().getMatches(null));
        X509CertificateHolder holder = new JcaX509CertificateHolder(cert);
        if (!certs.contains(holder)) certs.add(holder);
        out = CMSSignedData.replaceCertificatesAndCRLs(out, new CollectionStore<>(certs),
                sd.getAttributeCertificates(), sd.getCRLs());
        Files.write(Paths.get(files.get(1)), out.toASN1Structure().getEncoded(ASN1Encoding.DER));
        System.out.println("countersigned " + files.get(0) + (nested ? " (nested)" : "") + " -> " + files.get(1));
    }
}
