//! What a mirror does after one look at its upstream: the pure decisions, without I/O. Given the link of the
//! snapshot it serves and the link of the upstream's latest one, [`plan`] says whether to fetch the missing
//! sequences, stay, or refuse (the upstream is behind, or it forked); [`poll_delay`] says when to look again.
//!
//! Nothing here fetches, verifies or stores: the poller in the parent module does, and only verification decides
//! what is served.

use std::time::Duration;

use serde::Deserialize;

use trustnode_registry::model::Timestamp;
use trustnode_registry::snapshot::{Digest, SnapshotLink};

/// The next step of a mirror after the upstream offered its latest snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The upstream's latest is the snapshot already served.
    UpToDate,
    /// Fetch sequences `first..latest` one by one, then accept the latest one already in hand.
    CatchUp {
        /// The first missing sequence.
        first: u64,
    },
    /// The upstream's latest sequence is the one served, with another digest: evidence of a fork, if it is signed.
    Fork {
        /// The sequence both have.
        sequence: u64,
        /// The digest served here.
        served: Digest,
        /// The digest the upstream offers.
        offered: Digest,
    },
    /// The upstream offers an older sequence than the one served; a mirror never goes backwards.
    Behind {
        /// The sequence served here.
        served: u64,
        /// The sequence the upstream offers.
        offered: u64,
    },
}

/// Decides the step from the snapshot served (`None` before the first) and the upstream's `latest`.
pub fn plan(served: Option<SnapshotLink>, latest: SnapshotLink) -> Step {
    let Some(served) = served else { return Step::CatchUp { first: 1 } };
    match latest.sequence.cmp(&served.sequence) {
        std::cmp::Ordering::Less => Step::Behind { served: served.sequence, offered: latest.sequence },
        std::cmp::Ordering::Equal if latest.digest == served.digest => Step::UpToDate,
        std::cmp::Ordering::Equal => {
            Step::Fork { sequence: served.sequence, served: served.digest, offered: latest.digest }
        }
        std::cmp::Ordering::Greater => Step::CatchUp { first: served.sequence.saturating_add(1) },
    }
}

/// The `sequence` member alone, read without building the statements.
#[derive(Deserialize)]
struct SequenceOnly {
    sequence: u64,
}

/// The link (sequence and digest) of offered snapshot bytes, before anything else is checked: enough to plan.
pub(crate) fn offered_link(bytes: &[u8]) -> Result<SnapshotLink, String> {
    let offered: SequenceOnly =
        serde_json::from_slice(bytes).map_err(|error| format!("the upstream's latest snapshot is not one: {error}"))?;
    Ok(SnapshotLink { digest: Digest::of(bytes), sequence: offered.sequence })
}

/// How long to wait before the next poll: the configured `interval`, or less when the served snapshot's
/// `next_update` falls sooner. A `next_update` already past counts as not set, so the poller never spins.
pub fn poll_delay(now: Timestamp, next_update: Option<Timestamp>, interval: Duration) -> Duration {
    let until_due = next_update
        .map(|due| due.unix_seconds().saturating_sub(now.unix_seconds()))
        .and_then(|seconds| u64::try_from(seconds).ok())
        .filter(|seconds| *seconds > 0)
        .map(Duration::from_secs);
    until_due.map_or(interval, |until_due| until_due.min(interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(sequence: u64, content: &[u8]) -> SnapshotLink {
        SnapshotLink { digest: Digest::of(content), sequence }
    }

    #[test]
    fn catches_up_from_the_first_missing_sequence() {
        assert_eq!(plan(None, link(5, b"e")), Step::CatchUp { first: 1 });
        assert_eq!(plan(Some(link(2, b"b")), link(5, b"e")), Step::CatchUp { first: 3 });
        assert_eq!(plan(Some(link(2, b"b")), link(2, b"b")), Step::UpToDate);
    }

    #[test]
    fn never_goes_backwards_and_names_a_fork() {
        assert_eq!(plan(Some(link(4, b"d")), link(3, b"c")), Step::Behind { served: 4, offered: 3 });
        let fork = plan(Some(link(4, b"d")), link(4, b"D"));
        assert_eq!(fork, Step::Fork { sequence: 4, served: Digest::of(b"d"), offered: Digest::of(b"D") });
    }

    #[test]
    fn reads_the_offered_sequence_and_digests_the_exact_bytes() {
        let bytes = br#"{"authority_id":"did:key:z","sequence":7}"#;
        assert_eq!(offered_link(bytes), Ok(link(7, bytes)));
        assert!(offered_link(b"<html>").unwrap_err().contains("not one"));
        assert!(offered_link(br#"{"sequence":-1}"#).is_err());
    }

    #[test]
    fn polls_sooner_when_the_next_update_falls_before_the_interval() {
        let now = Timestamp::from_unix_seconds(1_000).unwrap();
        let at = |seconds| Timestamp::from_unix_seconds(seconds);
        let minute = Duration::from_secs(60);
        assert_eq!(poll_delay(now, at(1_010), minute), Duration::from_secs(10));
        assert_eq!(poll_delay(now, at(5_000), minute), minute);
        assert_eq!(poll_delay(now, None, minute), minute);
        assert_eq!(poll_delay(now, at(900), minute), minute, "already past: the interval, not a spin");
        assert_eq!(poll_delay(now, at(1_000), Duration::from_millis(300)), Duration::from_millis(300));
    }
}
