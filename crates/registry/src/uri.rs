//! RFC 3986 §3 `URI` syntax, checked in one pass: a scheme, `:`, the hierarchical part (an authority after `//`,
//! then a path), an optional query and an optional fragment, each made only of the characters its production
//! allows, with well-formed `%XX` escapes. TRQP requires its identifiers to be such strings; a DID and an https URL
//! are both URIs.
//!
//! Syntax only: no normalization, no resolution, no scheme-specific rules (a DID's own grammar is
//! `trustnode_did::syntax`'s), no allocation unless refused. IRIs (non-ASCII characters) are not URIs.

use std::fmt;

/// Why a string is not a URI: the first offending byte, or what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriError {
    /// There is no scheme: letters, digits, `+`, `-` or `.` (starting with a letter) followed by `:`.
    NoScheme,
    /// The character at byte `at` is not allowed in `part`.
    Character {
        /// The byte offset.
        at: usize,
        /// The character there.
        found: char,
        /// The part of the URI it is in.
        part: &'static str,
    },
    /// A `%` at byte `at` is not followed by two hexadecimal digits.
    Escape {
        /// The byte offset of the `%`.
        at: usize,
    },
    /// The authority's `[`…`]` IP literal is not closed.
    UnclosedIpLiteral,
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriError::NoScheme => f.write_str("it has no scheme (a URI starts like `did:` or `https:`)"),
            UriError::Character { at, found, part } if found.is_ascii_graphic() => {
                write!(f, "`{found}` at byte {at} is not allowed in the {part}")
            }
            UriError::Character { at, found, part } => {
                write!(f, "character U+{:04X} at byte {at} is not allowed in the {part}", u32::from(*found))
            }
            UriError::Escape { at } => write!(f, "the `%` at byte {at} is not followed by two hexadecimal digits"),
            UriError::UnclosedIpLiteral => f.write_str("the `[` of the host is not closed by `]`"),
        }
    }
}

/// Checks that `text` is an RFC 3986 `URI` (absolute, fragment allowed).
pub fn check(text: &str) -> Result<(), UriError> {
    let bytes = text.as_bytes();
    let scheme_end = bytes.iter().position(|&c| c == b':').ok_or(UriError::NoScheme)?;
    let scheme = &bytes[..scheme_end];
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(UriError::NoScheme);
    }
    let end = bytes.len();
    let fragment = find(bytes, scheme_end + 1, end, b'#');
    let query = find(bytes, scheme_end + 1, fragment, b'?');
    let mut path = scheme_end + 1;
    if bytes[path..query].starts_with(b"//") {
        let authority_end = find(bytes, path + 2, query, b'/');
        check_authority(text, path + 2, authority_end)?;
        path = authority_end;
    }
    check_part(text, path, query, "path", |c| is_pchar(c) || c == b'/')?;
    if query < fragment {
        check_part(text, query + 1, fragment, "query", is_query_char)?;
    }
    if fragment < end {
        check_part(text, fragment + 1, end, "fragment", is_query_char)?;
    }
    Ok(())
}

/// `[ userinfo "@" ] host [ ":" port ]` in `text[start..end]`.
fn check_authority(text: &str, start: usize, end: usize) -> Result<(), UriError> {
    let bytes = text.as_bytes();
    let host = match find(bytes, start, end, b'@') {
        at if at < end => {
            check_part(text, start, at, "userinfo", |c| is_unreserved_or_sub_delim(c) || c == b':')?;
            at + 1
        }
        _ => start,
    };
    let port = if bytes.get(host) == Some(&b'[') {
        let close = find(bytes, host, end, b']');
        if close == end {
            return Err(UriError::UnclosedIpLiteral);
        }
        // IPv6 and IPvFuture literals: hexadecimal digits, `.`, `:`, and the IPvFuture characters.
        check_part(text, host + 1, close, "IP literal", |c| is_unreserved_or_sub_delim(c) || c == b':')?;
        match bytes.get(close + 1) {
            None => return Ok(()),
            Some(b':') if close + 1 < end => close + 1,
            Some(_) if close + 1 == end => return Ok(()),
            Some(_) => return Err(character(text, close + 1, "authority")),
        }
    } else {
        let colon = find(bytes, host, end, b':');
        check_part(text, host, colon, "host", is_unreserved_or_sub_delim)?;
        colon
    };
    if port < end {
        check_part(text, port + 1, end, "port", |c| c.is_ascii_digit())?;
    }
    Ok(())
}

/// Checks that `text[start..end]` is made of `allowed` bytes and `%XX` escapes.
fn check_part(
    text: &str,
    start: usize,
    end: usize,
    part: &'static str,
    allowed: impl Fn(u8) -> bool,
) -> Result<(), UriError> {
    let bytes = text.as_bytes();
    let mut at = start;
    while at < end {
        let c = bytes[at];
        if c == b'%' {
            // No delimiter is a hexadecimal digit, so a well-formed escape never runs past `end`.
            if !bytes.get(at + 1..at + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                return Err(UriError::Escape { at });
            }
            at += 3;
        } else if allowed(c) {
            at += 1;
        } else {
            return Err(character(text, at, part));
        }
    }
    Ok(())
}

fn character(text: &str, at: usize, part: &'static str) -> UriError {
    let found = text.get(at..).and_then(|rest| rest.chars().next()).unwrap_or(char::REPLACEMENT_CHARACTER);
    UriError::Character { at, found, part }
}

/// The position of the first `wanted` in `bytes[start..end]`, else `end`.
fn find(bytes: &[u8], start: usize, end: usize, wanted: u8) -> usize {
    bytes[start..end].iter().position(|&c| c == wanted).map_or(end, |n| start + n)
}

fn is_unreserved_or_sub_delim(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, b'-' | b'.' | b'_' | b'~')
        || matches!(c, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

/// RFC 3986 `pchar` without the `%XX` form.
fn is_pchar(c: u8) -> bool {
    is_unreserved_or_sub_delim(c) || matches!(c, b':' | b'@')
}

fn is_query_char(c: u8) -> bool {
    is_pchar(c) || matches!(c, b'/' | b'?')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dids_and_urls_are_uris() {
        for uri in [
            "did:web:university.example",
            "did:web:example.com%3A8443:user:alice",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "did:example:123?service=files&relativeRef=/a#key-1",
            "https://example.org/badges/math",
            "https://user:pw@[2001:db8::1]:8443/a/b?c=d#e",
            "http://127.0.0.1:8080",
            "https://example.org",
            "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
            "mailto:registrar@example.edu",
            "tag:",
        ] {
            assert_eq!(check(uri), Ok(()), "{uri}");
        }
    }

    #[test]
    fn other_strings_are_refused_at_the_first_wrong_byte() {
        let cases = [
            ("not a uri", UriError::NoScheme),
            ("university", UriError::NoScheme),
            (":web:x", UriError::NoScheme),
            ("1did:web:x", UriError::NoScheme),
            ("did web:x", UriError::NoScheme),
            ("did:web:not a uri", UriError::Character { at: 11, found: ' ', part: "path" }),
            ("did:web:x%2", UriError::Escape { at: 9 }),
            ("did:web:x%zz", UriError::Escape { at: 9 }),
            ("https://exa mple.org", UriError::Character { at: 11, found: ' ', part: "host" }),
            ("https://example.org:80a", UriError::Character { at: 22, found: 'a', part: "port" }),
            ("https://[::1/", UriError::UnclosedIpLiteral),
            ("https://[::1]x/", UriError::Character { at: 13, found: 'x', part: "authority" }),
            ("https://a@b@c", UriError::Character { at: 11, found: '@', part: "host" }),
            ("https://example.org/a b", UriError::Character { at: 21, found: ' ', part: "path" }),
            ("https://example.org/a[1]", UriError::Character { at: 21, found: '[', part: "path" }),
            ("https://example.org/?q=1#a#b", UriError::Character { at: 26, found: '#', part: "fragment" }),
            ("did:web:é.example", UriError::Character { at: 8, found: 'é', part: "path" }),
            ("did:web:x\n", UriError::Character { at: 9, found: '\n', part: "path" }),
        ];
        for (text, expected) in cases {
            assert_eq!(check(text), Err(expected), "{text}");
        }
        assert_eq!(
            check("did:web:not a uri").unwrap_err().to_string(),
            "character U+0020 at byte 11 is not allowed in the path"
        );
        assert_eq!(check("a:b[").unwrap_err().to_string(), "`[` at byte 3 is not allowed in the path");
    }
}
