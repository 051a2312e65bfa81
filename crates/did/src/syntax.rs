//! DID and DID URL syntax (DID Core §3.1 and §3.2), checked without knowing any method.
//!
//! [`DidUrl::parse`] splits an identifier into DID, path, query and fragment, and tells the two failure modes apart:
//! a malformed DID part is INVALID_DID, a valid DID followed by a malformed path, query or fragment is
//! INVALID_DID_URL. Method-specific rules (did:key versions, did:web hosts) live with each method.

use super::error::{invalid_did, invalid_did_url, ResolutionError};

/// A parsed DID URL. Every part borrows from the input; a bare DID has an empty path and no query or fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DidUrl<'a> {
    /// `did:<method>:<method-specific-id>`.
    pub did: &'a str,
    /// The method name, e.g. `key`.
    pub method: &'a str,
    /// Everything after `did:<method>:` up to the path, query or fragment.
    pub method_specific_id: &'a str,
    /// The path, empty or starting with `/`.
    pub path: &'a str,
    /// The query without its `?`.
    pub query: Option<&'a str>,
    /// The fragment without its `#`.
    pub fragment: Option<&'a str>,
}

/// DID parameters defined by DID Core (and did:webvh's `versionNumber`) that may appear at most once in a DID URL
/// query.
const DID_PARAMETERS: [&str; 6] = ["service", "relativeRef", "versionId", "versionTime", "versionNumber", "hl"];

impl<'a> DidUrl<'a> {
    /// Parses a DID or DID URL.
    pub fn parse(input: &'a str) -> Result<DidUrl<'a>, ResolutionError> {
        if input.is_empty() {
            return Err(invalid_did("the identifier is empty"));
        }
        let did_end = input.find(['/', '?', '#']).unwrap_or(input.len());
        let (did, rest) = input.split_at(did_end);
        let (method, method_specific_id) = split_did(did)?;

        let (before_fragment, fragment) = match rest.split_once('#') {
            Some((head, fragment)) => (head, Some(fragment)),
            None => (rest, None),
        };
        let (path, query) = match before_fragment.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (before_fragment, None),
        };
        check_chars(path, "path", |c| is_pchar(c) || c == b'/')?;
        if let Some(query) = query {
            check_chars(query, "query", is_query_char)?;
        }
        if let Some(fragment) = fragment {
            check_chars(fragment, "fragment", is_query_char)?;
        }
        let url = DidUrl { did, method, method_specific_id, path, query, fragment };
        url.check_parameters()?;
        Ok(url)
    }

    /// True when the input was a bare DID: no path, query or fragment.
    pub fn is_bare_did(&self) -> bool {
        self.path.is_empty() && self.query.is_none() && self.fragment.is_none()
    }

    /// The query as decoded `(name, value)` pairs, in order. Invalid UTF-8 after decoding is INVALID_DID_URL.
    pub fn query_pairs(&self) -> Result<Vec<(String, String)>, ResolutionError> {
        let Some(query) = self.query else { return Ok(Vec::new()) };
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                Ok((decode_component(name)?, decode_component(value)?))
            })
            .collect()
    }

    /// The value of DID parameter `name`, decoded, if present.
    pub fn parameter(&self, name: &str) -> Result<Option<String>, ResolutionError> {
        Ok(self.query_pairs()?.into_iter().find(|(n, _)| n == name).map(|(_, v)| v))
    }

    fn check_parameters(&self) -> Result<(), ResolutionError> {
        let pairs = self.query_pairs()?;
        for parameter in DID_PARAMETERS {
            if pairs.iter().filter(|(name, _)| name == parameter).count() > 1 {
                return Err(invalid_did_url(format!("DID parameter {parameter:?} appears more than once")));
            }
        }
        Ok(())
    }
}

/// Splits `did:<method>:<msid>` and checks DID Core's grammar for each part.
fn split_did(did: &str) -> Result<(&str, &str), ResolutionError> {
    let Some(rest) = did.strip_prefix("did:") else {
        return Err(invalid_did("a DID must start with \"did:\""));
    };
    let Some((method, msid)) = rest.split_once(':') else {
        return Err(invalid_did("a DID needs a method name and a method-specific identifier"));
    };
    if method.is_empty() || !method.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(invalid_did(format!("method name {method:?} must be lowercase letters and digits")));
    }
    // method-specific-id = *( *idchar ":" ) 1*idchar : colons allowed inside, not at the end, never empty.
    if msid.is_empty() || msid.ends_with(':') {
        return Err(invalid_did("the method-specific identifier must not be empty or end with \":\""));
    }
    check_chars(msid, "method-specific identifier", |c| is_idchar(c) || c == b':')
        .map_err(|e| invalid_did(e.detail))?;
    Ok((method, msid))
}

/// Checks that `text` consists of allowed bytes and well-formed `%XX` escapes.
fn check_chars(text: &str, part: &str, allowed: impl Fn(u8) -> bool) -> Result<(), ResolutionError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'%' {
            let escape_ok = bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !escape_ok {
                return Err(invalid_did_url(format!("malformed percent-escape in the {part} at byte {i}")));
            }
            i += 3;
        } else if allowed(c) {
            i += 1;
        } else {
            let shown = text[i..].chars().next().unwrap_or('?');
            return Err(invalid_did_url(format!("character {shown:?} is not allowed in the {part}")));
        }
    }
    Ok(())
}

fn is_idchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_')
}

/// RFC 3986 `pchar` without the `%XX` form (handled by [`check_chars`]).
fn is_pchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, b'-' | b'.' | b'_' | b'~')
        || matches!(c, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
        || matches!(c, b':' | b'@')
}

fn is_query_char(c: u8) -> bool {
    is_pchar(c) || c == b'/' || c == b'?'
}

/// Percent-decodes one query component (`+` stays `+`: DID URLs are not form-encoded).
fn decode_component(text: &str) -> Result<String, ResolutionError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| invalid_did_url("a query component is not valid UTF-8 after percent-decoding"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn code(input: &str) -> ErrorCode {
        DidUrl::parse(input).unwrap_err().code
    }

    #[test]
    fn splits_a_full_did_url() {
        let url =
            DidUrl::parse("did:web:example.com%3A8443:u:alice/path/x?service=files&relativeRef=%2Fa#key-1").unwrap();
        assert_eq!(url.did, "did:web:example.com%3A8443:u:alice");
        assert_eq!(url.method, "web");
        assert_eq!(url.method_specific_id, "example.com%3A8443:u:alice");
        assert_eq!(url.path, "/path/x");
        assert_eq!(url.query, Some("service=files&relativeRef=%2Fa"));
        assert_eq!(url.fragment, Some("key-1"));
        assert_eq!(url.parameter("relativeRef").unwrap().as_deref(), Some("/a"));
        assert!(!url.is_bare_did());
    }

    #[test]
    fn bare_did() {
        let url = DidUrl::parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").unwrap();
        assert!(url.is_bare_did());
        assert_eq!(url.method_specific_id, "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK");
    }

    #[test]
    fn invalid_dids() {
        for input in [
            "",
            "not-a-did",
            "notDid:key:z6Mk",
            "did:",
            "did:key",
            "did:key:",
            "did:KEY:z6Mk",
            "did:key:@",
            "did:key:a:",
            "did:web:exa mple.com",
            "did:key:z6Mk%zz",
            "did::abc",
            "did:key:ü",
        ] {
            assert_eq!(code(input), ErrorCode::InvalidDid, "{input:?}");
        }
    }

    #[test]
    fn invalid_did_urls() {
        for input in [
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK/^bar^/?query=`#z6Mk",
            "did:key:z6Mk#frag#ment",
            "did:key:z6Mk?service=a&service=b",
            "did:key:z6Mk/a b",
            "did:key:z6Mk#%G1",
        ] {
            assert_eq!(code(input), ErrorCode::InvalidDidUrl, "{input:?}");
        }
    }

    #[test]
    fn colons_and_escapes_inside_the_method_specific_id() {
        let url = DidUrl::parse("did:key:1:z6Mk").unwrap();
        assert_eq!(url.method_specific_id, "1:z6Mk");
        assert!(DidUrl::parse("did:web:127%2E0%2E0%2E1").is_ok(), "method rules, not syntax, refuse IP hosts");
    }
}
