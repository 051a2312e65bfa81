//! The shared-secret signature of a webhook delivery: what the node computes for each attempt and what a receiver
//! recomputes to know that the request came from the node it shares the secret with, recently.
//!
//! The signed material is the attempt's timestamp (Unix seconds, ASCII decimal), `.`, the event's sequence (ASCII
//! decimal), `.`, and the request body byte for byte; the signature is the HMAC-SHA256 of it under the secret, sent
//! as `v1=` and 64 lowercase hex digits. The timestamp lets a receiver refuse replays older than it tolerates; the
//! sequence ties the idempotency key to the body. The header names are in [`crate::wire`].
//!
//! Pure: the caller reads the clock and the secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The version prefix of the signature header's value; another construction would get another one.
pub const SIGNATURE_VERSION: &str = "v1";

/// The bytes the HMAC covers: `timestamp.sequence.body`.
pub fn signed_material(timestamp: u64, sequence: u64, body: &[u8]) -> Vec<u8> {
    let mut material = format!("{timestamp}.{sequence}.").into_bytes();
    material.extend_from_slice(body);
    material
}

/// The value of the signature header for one attempt: `v1=<hex HMAC-SHA256(secret, signed material)>`.
pub fn signature(secret: &[u8], timestamp: u64, sequence: u64, body: &[u8]) -> String {
    // HMAC accepts keys of any length (longer ones are hashed first), so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(&signed_material(timestamp, sequence, body));
    format!("{SIGNATURE_VERSION}={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected value was computed outside this code, with
    /// `printf '1700000000.7.{"sequence":7}' | openssl dgst -sha256 -hmac a-shared-secret-of-32-characters`.
    #[test]
    fn matches_an_independent_computation() {
        let value = signature(b"a-shared-secret-of-32-characters", 1_700_000_000, 7, br#"{"sequence":7}"#);
        assert_eq!(value, "v1=99bebd440b4898706b3dc4121d85c49775a47b98556d2330d3042436db8206d8");
    }

    #[test]
    fn every_part_of_the_material_counts() {
        let base = signature(b"secret", 1, 2, b"{}");
        assert_ne!(base, signature(b"secret!", 1, 2, b"{}"));
        assert_ne!(base, signature(b"secret", 10, 2, b"{}"));
        assert_ne!(base, signature(b"secret", 1, 3, b"{}"));
        assert_ne!(base, signature(b"secret", 1, 2, b"{ }"));
        // The separators keep `1.23` and `12.3` apart.
        assert_ne!(signature(b"s", 1, 23, b""), signature(b"s", 12, 3, b""));
    }
}
