//! Request ids: kept from `X-Request-ID` when the client's is sane, otherwise generated, so one id follows a
//! request through the node's log lines and back to the client. Pure: no I/O, nothing per request but a counter.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderName, HeaderValue};

/// The request id header.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming request id kept; longer ones are replaced.
pub(crate) const MAX_REQUEST_ID_BYTES: usize = 128;

/// Generates request ids: a random per-process prefix and a counter, so ids are unique across a fleet of nodes
/// without a random draw per request.
#[derive(Debug)]
pub(crate) struct RequestIds {
    prefix: u64,
    next: AtomicU64,
}

impl RequestIds {
    /// A generator with a random prefix.
    pub fn new() -> RequestIds {
        let mut seed = [0u8; 8];
        // Without OS randomness the ids are still unique within the process; the clock keeps restarts apart.
        if rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut seed).is_err() {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            seed = (nanos.as_nanos() as u64).to_le_bytes();
        }
        RequestIds { prefix: u64::from_le_bytes(seed), next: AtomicU64::new(0) }
    }

    /// The next id: 16 hex digits of prefix, a dash, 16 hex digits of the counter.
    pub fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut text = [b'-'; 33];
        let (prefix, counter) = text.split_at_mut(16);
        write_hex(self.prefix, prefix);
        write_hex(n, counter.get_mut(1..).unwrap_or_default());
        // Hex digits and a dash are always a valid header value.
        HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("0"))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds::new()
    }
}

/// Writes `value` as lower-case hex into `out`, most significant digit first, filling all of `out` (16 bytes).
fn write_hex(value: u64, out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (index, byte) in out.iter_mut().rev().enumerate() {
        let nibble = value.checked_shr(4 * index as u32).unwrap_or(0) & 0xf;
        *byte = DIGITS.get(nibble as usize).copied().unwrap_or(b'0');
    }
}

/// The client's request id when it is one we can log and echo safely: 1 to [`MAX_REQUEST_ID_BYTES`] bytes of
/// visible ASCII (no spaces, no control characters).
pub(crate) fn acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID_BYTES && bytes.iter().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_distinct_and_acceptable() {
        let ids = RequestIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert!(acceptable_request_id(&a) && acceptable_request_id(&b));
        assert_ne!(RequestIds::new().next(), a, "another process draws another prefix");
        let ids = RequestIds { prefix: 0x0123_4567_89ab_cdef, next: AtomicU64::new(0x2a) };
        assert_eq!(ids.next(), "0123456789abcdef-000000000000002a");
        assert_eq!(ids.next(), "0123456789abcdef-000000000000002b");
    }

    #[test]
    fn only_short_visible_ascii_ids_are_kept() {
        let accepts = |text: &str| acceptable_request_id(&HeaderValue::from_str(text).unwrap());
        assert!(accepts("abc-123_XYZ.~"));
        assert!(accepts(&"a".repeat(MAX_REQUEST_ID_BYTES)));
        assert!(!accepts(&"a".repeat(MAX_REQUEST_ID_BYTES + 1)));
        assert!(!accepts(""));
        assert!(!accepts("two words"));
        assert!(!accepts("tab\there"));
        assert!(!acceptable_request_id(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()));
    }
}
