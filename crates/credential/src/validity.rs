//! The validity window of a credential, checked at an instant the caller gives (the node reads the clock), with a
//! tolerance for clocks that disagree. The outcome says which bound failed and by how much, so a report can explain
//! it. Only the window: proofs, status and issuer trust are checked elsewhere. No I/O here.

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::model::Credential;

/// Where an instant falls in a credential's validity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Within the window, tolerance included (an absent bound does not limit it).
    InForce,
    /// Before the window opens, even with the tolerance.
    NotYetValid {
        /// `validFrom` / `issuanceDate`.
        valid_from: OffsetDateTime,
        /// The instant checked.
        at: OffsetDateTime,
    },
    /// After the window closed, even with the tolerance.
    Expired {
        /// `validUntil` / `expirationDate`.
        valid_until: OffsetDateTime,
        /// The instant checked.
        at: OffsetDateTime,
    },
}

impl Validity {
    /// Whether the credential is in force at the checked instant.
    pub fn is_in_force(&self) -> bool {
        matches!(self, Validity::InForce)
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validity::InForce => f.write_str("the credential is within its validity window"),
            Validity::NotYetValid { valid_from, at } => {
                write!(f, "the credential is valid only from {valid_from}, {} after {at}", *valid_from - *at)
            }
            Validity::Expired { valid_until, at } => {
                write!(f, "the credential expired at {valid_until}, {} before {at}", *at - *valid_until)
            }
        }
    }
}

/// Checks `credential`'s validity window at `at`, accepting bounds missed by at most `tolerance` (its magnitude: a
/// negative tolerance counts as positive). Both bounds are inclusive.
pub fn check(credential: &Credential, at: OffsetDateTime, tolerance: Duration) -> Validity {
    let tolerance = tolerance.abs();
    // An instant plus a tolerance beyond the representable years is past every bound, so it cannot be too early;
    // likewise on the other side.
    let latest = at.checked_add(tolerance);
    let earliest = at.checked_sub(tolerance);
    if let Some(valid_from) = credential.valid_from() {
        if latest.is_some_and(|latest| latest < valid_from) {
            return Validity::NotYetValid { valid_from, at };
        }
    }
    if let Some(valid_until) = credential.valid_until() {
        if earliest.is_some_and(|earliest| earliest > valid_until) {
            return Validity::Expired { valid_until, at };
        }
    }
    Validity::InForce
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    fn window(from: &str, until: &str) -> Credential {
        Credential::parse(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "validFrom": from,
            "validUntil": until,
        }))
        .unwrap()
    }

    #[test]
    fn the_window_is_checked_with_the_tolerance_on_both_bounds() {
        let credential = window("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z");
        let skew = Duration::minutes(5);
        assert!(check(&credential, datetime!(2026-06-01 00:00 UTC), skew).is_in_force());
        assert!(check(&credential, datetime!(2025-12-31 23:56 UTC), skew).is_in_force(), "early, within skew");
        assert!(check(&credential, datetime!(2027-01-01 00:04 UTC), skew).is_in_force(), "late, within skew");
        assert!(check(&credential, datetime!(2025-12-31 23:56 UTC), -skew).is_in_force(), "magnitude only");

        let early = check(&credential, datetime!(2025-12-31 23:50 UTC), skew);
        assert_eq!(
            early,
            Validity::NotYetValid { valid_from: datetime!(2026-01-01 00:00 UTC), at: datetime!(2025-12-31 23:50 UTC) }
        );
        assert!(early.to_string().contains("valid only from 2026-01-01 0:00:00.0 +00:00:00, 10m"), "{early}");

        let late = check(&credential, datetime!(2027-01-01 00:10 UTC), skew);
        assert!(matches!(late, Validity::Expired { .. }), "{late}");
        assert!(late.to_string().contains("expired at 2026-12-31 23:59:59.0 +00:00:00, 10m1s before"), "{late}");
    }

    #[test]
    fn absent_bounds_and_huge_tolerances_do_not_limit() {
        let open = Credential::parse(json!({
            "@context": "https://www.w3.org/ns/credentials/v2",
            "type": "VerifiableCredential",
            "issuer": "did:example:issuer",
        }))
        .unwrap();
        assert!(check(&open, datetime!(1970-01-01 00:00 UTC), Duration::ZERO).is_in_force());
        let credential = window("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
        assert!(check(&credential, datetime!(2026-06-01 00:00 UTC), Duration::MAX).is_in_force());
        assert!(check(&credential, datetime!(2026-06-01 00:00 UTC), Duration::MIN).is_in_force());
    }
}
