// Parses DNs the way Java clients of a CSC service do: javax.security.auth.x500.X500Principal.
// Usage: java CheckX500 LIST; LIST is UTF-8, one "CERT.der<TAB>SUBJECT_DN<TAB>ISSUER_DN" a line (a
// file, not arguments: the JVM decodes arguments in the locale's charset). For each line, both strings must parse and name the same principal as the certificate's own
// subject / issuer (X500Principal.equals compares canonical forms). Prints one line per DN; exit 1 on
// any mismatch, 2 on a DN Java refuses.
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.security.auth.x500.X500Principal;

public class CheckX500 {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: CheckX500 LIST");
            System.exit(3);
        }
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        int status = lines.isEmpty() ? 3 : 0;
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            if (f.length != 3) {
                System.err.println("not CERT<TAB>SUBJECT<TAB>ISSUER: " + line);
                System.exit(3);
            }
            X509Certificate cert;
            try (InputStream in = new FileInputStream(f[0])) {
                cert = (X509Certificate) factory.generateCertificate(in);
            }
            status = Math.max(status, check("subject", f[1], cert.getSubjectX500Principal()));
            status = Math.max(status, check("issuer", f[2], cert.getIssuerX500Principal()));
        }
        System.exit(status);
    }

    static int check(String what, String dn, X500Principal expected) {
        X500Principal parsed;
        try {
            parsed = new X500Principal(dn);
        } catch (IllegalArgumentException e) {
            System.out.println(what + " REFUSED " + dn + ": " + e.getMessage());
            return 2;
        }
        if (!parsed.equals(expected)) {
            System.out.println(what + " DIFFERS " + dn + " vs certificate " +
                               expected.getName(X500Principal.RFC2253));
            return 1;
        }
        System.out.println(what + " ok " + dn);
        return 0;
    }
}
