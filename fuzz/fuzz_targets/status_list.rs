//! Status lists: the first byte picks the format (low bit), a bit size (next four bits) and an index; the rest goes
//! to `Bitstring::decode` twice (as the text of an `encodedList`, and base64-encoded so that arbitrary bytes reach
//! the GZIP parser directly) and, when it is JSON, to `parse_entries` and `StatusList::from_credential`. Nothing
//! may panic, and a decoded list is never larger than the inflation limit.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use trustnode_credential::status::{parse_entries, Bitstring, Format, StatusList};

/// Small enough that every run stays fast, large enough for a minimum-length list of two-bit entries.
const LIMIT: usize = 64 * 1024;

fn decode(format: Format, encoded: &str, selector: u8) {
    if let Ok(bits) = Bitstring::decode(format, encoded, LIMIT) {
        assert!(bits.len_bits() <= LIMIT as u64 * 8, "inflated past the limit");
        let size = (selector >> 1 & 0x0f) + 1;
        let _ = bits.entry(u64::from(selector) * 997, size);
        let _ = bits.entry(bits.len_bits() / u64::from(size), size);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let format = if selector & 1 == 0 { Format::Bitstring } else { Format::StatusList2021 };
    let raw = match format {
        Format::Bitstring => format!("u{}", URL_SAFE_NO_PAD.encode(rest)),
        Format::StatusList2021 => URL_SAFE_NO_PAD.encode(rest),
    };
    decode(format, &raw, selector);
    let Ok(text) = std::str::from_utf8(rest) else { return };
    decode(format, text, selector);
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = parse_entries(&json);
        let _ = StatusList::from_credential(&json);
    }
});
