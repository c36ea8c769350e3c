#pragma once

// XAdES at the client: the xades layer's signing and extension, the very code the server runs for
// signDoc "X", re-exported here so a client needs no server header. With a RemoteCscSigner the "sign"
// step is credentials/authorize + signatures/signHash over the digest of the canonical ds:SignedInfo;
// the XML (or the detached file) never leaves the client (hash mode, EN 319 132-1 over CSC).

#include <utility>

#include <inkan/ades/time_stamper.h>
#include <inkan/sign/signer.h>
#include <inkan/xades/xades.h>
#include <inkan/xades/xml.h>

namespace inkan::client {

using xades::check_xml;  ///< refuse what is not acceptable XML before anything is asked of the service
using xades::EnvelopedData;
using xades::extend_xades;  ///< B-B → B-T → B-LT → B-LTA, spliced into the original bytes
using xades::ExternalDocument;
using xades::Packaging;
using xades::XadesContent;
using xades::XadesOptions;

/// Signs XML (or, detached/enveloping, any data) with one Signer: SignedInfo is built here, only its
/// digest reaches the signer, the SignatureValue and the unsigned properties are added here.
class XmlSigner {
public:
    /// `signer` (and options.time_stamper, options.revocation) must outlive this object.
    XmlSigner(sign::Signer& signer, XadesOptions options) : m_signer{signer}, m_options{std::move(options)} {}

    /// The signed XML; the errors of xades::sign_xades (not XML: InvalidEncoding; a refused DTD, B-T
    /// without a time stamper: InvalidRequest; ...), before the signer is asked where they can be.
    [[nodiscard]] Bytes sign(const XadesContent& content) {
        return xades::sign_xades(content, m_signer, m_options);
    }

    [[nodiscard]] const XadesOptions& options() const noexcept { return m_options; }

private:
    sign::Signer& m_signer;
    XadesOptions m_options;
};

}  // namespace inkan::client
