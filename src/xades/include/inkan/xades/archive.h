#pragma once

// The input of a XAdES archive time-stamp (xades141:ArchiveTimeStamp, ETSI TS 101 903 v1.4.1 §8.2.1
// "not distributed case", kept by ETSI EN 319 132-1 v1.2.1 §5.5.2.2), for the signer that adds one and
// for the validator that checks one. The input is the concatenation, in this order, of:
//
//   1. every ds:Reference of ds:SignedInfo in document order, processed with the XML-DSig reference
//      processing model (URI dereferenced, Transforms applied); a node-set result is canonicalised with
//      the time-stamp's CanonicalizationMethod, an octet-stream result is taken as it is;
//   2. ds:SignedInfo, ds:SignatureValue and ds:KeyInfo (when present), each canonicalised;
//   3. every unsigned signature property (each child element of xades:UnsignedSignatureProperties)
//      that comes before the archive time-stamp, in order, each canonicalised;
//   4. every ds:Object child of ds:Signature except the one holding xades:QualifyingProperties, in
//      order, each canonicalised.
//
// "Canonicalised" is with the algorithm of the time-stamp's ds:CanonicalizationMethod; without one,
// XML-DSig's default, inclusive Canonical XML 1.0 without comments. No libxml2 type in this header.

#include <cstddef>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/xades/xml.h>

namespace inkan::xades {

/// The bytes of an external (detached) reference target, named by its ds:Reference/@URI as written:
/// `data`, or when `stream` is set, the stream read from its start (seekg(0)) in chunks.
struct DetachedContent {
    std::string uri;
    ByteView data;
    std::istream* stream = nullptr;
};

struct ArchiveInputRequest {
    /// Which ds:Signature: the one with this Id; empty: the first ds:Signature in document order.
    std::string signature_id;
    /// For the validator: the input of the signature's existing archive time-stamp number `existing`
    /// (0 = the first xades141:ArchiveTimeStamp in UnsignedSignatureProperties), canonicalised as that
    /// time-stamp's own CanonicalizationMethod says. Empty: the input of a new archive time-stamp to be
    /// appended after every unsigned property present now, canonicalised with `c14n`.
    std::optional<std::size_t> existing;
    C14n c14n = C14n::Exclusive10;
    /// The targets of external references (URI not empty and not starting with '#').
    std::vector<DetachedContent> detached;
    ParseLimits limits;
};

/// The whole input, in memory. Errc::InvalidEncoding: not XML, no such signature, a ds:Reference whose
/// target is missing or not unique (a same-document Id must name exactly one element), a time-stamp
/// index past the last; Errc::InvalidRequest: an external reference without its DetachedContent;
/// Errc::UnsupportedAlgorithm: a transform other than enveloped-signature, base64 and the C14N family
/// (XPath, XPath Filter 2.0, XSLT are refused, not guessed); parse errors as xades::canonicalize.
Bytes archive_time_stamp_input(ByteView xml, const ArchiveInputRequest& request);

/// The same input streamed into `sink` in pieces (a 100 MB enveloped document is not copied).
void archive_time_stamp_input(ByteView xml, const ArchiveInputRequest& request,
                              const std::function<void(ByteView)>& sink);

/// The hash of the input with `alg`: the message imprint the time-stamp token must carry.
Bytes archive_time_stamp_digest(ByteView xml, const ArchiveInputRequest& request,
                                crypto::DigestAlgorithm alg);

}  // namespace inkan::xades
