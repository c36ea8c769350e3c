#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/error.h>

namespace inkan::pdf {

/// The kind of the newest cross-reference section (ISO 32000-1 §7.5.4 table, §7.5.8 stream).
/// An incremental update is written with the same kind, chained by /Prev.
enum class XrefKind { Table, Stream };

/// A terminal signature field (/FT /Sig) found through the AcroForm's /Fields.
struct SignatureField {
    std::string name;                 ///< fully qualified name, UTF-8 ("Signature1", "form.sig")
    bool is_signed = false;           ///< /V holds a signature dictionary
    std::optional<std::size_t> page;  ///< 0-based page of its widget, when the widget names one
};

/// /Type of the signature dictionary: a signature (/Sig, ISO 32000-1 §12.8.1) or a document
/// time-stamp (/DocTimeStamp, ISO 32000-2 §12.8.5; PAdES B-LTA).
enum class SignatureType { Signature, DocTimeStamp };

/// /SubFilter: the format of /Contents.
enum class SubFilter {
    CadesDetached,  ///< /ETSI.CAdES.detached: CMS, detached (PAdES baseline, EN 319 142-1)
    Rfc3161,        ///< /ETSI.RFC3161: a bare RFC 3161 TimeStampToken (document time-stamp)
    Pkcs7Detached,  ///< /adbe.pkcs7.detached: CMS, ISO 32000-1 §12.8.3.3 (not PAdES)
};

/// A rectangle in the page's default user space (points), lower-left and upper-right corners.
struct Rect {
    double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

/// The generated seal (印影) of a visible signature: a red border of this shape around the name
/// written vertically, drawn as vector graphics (decision 0031). None: no generated seal.
enum class SealStyle { None, Round, Square, Oval };

/// A visible signature: a widget at `rect` whose appearance stream draws a border, the text lines
/// and, to their left, the optional seal image or generated seal (印影). The text is shaped with
/// HarfBuzz and shown in an embedded subset of `font` (decision 0031), so every viewer shows the
/// same glyphs and copy-paste gives back the text (ToUnicode).
struct Appearance {
    Appearance() = default;
    Appearance(Rect r, std::vector<std::string> text, Bytes seal_image = {})
        : rect{r}, lines{std::move(text)}, image{std::move(seal_image)} {}

    Rect rect;                       ///< of a new field's widget; an existing field keeps its widget's /Rect
    std::vector<std::string> lines;  ///< UTF-8; typically the signer's name, the date, the reason
    Bytes image;                     ///< PNG or JPEG bytes, or empty
    /// A TrueType/OpenType font with glyf outlines (a .ttf, or the first face of a .ttc). Empty: the
    /// first installed of IPA Mincho, IPA Gothic (default_appearance_font()).
    std::filesystem::path font;
    /// 縦書き: the lines become columns, top to bottom, right to left (Identity-V, vertical metrics).
    bool vertical = false;
    SealStyle seal = SealStyle::None;  ///< a generated seal instead of `image`
    std::string seal_text;             ///< the name in the generated seal (UTF-8, at most 12 characters)
};

/// The font appearances use when Appearance::font is empty: the first of IPA Mincho, IPA Gothic
/// (Debian fonts-ipafont-*) that is installed; empty when none is.
std::filesystem::path default_appearance_font();

/// Lays out `appearance` in its rect without writing anything: the same checks and errors as
/// Document::prepare gives for it (text, font, fit), so a caller can refuse bad input before it
/// asks for a signature. An existing field's widget may have another rectangle.
void check_appearance(const Appearance& appearance);

/// Parses "round", "square", "oval" (and "none"); std::nullopt for anything else.
std::optional<SealStyle> seal_style_from_name(std::string_view name);

/// What to write into the incremental update of one signature.
struct SignatureSpec {
    SignatureType type = SignatureType::Signature;
    SubFilter sub_filter = SubFilter::CadesDetached;
    /// An existing, empty signature field to sign into; when no field has this name, a new field
    /// gets it. Empty: a new field named "SignatureN" (the first N that is free).
    std::string field_name;
    /// /M, the claimed signing time (required by PAdES B-B; omitted when empty).
    std::optional<TimePoint> signing_time;
    std::chrono::minutes utc_offset{0};  ///< offset /M is written in (0: "Z")
    /// Optional /Name, /Reason, /Location, /ContactInfo (UTF-8; empty = absent).
    std::string name, reason, location, contact_info;
    /// A certification signature with DocMDP permissions P (1, 2 or 3; ISO 32000-1 §12.8.2.2).
    std::optional<int> certify;
    /// Page (0-based) of a new field's widget; invisible widgets go there too.
    std::size_t page = 0;
    /// Visible when set; a new field's widget is invisible (/Rect [0 0 0 0]) otherwise.
    std::optional<Appearance> appearance;
    /// Bytes reserved for /Contents (the DER CMS or token); the hex string is twice as long.
    std::size_t contents_size = 16384;
};

/// Thrown by PreparedSignature::embed when the DER does not fit the reservation. The prepared
/// file is left untouched; prepare again with `contents_size >= needed()`.
class ContentsTooSmall : public Error {
public:
    ContentsTooSmall(std::size_t needed, std::size_t capacity);
    [[nodiscard]] std::size_t needed() const noexcept { return m_needed; }
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }

private:
    std::size_t m_needed;
    std::size_t m_capacity;
};

/// A document with one new signature revision whose /Contents is still zeros, in a temporary file
/// beside the output. `embed` fills /Contents and renames the file to the output path; destroying
/// the object before that removes the temporary file, so a failure never leaves an output file.
class PreparedSignature {
public:
    PreparedSignature(PreparedSignature&&) noexcept;
    PreparedSignature& operator=(PreparedSignature&&) noexcept;
    PreparedSignature(const PreparedSignature&) = delete;
    PreparedSignature& operator=(const PreparedSignature&) = delete;
    ~PreparedSignature();

    /// /ByteRange [0 a b c]: [0, a) and [b, b + c) are signed; [a, b) is the "<...>" of /Contents.
    [[nodiscard]] const std::array<std::uint64_t, 4>& byte_range() const noexcept { return m_range; }
    /// Bytes /Contents can hold.
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }
    /// The fully qualified name of the field that holds the signature.
    [[nodiscard]] const std::string& field_name() const noexcept { return m_field; }
    /// Streams the two byte ranges, in order, in chunks of at most 64 KiB (memory does not grow
    /// with the file). The caller hashes them.
    void hash_ranges(const std::function<void(ByteView)>& sink) const;
    /// Writes `der` as hex into /Contents (the rest stays "0"), syncs, and renames the file to the
    /// output path. ContentsTooSmall when der.size() > capacity(); Errc::Conflict when called twice.
    void embed(ByteView der);

private:
    friend class Document;
    PreparedSignature() = default;
    void discard() noexcept;

    std::filesystem::path m_temp;
    std::filesystem::path m_output;
    std::array<std::uint64_t, 4> m_range{};
    std::size_t m_capacity = 0;
    std::string m_field;
    bool m_done = false;
};

/// Validation data for the Document Security Store (ETSI EN 319 142-1 §5.4.2; PAdES B-LT): DER
/// certificates, OCSP responses and CRLs, each written as a stream. Entries already in the DSS
/// are kept; identical ones are not added twice.
struct DssData {
    std::vector<Bytes> certs;
    std::vector<Bytes> ocsps;
    std::vector<Bytes> crls;
    /// Optional /VRI entries: upper-case hex SHA-1 of a signature's /Contents (the caller hashes)
    /// → indices into `certs`, `ocsps`, `crls` of the data that validates it.
    struct Vri {
        std::string key;
        std::vector<std::size_t> certs, ocsps, crls;
    };
    std::vector<Vri> vri;
};

/// The form fields a signature locks (FieldMDP, ISO 32000-1 §12.8.2.4; the signature field's /Lock,
/// §12.7.4.5 table 233): after signing, a locked field's value must not change.
struct FieldLock {
    enum class Action { All, Include, Exclude };
    Action action = Action::All;
    std::vector<std::string> fields;  ///< fully qualified names (/Include, /Exclude), UTF-8
    /// Whether the field with fully qualified name `field` is locked. A name also covers the fields
    /// below it ("form" covers "form.name"), as field names are inherited (§12.7.3.2).
    [[nodiscard]] bool locks(std::string_view field) const;
};

/// A signature or document time-stamp already in the document (the /V of a signed field), as the
/// long-term-validation steps need it (ETSI EN 319 142-1 §5.4: every signature's and time-stamp's
/// certificates get validation data).
struct SignatureValue {
    std::string field_name;
    SignatureType type = SignatureType::Signature;  ///< DocTimeStamp for /Type /DocTimeStamp or /ETSI.RFC3161
    std::string sub_filter;                         ///< "/ETSI.CAdES.detached", "/ETSI.RFC3161", ...
    std::vector<std::uint64_t> byte_range;          ///< as written (not checked here)
    /// /Contents hex-decoded, including the zero padding (the VRI key hashes exactly these bytes,
    /// EN 319 142-1 §5.4.2.3); the DER is at the front.
    Bytes contents;
    /// /M as written (a PDF date, ISO 32000-1 §7.9.4), empty when absent: the claimed signing time.
    std::string signing_time;
    /// /Name of the signature dictionary (UTF-8), empty when absent.
    std::string name;
    /// This signature dictionary is the catalog's /Perms /DocMDP (a certification signature).
    bool certification = false;
    /// Where the signature dictionary is defined (its xref offset; for an object in an object stream,
    /// that stream's): a dictionary outside its own signed range was slipped in later.
    std::optional<std::uint64_t> dictionary_offset;
    /// The FieldMDP lock of this signature: the signature dictionary's /Reference with /TransformMethod
    /// /FieldMDP, else the signature field's /Lock dictionary. Empty: no field is locked.
    std::optional<FieldLock> field_lock;
    /// /P of the field's /Lock dictionary (ISO 32000-2 §12.7.5.5): DocMDP permissions this (approval)
    /// signature sets for later changes, as a certification's P would.
    std::optional<int> lock_permissions;
};

/// Reads [offset, offset + length) of `path` in chunks of at most 64 KiB into `sink` (memory does
/// not grow with the range). Errc::IoFailure when the file cannot be read or is shorter.
void read_range(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t length,
                const std::function<void(ByteView)>& sink);

/// Where each revision of the file ends (ISO 32000-1 §7.5.6): the offset just past every "%%EOF"
/// marker and the end-of-line after it, in file order. Streams the file once.
std::vector<std::uint64_t> revision_ends(const std::filesystem::path& path);

/// What changed between an earlier revision of a PDF (its first `revision_end` bytes) and the whole
/// file, as the modification analysis of a signature needs it (ISO 32000-1 §12.8.2.2 DocMDP;
/// the "shadow attacks"). Objects are compared as qpdf parses them.
struct RevisionDiff {
    bool pages_changed = false;          ///< page count differs
    std::vector<std::string> changes;    ///< every change that is not a permitted one, human readable
    std::vector<std::string> permitted;  ///< changes a signature allows (DSS, new signatures, ...)
};
/// `docmdp`: the P of the certification signature when the earlier revision is certified (1: no
/// changes; 2: form filling and signing; 3: also annotations); nullopt for an approval signature,
/// for which new annotations are reported as permitted but named. Errc::InvalidEncoding when either
/// revision does not parse.
/// `lock`: the FieldMDP lock of the signature; a value change of a locked field is a change, not form
/// filling. A later trailer whose /Root names another catalog, an annotation with its own appearance
/// over a page (the "hide" shadow attack) and a field appearance changed without its value ("replace")
/// are changes.
RevisionDiff compare_revisions(const std::filesystem::path& path, std::uint64_t revision_end,
                               std::optional<int> docmdp,
                               const std::optional<FieldLock>& lock = std::nullopt);

/// A PDF opened for signing. qpdf parses it (objects are read on demand, streams never loaded);
/// the constructor refuses what an incremental update cannot safely extend.
class Document {
public:
    /// Errc::InvalidEncoding: not a PDF, truncated, or damaged (qpdf had to reconstruct the xref,
    /// or the last startxref does not point at an xref section). Errc::InvalidRequest: encrypted,
    /// or a hybrid-reference file (/XRefStm). Errc::IoFailure: cannot be read.
    static Document open(const std::filesystem::path& path);

    Document(Document&&) noexcept;
    Document& operator=(Document&&) noexcept;
    ~Document();

    [[nodiscard]] const std::filesystem::path& path() const noexcept;
    [[nodiscard]] std::uint64_t file_size() const noexcept;
    [[nodiscard]] XrefKind xref_kind() const noexcept;
    [[nodiscard]] std::size_t page_count() const noexcept;
    [[nodiscard]] const std::vector<SignatureField>& signature_fields() const noexcept;
    /// Signature fields that hold a signature (including document time-stamps).
    [[nodiscard]] std::size_t signature_count() const noexcept;
    /// Every signed signature field's value, in field order. Errc::InvalidEncoding when one is damaged.
    [[nodiscard]] std::vector<SignatureValue> signatures() const;
    /// P of the certification signature (catalog /Perms /DocMDP), if the document is certified.
    [[nodiscard]] std::optional<int> docmdp() const noexcept;
    /// The certificates, OCSP responses and CRLs of the Document Security Store (ETSI EN 319 142-1
    /// §5.4.2) and of every /VRI entry, decoded; empty when there is none. At most 4096 entries of
    /// 16 MiB each are read (a hostile DSS cannot exhaust memory).
    [[nodiscard]] DssData dss() const;

    /// Writes this document's bytes (streamed) plus an incremental update holding the signature
    /// dictionary with a zero-filled /Contents of spec.contents_size bytes, the field and widget,
    /// and the changed page, AcroForm and catalog, to a temporary file beside `output`.
    /// Errc::InvalidRequest for a bad spec (page out of range, empty rectangle, unknown image
    /// format, contents_size 0); Errc::Conflict when the field is already signed or is not a
    /// signature field, when a certified document with P=1 gets a signature (a document
    /// time-stamp is allowed, ISO 32000-2 §12.8.2.2.2), or when certifying a signed document.
    [[nodiscard]] PreparedSignature prepare(const SignatureSpec& spec,
                                            const std::filesystem::path& output) const;

    /// Writes this document plus an incremental update that adds `data` to the DSS (creating it,
    /// or rewriting it with the union of old and new entries) to `output` (temp file + rename).
    void add_dss(const DssData& data, const std::filesystem::path& output) const;

    struct Impl;

private:
    explicit Document(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m;
};

}  // namespace inkan::pdf
