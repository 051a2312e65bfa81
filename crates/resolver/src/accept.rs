//! Content negotiation for resolution answers: an `Accept` header (or the `accept` option) in, the
//! [`Representation`] to produce out.
//!
//! The table follows the DID Resolution HTTP binding: the full result by default and for
//! `application/did-resolution`; the legacy full result (CCG v0.3 dialect) for `application/ld+json` with the
//! `https://w3id.org/did-resolution` profile; the dereferencing result for `application/did-url-dereferencing`; the
//! bare document for the DID document media types; `text/uri-list` for service dereferencing; nothing else. Parsing
//! is pure and bounded.

/// Which spelling of the full result a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Current W3C draft: `application/did-resolution`, problem-object errors, no `@context`.
    Current,
    /// CCG v0.3 / DID Core 1.0 era: `@context`, camelCase error codes, `didDereferencingMetadata`.
    Legacy,
}

/// What to put in the response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// The full resolution (or dereferencing) result in a dialect.
    Result(Dialect),
    /// The DID URL dereferencing result of the current draft: `content`, `dereferencingMetadata`,
    /// `contentMetadata`; a service URL becomes a redirect, as for [`Representation::UriList`].
    Dereferencing,
    /// The bare DID document (or dereferenced object), labelled with this media type.
    Document(&'static str),
    /// The URL a service dereferences to, as a redirect.
    UriList,
}

/// Media type of the current full result.
pub(crate) const DID_RESOLUTION: &str = "application/did-resolution";
/// Media type of the current dereferencing result.
pub(crate) const DID_URL_DEREFERENCING: &str = "application/did-url-dereferencing";
/// Media type of the legacy full result, as sent in `Content-Type`.
pub(crate) const LEGACY_RESOLUTION: &str = "application/ld+json;profile=\"https://w3id.org/did-resolution\"";
const LEGACY_PROFILE: &str = "https://w3id.org/did-resolution";
/// Media types of a bare DID document this node produces.
const DOCUMENT_TYPES: [&str; 5] =
    ["application/did", "application/did+json", "application/did+ld+json", "application/json", "application/ld+json"];
/// More media ranges than this in one header are ignored: no legitimate client sends them.
const MAX_RANGES: usize = 32;

impl Representation {
    /// The `Content-Type` of a successful answer in this representation.
    pub fn content_type(self) -> &'static str {
        match self {
            Representation::Result(Dialect::Current) => DID_RESOLUTION,
            Representation::Result(Dialect::Legacy) => LEGACY_RESOLUTION,
            Representation::Dereferencing => DID_URL_DEREFERENCING,
            Representation::Document(media_type) => media_type,
            Representation::UriList => "text/uri-list",
        }
    }

    /// The dialect errors are reported in: legacy clients get legacy errors, everyone else the current form.
    pub fn dialect(self) -> Dialect {
        match self {
            Representation::Result(dialect) => dialect,
            _ => Dialect::Current,
        }
    }
}

/// The representation `accept` asks for, or `None` when nothing in it can be produced (406).
/// An absent or blank header means "anything", which is the current full result.
pub fn negotiate(accept: Option<&str>) -> Option<Representation> {
    let accept = match accept.map(str::trim) {
        None | Some("") => return Some(Representation::Result(Dialect::Current)),
        Some(accept) => accept,
    };
    let mut ranges: Vec<(f32, usize, Representation)> = Vec::new();
    for (position, range) in accept.split(',').take(MAX_RANGES).enumerate() {
        let Some((quality, representation)) = parse_range(range) else { continue };
        if quality > 0.0 {
            ranges.push((quality, position, representation));
        }
    }
    // Highest quality first; among equals, the client's order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.first().map(|(_, _, representation)| *representation)
}

/// One media range as written: its essence (lower case), quality, and whether it names the legacy profile.
struct MediaRange {
    essence: String,
    quality: f32,
    legacy_profile: bool,
}

/// Parses one media range; `None` when it is malformed.
fn media_range(range: &str) -> Option<MediaRange> {
    let mut parts = range.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    let mut quality = 1.0f32;
    let mut legacy_profile = false;
    for parameter in parts {
        let (name, value) = parameter.split_once('=')?;
        let value = value.trim().trim_matches('"');
        match name.trim().to_ascii_lowercase().as_str() {
            "q" => quality = value.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q))?,
            "profile" => legacy_profile = value.split_ascii_whitespace().any(|p| p == LEGACY_PROFILE),
            _ => {}
        }
    }
    Some(MediaRange { essence, quality, legacy_profile })
}

/// Which of `offered` (lower-case media types, the server's preference first) `accept` asks for: the highest
/// quality wins, then the client's order; `*/*` and `type/*` match the first offered type they cover. An absent or
/// blank header takes the first offered type; `None` when nothing offered is acceptable.
pub fn choose(accept: Option<&str>, offered: &[&'static str]) -> Option<&'static str> {
    let accept = match accept.map(str::trim) {
        None | Some("") => return offered.first().copied(),
        Some(accept) => accept,
    };
    let mut best: Option<(f32, &'static str)> = None;
    for range in accept.split(',').take(MAX_RANGES).filter_map(media_range) {
        let covers = |media_type: &&&str| match range.essence.strip_suffix("/*") {
            Some("*") => true,
            Some(prefix) => media_type.split('/').next() == Some(prefix),
            None => range.essence == **media_type,
        };
        let better = best.is_none_or(|(quality, _)| range.quality > quality);
        if let Some(media_type) = offered.iter().find(covers).filter(|_| range.quality > 0.0 && better) {
            best = Some((range.quality, *media_type));
        }
    }
    best.map(|(_, media_type)| media_type)
}

/// One media range: its quality and what it maps to, or `None` when it is malformed or unknown.
fn parse_range(range: &str) -> Option<(f32, Representation)> {
    let MediaRange { essence, quality, legacy_profile } = media_range(range)?;
    let representation = match essence.as_str() {
        "*/*" | "application/*" | DID_RESOLUTION => Representation::Result(Dialect::Current),
        "application/ld+json" if legacy_profile => Representation::Result(Dialect::Legacy),
        DID_URL_DEREFERENCING => Representation::Dereferencing,
        "text/uri-list" => Representation::UriList,
        other => Representation::Document(DOCUMENT_TYPES.iter().find(|t| **t == other)?),
    };
    Some((quality, representation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_current_full_result() {
        for accept in [None, Some(""), Some("*/*"), Some("application/did-resolution"), Some("application/*")] {
            assert_eq!(negotiate(accept), Some(Representation::Result(Dialect::Current)), "{accept:?}");
        }
    }

    #[test]
    fn legacy_profile_selects_the_legacy_dialect() {
        let accept = r#"application/ld+json;profile="https://w3id.org/did-resolution""#;
        assert_eq!(negotiate(Some(accept)), Some(Representation::Result(Dialect::Legacy)));
        let spaced = r#"application/ld+json; profile="https://example.com/x https://w3id.org/did-resolution""#;
        assert_eq!(negotiate(Some(spaced)), Some(Representation::Result(Dialect::Legacy)));
    }

    #[test]
    fn dereferencing_media_type_selects_the_dereferencing_result() {
        for accept in ["application/did-url-dereferencing", "text/html, Application/DID-URL-Dereferencing;q=0.8"] {
            assert_eq!(negotiate(Some(accept)), Some(Representation::Dereferencing), "{accept}");
        }
    }

    #[test]
    fn document_types_give_the_bare_document() {
        for media_type in DOCUMENT_TYPES {
            assert_eq!(negotiate(Some(media_type)), Some(Representation::Document(media_type)));
        }
        assert_eq!(negotiate(Some("Application/DID+JSON")), Some(Representation::Document("application/did+json")));
    }

    #[test]
    fn quality_and_order_decide() {
        let accept = "application/did+json;q=0.5, application/did-resolution;q=0.9, text/html";
        assert_eq!(negotiate(Some(accept)), Some(Representation::Result(Dialect::Current)));
        assert_eq!(
            negotiate(Some("text/html, application/did+ld+json, application/did")),
            Some(Representation::Document("application/did+ld+json"))
        );
        assert_eq!(negotiate(Some("application/did;q=0")), None);
    }

    #[test]
    fn choosing_among_offered_types() {
        let offered = ["application/json", "application/x-ndjson"];
        assert_eq!(choose(None, &offered), Some("application/json"));
        assert_eq!(choose(Some("application/x-ndjson"), &offered), Some("application/x-ndjson"));
        assert_eq!(choose(Some("*/*"), &offered), Some("application/json"));
        assert_eq!(choose(Some("application/*;q=0.5, application/x-ndjson"), &offered), Some("application/x-ndjson"));
        assert_eq!(choose(Some("application/x-ndjson, application/json"), &offered), Some("application/x-ndjson"));
        assert_eq!(choose(Some("application/x-ndjson;q=0, text/html"), &offered), None);
        assert_eq!(choose(Some("application/did+json"), &offered), None);
    }

    #[test]
    fn unproducible_or_malformed_is_none() {
        for accept in ["text/html", "image/png;q=1", "application/did;q=abc", "application/did;q=2", ";;;", ","] {
            assert_eq!(negotiate(Some(accept)), None, "{accept:?}");
        }
    }
}
