//! Path parameters of the registry and federation routes: DID-valued ones (`/registries/{authority_id}/…`), which
//! may themselves contain `%3A`, so a parameter is tried percent-decoded first and as sent second; and snapshot
//! sequences, read only in their one canonical decimal form. No handler here.

use std::borrow::Cow;

use axum::extract::RawPathParams;

/// A snapshot sequence as a path segment: decimal digits without sign, whitespace or leading zeros, so that one
/// snapshot has one URL (`/snapshots/02` is no alias of `/snapshots/2`), and at least 1 (sequences start at 1, so
/// `0` names no snapshot that can exist).
pub(super) fn parse_sequence(segment: &str) -> Option<u64> {
    let canonical = segment.bytes().all(|c| c.is_ascii_digit()) && !segment.starts_with('0');
    canonical.then(|| segment.parse().ok()).flatten()
}

/// A path parameter as sent, percent-decoded first and raw second: a DID may itself contain `%3A`.
pub(super) fn path_candidates<'p>(params: &'p RawPathParams, name: &str) -> Vec<Cow<'p, str>> {
    let Some(raw) = params.iter().find(|(key, _)| *key == name).map(|(_, value)| value) else { return Vec::new() };
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    if decoded == raw {
        vec![Cow::Borrowed(raw)]
    } else {
        vec![decoded, Cow::Borrowed(raw)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_are_read_in_canonical_decimal_only() {
        for (segment, read) in
            [("1", Some(1)), ("2", Some(2)), ("10", Some(10)), ("18446744073709551615", Some(u64::MAX))]
        {
            assert_eq!(parse_sequence(segment), read, "{segment}");
        }
        for segment in ["", "0", "00", "02", "+2", "-2", " 2", "2 ", "2\t", "0x2", "2.0", "１", "18446744073709551616"]
        {
            assert_eq!(parse_sequence(segment), None, "{segment:?}");
        }
    }
}
