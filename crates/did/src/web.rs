//! did:web rules that need no network: the method-specific identifier → HTTPS URL mapping, the checks a fetched
//! document must pass, and the `expandRelativeUrls` rewriting.
//!
//! Everything here is pure: no DNS, no sockets, no clock. Fetching, the SSRF guard on resolved addresses and the
//! cache live in `crate::web`. The mapping refuses IP-address hosts (also percent-encoded, and the numeric host forms
//! URL parsers read as IPv4), so an IP literal never reaches the fetcher.

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::Value;

use super::error::{invalid_did, invalid_did_document, ResolutionError};
use super::strict_json;

/// Where the DID document of a did:web DID lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidWebLocation {
    /// The domain name, lowercase ASCII (international names only as `xn--` labels).
    pub host: String,
    /// The TCP port: the one in the DID, or 443.
    pub port: u16,
    /// True when the DID names the port (`%3A<port>`); the URL then spells it out even if it is 443.
    pub explicit_port: bool,
    /// Absolute, percent-encoded path ending in `did.json`.
    pub path: String,
}

impl DidWebLocation {
    /// The HTTPS URL of the document, e.g. `https://example.com:3000/user/alice/did.json`.
    pub fn url(&self) -> String {
        if self.explicit_port {
            format!("https://{}:{}{}", self.host, self.port, self.path)
        } else {
            format!("https://{}{}", self.host, self.path)
        }
    }

    /// `host:port`, the origin a redirect must stay on.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Bytes re-encoded when a decoded path segment is put back into the URL: everything that would end or change the
/// path (`?`, `#`, `%`), plus what RFC 3986 never allows raw.
const PATH_SEGMENT: &AsciiSet =
    &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}');

/// Maps a did:web method-specific identifier (`example.com%3A3000:user:alice`) to the document location.
///
/// Refused with INVALID_DID: an empty identifier, non-ASCII, an IP-address host (also percent-encoded), a host that
/// is not a DNS name, more than one port separator, a port outside 1–65535, empty path segments, and segments that
/// decode to `.`, `..`, or contain `/`, `\`, NUL or invalid UTF-8.
pub fn locate(method_specific_id: &str) -> Result<DidWebLocation, ResolutionError> {
    if method_specific_id.is_empty() {
        return Err(invalid_did("did:web needs a domain name"));
    }
    if !method_specific_id.is_ascii() {
        return Err(invalid_did("did:web identifiers are ASCII; international domains must be punycode (xn--)"));
    }
    let mut segments = method_specific_id.split(':');
    let authority = segments.next().unwrap_or_default();
    let (host, port) = split_port(authority)?;
    let host = check_host(host)?;

    let mut path = String::new();
    let mut has_segments = false;
    for segment in segments {
        path.push('/');
        path.push_str(&decode_segment(segment)?);
        has_segments = true;
    }
    path.push_str(if has_segments { "/did.json" } else { "/.well-known/did.json" });

    Ok(DidWebLocation { host, port: port.unwrap_or(443), explicit_port: port.is_some(), path })
}

/// Splits `host%3Aport` (the separator in either case).
fn split_port(authority: &str) -> Result<(&str, Option<u16>), ResolutionError> {
    let lower = authority.to_ascii_lowercase();
    let Some(at) = lower.find("%3a") else { return Ok((authority, None)) };
    let (host, rest) = authority.split_at(at);
    let digits = rest.get(3..).unwrap_or_default();
    if digits.to_ascii_lowercase().contains("%3a") {
        return Err(invalid_did("did:web allows one port separator (%3A)"));
    }
    let valid = !digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit());
    match digits.parse::<u16>() {
        Ok(port) if valid && port != 0 && !digits.starts_with('0') => Ok((host, Some(port))),
        _ => Err(invalid_did(format!("did:web port {digits:?} must be a number from 1 to 65535"))),
    }
}

/// Decodes the host once and checks it is a DNS name, not an address.
fn check_host(raw: &str) -> Result<String, ResolutionError> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| invalid_did("the did:web host is not valid UTF-8 after percent-decoding"))?;
    if decoded.is_empty() {
        return Err(invalid_did("did:web needs a domain name"));
    }
    if !decoded.is_ascii() {
        return Err(invalid_did("international domains must be written as punycode (xn--) labels"));
    }
    let host = decoded.to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Err(invalid_did(format!("did:web hosts must be domain names, not IP addresses ({host})")));
    }
    if host.len() > 253 {
        return Err(invalid_did("the did:web host is longer than 253 characters"));
    }
    for label in host.split('.') {
        let well_formed = !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !well_formed {
            return Err(invalid_did(format!("{host:?} is not a DNS name: bad label {label:?}")));
        }
    }
    // URL parsers read a host whose last label is numeric (`2130706433`, `127.1`, `0x7f.1`) as an IPv4 address.
    let last = host.rsplit('.').next().unwrap_or_default();
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || (last.starts_with("0x") && last.bytes().skip(2).all(|b| b.is_ascii_hexdigit()));
    if numeric {
        return Err(invalid_did(format!(
            "{host:?} ends in a numeric label, which URL parsers treat as an IPv4 address"
        )));
    }
    check_idna(&host)?;
    Ok(host)
}

/// Checks `host` (lowercase ASCII, well-formed labels) the way DNS resolvers read names, through IDNA (UTS #46, the
/// STD3 rules, as hickory does): an `xn--` label must be valid punycode of a name IDNA allows, and the name must
/// come back unchanged. Anything else is an identifier no lookup can succeed for, so it is refused here, as
/// INVALID_DID, rather than failing later inside the resolver.
fn check_idna(host: &str) -> Result<(), ResolutionError> {
    let idna = Uts46::new();
    let valid = |name: &str| {
        let ascii = idna.to_ascii(name.as_bytes(), AsciiDenyList::STD3, Hyphens::Allow, DnsLength::Ignore);
        ascii.is_ok_and(|ascii| ascii == name)
    };
    if valid(host) {
        return Ok(());
    }
    let label = host.split('.').find(|label| !valid(label)).unwrap_or(host);
    Err(invalid_did(format!(
        "{host:?} is not a valid internationalized domain name: label {label:?} is not valid IDNA punycode"
    )))
}

/// Percent-decodes one path segment exactly once and re-encodes it for the URL.
fn decode_segment(segment: &str) -> Result<String, ResolutionError> {
    if segment.is_empty() {
        return Err(invalid_did("did:web path segments must not be empty"));
    }
    let decoded = percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| invalid_did(format!("path segment {segment:?} is not valid UTF-8 after percent-decoding")))?;
    if decoded == "." || decoded == ".." {
        return Err(invalid_did(format!("path segment {segment:?} is a dot segment")));
    }
    if decoded.contains(['/', '\\', '\0']) {
        return Err(invalid_did(format!("path segment {segment:?} contains '/', '\\' or NUL")));
    }
    Ok(utf8_percent_encode(&decoded, PATH_SEGMENT).to_string())
}

/// Parses a fetched body and checks it is the DID document of `did`: a JSON object, with no member name repeated
/// in any object, whose `id` is exactly `did`.
///
/// Anything else is INVALID_DID_DOCUMENT (not NOT_FOUND as web-did-resolver answers): the origin did answer, but
/// with something that cannot stand for this DID, and the operator needs to see that difference. Repeated names are
/// refused because JSON readers disagree on which one counts (serde_json keeps the last, others the first): a
/// document must mean the same to this node and to whoever else reads it.
pub fn check_document(did: &str, body: &[u8]) -> Result<Value, ResolutionError> {
    let document = strict_json::from_slice(body).map_err(|e| match e.is_data() {
        true => invalid_did_document(format!("the DID document {e}")),
        false => invalid_did_document(format!("the origin's response is not JSON: {e}")),
    })?;
    let Some(object) = document.as_object() else {
        return Err(invalid_did_document("the DID document must be a JSON object"));
    };
    match object.get("id") {
        Some(Value::String(id)) if id == did => Ok(document),
        Some(Value::String(id)) => Err(invalid_did_document(format!("the document's id {id:?} is not {did:?}"))),
        Some(_) => Err(invalid_did_document("the document's id is not a string")),
        None => Err(invalid_did_document("the document has no id")),
    }
}

/// Members whose values are DID URLs (strings, or arrays of strings and embedded objects).
const DID_URL_MEMBERS: [&str; 7] = [
    "id",
    "controller",
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
];

/// `expandRelativeUrls`: rewrites relative DID URLs (`#key-1`, `?service=x`, `/path`) in DID-URL-valued members
/// into absolute ones based on `did`, at any depth. Service endpoints and other values are left alone.
pub fn expand_relative_urls(document: &mut Value, did: &str) {
    match document {
        Value::Object(object) => {
            for (name, value) in object.iter_mut() {
                if DID_URL_MEMBERS.contains(&name.as_str()) {
                    expand_did_url_value(value, did);
                } else {
                    expand_relative_urls(value, did);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| expand_relative_urls(item, did)),
        _ => {}
    }
}

fn expand_did_url_value(value: &mut Value, did: &str) {
    match value {
        Value::String(url) if url.starts_with(['#', '?', '/']) => *url = format!("{did}{url}"),
        Value::Array(items) => items.iter_mut().for_each(|item| expand_did_url_value(item, did)),
        Value::Object(_) => expand_relative_urls(value, did),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn vectors() -> Value {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/didweb.json"));
        serde_json::from_str(text).unwrap()
    }

    fn msid(did: &str) -> &str {
        did.strip_prefix("did:web:").unwrap()
    }

    #[test]
    fn positive_vectors_map_to_their_urls() {
        let vectors = vectors();
        let positive = vectors["positive"].as_array().unwrap();
        assert_eq!(positive.len(), 10);
        for case in positive {
            let did = case["did"].as_str().unwrap();
            let location = locate(msid(did)).unwrap_or_else(|e| panic!("{did}: {e}"));
            assert_eq!(location.url(), case["url"].as_str().unwrap(), "{did}");
        }
    }

    #[test]
    fn negative_vectors_are_invalid_dids() {
        let vectors = vectors();
        for case in vectors["negative"].as_array().unwrap() {
            let did = case["did"].as_str().unwrap();
            // Live-network cases are syntactically valid; they fail at fetch time.
            if did == "did:web:did.actor:nonexistent" {
                assert!(locate(msid(did)).is_ok());
                continue;
            }
            let err = locate(msid(did)).expect_err(did);
            assert_eq!(err.code, ErrorCode::InvalidDid, "{did}: {err}");
        }
    }

    #[test]
    fn ports_and_hosts() {
        let location = locate("Example.COM%3a8443").unwrap();
        assert_eq!((location.host.as_str(), location.port), ("example.com", 8443));
        assert_eq!(locate("example.com").unwrap().port, 443);
        assert_eq!(locate("xn--exmple-cua.com").unwrap().host, "xn--exmple-cua.com");
        for bad in [
            "example.com%3A0",
            "example.com%3A65536",
            "example.com%3A",
            "example.com%3A-1",
            "example.com%3A08",
            "%3A443",
            "2130706433",
            "127.1",
            "host.0x7f",
            "-bad.com",
            "a..b",
            "ex%20ample.com",
            "%5B%3A%3A1%5D",
            "[::1]",
        ] {
            assert_eq!(locate(bad).unwrap_err().code, ErrorCode::InvalidDid, "{bad}");
        }
        // Punycode a DNS resolver cannot read.
        for bad in ["xn--lcalhost-9wg", "xn--a.com", "www.xn--lcalhost-9wg.example", "XN--LCALHOST-9WG%3A8443"] {
            let error = locate(bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidDid, "{bad}");
            assert!(error.detail.contains("IDNA"), "{bad}: {error}");
        }
        assert_eq!(locate("xn--bcher-kva.example").unwrap().host, "xn--bcher-kva.example");
        assert_eq!(locate("a--b.example").unwrap().host, "a--b.example");
        assert_eq!(locate("example.com%3A65535").unwrap().port, 65535);
    }

    #[test]
    fn segments_are_decoded_once_and_checked() {
        // Decoded once: the segment names the literal text `a%25b`, whose `%` is escaped again in the URL.
        assert_eq!(locate("example.com:a%2525b").unwrap().path, "/a%2525b/did.json");
        assert_eq!(locate("example.com:a%3Fb").unwrap().path, "/a%3Fb/did.json");
        for bad in ["example.com:a%2Fb", "example.com:a%5Cb", "example.com:a%00b", "example.com:%2e", "example.com:%FF"]
        {
            assert_eq!(locate(bad).unwrap_err().code, ErrorCode::InvalidDid, "{bad}");
        }
    }

    #[test]
    fn document_must_be_an_object_with_the_did_as_id() {
        let did = "did:web:example.com";
        assert!(check_document(did, br#"{"id":"did:web:example.com"}"#).is_ok());
        for body in [&b"not json"[..], b"[1]", br#"{"id":"did:web:example.org"}"#, br#"{"id":1}"#, b"{}"] {
            assert_eq!(check_document(did, body).unwrap_err().code, ErrorCode::InvalidDidDocument);
        }
        // serde_json alone would keep the last `id` and accept both of these.
        for (body, name) in [
            (&br#"{"id":"did:web:evil.example","id":"did:web:example.com"}"#[..], "id"),
            (br##"{"id":"did:web:example.com","service":[{"id":"#s","serviceEndpoint":"a","serviceEndpoint":"b"}]}"##, "serviceEndpoint"),
        ] {
            let error = check_document(did, body).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidDidDocument);
            assert!(error.detail.contains(&format!("repeats the member name {name:?}")), "{error}");
        }
    }

    #[test]
    fn relative_urls_are_expanded_only_where_they_are_did_urls() {
        let did = "did:web:example.com";
        let mut document = json!({
            "id": did,
            "verificationMethod": [{"id": "#key-1", "controller": did, "type": "JsonWebKey2020"}],
            "authentication": ["#key-1", {"id": "#key-2", "controller": ["#x"]}],
            "keyAgreement": ["did:web:other.example#k"],
            "service": [{"id": "#svc", "serviceEndpoint": "/relative/endpoint"}]
        });
        expand_relative_urls(&mut document, did);
        assert_eq!(document["verificationMethod"][0]["id"], "did:web:example.com#key-1");
        assert_eq!(document["authentication"][0], "did:web:example.com#key-1");
        assert_eq!(document["authentication"][1]["id"], "did:web:example.com#key-2");
        assert_eq!(document["authentication"][1]["controller"][0], "did:web:example.com#x");
        assert_eq!(document["keyAgreement"][0], "did:web:other.example#k");
        assert_eq!(document["service"][0]["id"], "did:web:example.com#svc");
        assert_eq!(document["service"][0]["serviceEndpoint"], "/relative/endpoint");
    }
}
