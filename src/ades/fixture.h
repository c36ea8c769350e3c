#pragma once

// The ades tests' world, made once per test process: a SoftHSM token, a built-in root CA (P-256)
// with a live OCSP responder on an ephemeral port,
// signer keys in the HSM (RSA-2048 and P-256, person certificates with a Japanese name), a local
// TSA (tsp::Authority with its own HSM key and TSA certificate), an NSS database trusting the root,
// and the outside judges: pdfsig, qpdf --check, PDFBox + Bouncy Castle (scripts/verify-pades),
// openssl cms -verify, openssl ts -verify.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <inkan/ades/time_stamper.h>
#include <inkan/core/bytes.h>
#include <inkan/core/error.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/testing/process.h>
#include <inkan/tsp/authority.h>

#include "testkit.h"  // src/pdf/testkit.h: the pdf layer's test kit, compiled into these tests

namespace inkan::ades::testkit {

struct World {
    std::filesystem::path dir;                 ///< lives as long as the process
    std::filesystem::path root_pem;            ///< the trust anchor
    std::filesystem::path nss_dir;             ///< trusts root_pem (pdfsig -nssdir sql:DIR)
    std::filesystem::path tsa_chain;           ///< the TSA certificate and its issuer (PEM), for -untrusted
    std::unique_ptr<sign::HsmSigner> rsa;      ///< RSA-2048, CN=山田 太郎
    std::unique_ptr<sign::HsmSigner> ec;       ///< P-256, CN=Hanako Sato
    std::unique_ptr<sign::HsmSigner> revoked;  ///< P-256, CN=Revoked Signer, revoked (keyCompromise)
    std::unique_ptr<sign::HsmSigner> ec384;    ///< P-384, CN=Ichiro Kato (for the curve matrix of xades)
    std::unique_ptr<sign::HsmSigner> ec521;    ///< P-521, CN=Yuki Ito
    std::unique_ptr<sign::HsmSigner> tsa_signer;
    std::unique_ptr<tsp::Authority> authority;            ///< the local TSA
    std::unique_ptr<AuthorityTimeStamper> stamper;        ///< the default identity
    std::unique_ptr<AuthorityTimeStamper> other_stamper;  ///< a second TSA identity (own key, certificate)
    std::filesystem::path soft_key_pem;                   ///< a P-256 key on disk, for `openssl cms -sign`
    std::filesystem::path soft_cert_pem;  ///< its certificate (CN=Jiro Suzuki), issued by the root
};
World& world();

/// `pdfsig -nssdir sql:DIR` with world().nss_dir, OCSP on: the test CA's responder runs in this
/// process. The output parsing is the pdf testkit's.
using PdfSig = pdf::testkit::PdfSig;
PdfSig pdfsig(const std::filesystem::path& pdf);

/// `scripts/verify-pades --cafile root.pem FILE`: PDFBox + Bouncy Castle.
testing::CommandResult verify_pades(const std::filesystem::path& pdf);

/// The DER in /Contents of the signature whose /ByteRange is `range` (trailing zeros cut by the
/// DER length), and the signed bytes.
Bytes extract_contents(const std::filesystem::path& pdf, const std::array<std::uint64_t, 4>& range);
using pdf::testkit::signed_bytes;

/// `openssl cms -verify -inform DER -binary [-content FILE] -CAfile root.pem -purpose any`.
testing::CommandResult openssl_cms_verify(ByteView cms, const Bytes* detached_content);

/// Every outside judge on `pdf`, which holds `signatures` signature dictionaries, `time_stamps` of them
/// document time-stamps: pdfsig valid and trusted, qpdf --check clean, PDFBox + Bouncy Castle (which
/// also checks signature- and document time-stamps). poppler 22.12 lists document time-stamps but
/// cannot validate them ("Unable to validate this type of signature"), so pdfsig judges the CMS
/// signatures only. Returns pdfsig's and the PDFBox checker's output.
std::string judge_pdf(const std::filesystem::path& pdf, int signatures, int time_stamps = 0);

/// `openssl ocsp -respin R -issuer root -CAfile root -cert C`: what openssl says of `cert`.
std::string openssl_ocsp(const Bytes& response, const Bytes& cert);
/// Whether one of `responses` verifies under openssl and says `want` ("good", "revoked") for `cert`;
/// `seen` gets openssl's output for each, for the failure message.
bool ocsp_says(const std::vector<Bytes>& responses, const Bytes& cert, const std::string& want,
               std::string& seen);

/// A TSA that is down: every stamp() fails with Errc::Unavailable naming its URL.
class DownStamper final : public TimeStamper {
public:
    Bytes stamp(crypto::DigestAlgorithm, ByteView) override {
        throw Error{Errc::Unavailable, "tsa: http://127.0.0.1:1/tsa: connection refused"};
    }
    std::size_t token_size_hint() override { return 4096; }
};

/// `openssl ts -verify -data FILE -in TOKEN -token_in -CAfile root.pem -untrusted tsa-chain`.
testing::CommandResult openssl_ts_verify(ByteView token, ByteView data);

/// `scripts/verify-cades --cafile root.pem [--content FILE] SIG`: Bouncy Castle (CAdES, ATSv3).
testing::CommandResult verify_cades(ByteView cms, const Bytes* detached_content);

/// The length of the DER TLV at the start of `der` (header included).
std::size_t der_length(ByteView der);

}  // namespace inkan::ades::testkit
