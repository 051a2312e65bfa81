//! The pure did:webvh core of trustnode: from the bytes of a `did.jsonl` (and of its `did-witness.json`) to a
//! verified version history, and version queries over it. did:webvh is "did:web + verifiable history" (DIF, v1.0;
//! v0.5 logs are read too, see [`SUPPORTED_VERSIONS`]).
//!
//! - [`locate`] maps the method-specific identifier to the log's URL (did:web's host and path rules, the SCID
//!   segment, the port separator as uppercase `%3A` exactly once); any violation is INVALID_DID.
//! - [`Log::parse`] reads the lines (strict JSON, bounded by [`Limits`]); [`Log::verify`] checks every entry in
//!   order — the SCID, `versionId` numbering and the entry-hash chain, `versionTime` strictly increasing and at
//!   most [`FUTURE_TOLERANCE`] ahead of the caller's clock, the parameters' types and allowed values, the method
//!   version (never downwards), the proof (exactly `eddsa-jcs-2022` / `assertionMethod`, by a key verbatim in the
//!   *active* `updateKeys`, the `did:key` body and fragment identical), pre-rotation (`nextKeyHashes`: the next
//!   entry restates `updateKeys` and `nextKeyHashes`, every key committed), deactivation (nothing after it),
//!   portability (a move only with `portable: true` from the first entry, the old DID in `alsoKnownAs`), every
//!   `state.id` a did:webvh DID with the log's SCID — and then the witness proofs: an entry needs the list in force
//!   before it (a list replacing `{}` applies to its own entry), approved by distinct witnesses for that entry or a
//!   later one of this log (a witness id may also be written as a bare Multikey, as didwebvh-rs does). At least one
//!   verified `state.id` must be the DID asked for.
//! - [`History::select`] answers `Latest`, `versionId`, `versionTime` and `versionNumber` queries with the document
//!   and its metadata.
//!
//! Behaviour this crate decides (also in `docs/did-webvh.md`, with the differences from other implementations):
//! - **Invalid tail.** Verification stops at the first failing entry; [`Verification`] holds the valid prefix *and*
//!   that failure. `Latest` is refused with the failure (a verifier must not silently get an old key), and so is a
//!   `versionTime` at or after the last valid version or a `versionId`/`versionNumber` outside the prefix; an
//!   explicit query naming a version in the prefix still resolves (the specification allows it). An entry that is
//!   not witnessed ends the prefix just before it; an entry that failed its own checks stays the failure reported
//!   even when it leaves earlier entries unwitnessed.
//! - **Implicit services.** Every version's document gets `<did>#files` (`relativeRef`, the log's directory without
//!   `.well-known/`, ending in `/`) and `<did>#whois` (`LinkedVerifiablePresentation`, `whois.vp` there) unless it
//!   defines a service with that id (relative or absolute). Absolute ids, like every other id in the documents.
//! - **Versions.** `versionTime` selects the version in force then: the last whose `versionTime` is not after it;
//!   before the first, NOT_FOUND. A deactivating version has no document; earlier versions keep theirs and report
//!   `deactivated: true` when the DID is deactivated now.
//! - **`null` parameters** mean the default in v0.5 logs and are refused (`parameters`) in v1.0 logs, which forbid
//!   them.
//! - **Multiple proofs on an entry** must all verify; none is skipped.
//!
//! Nothing here performs I/O or reads a clock: the caller fetches the files and passes `now`. Feature `author`
//! (off by default) adds `LogBuilder`, which creates and signs logs for tests and benchmarks.

mod error;
mod hash;
mod history;
mod location;
mod log;
mod parameters;
mod proof;
mod verify;
mod witness;

#[cfg(feature = "author")]
pub mod author;

pub use error::{LogError, Rule};
pub use hash::key_hash;
pub use history::{History, MethodKey, Version, VersionQuery, VersionSummary};
pub use location::{locate, Location};
pub use log::{Limits, Log};
pub use verify::Verification;

/// The did:webvh specification versions whose logs this crate verifies (the `method` parameter's `did:webvh:<v>`).
pub const SUPPORTED_VERSIONS: [&str; 2] = ["1.0", "0.5"];

/// How far after the verifier's clock a `versionTime` may be (publisher clock skew); later is `future-time`.
pub const FUTURE_TOLERANCE: time::Duration = time::Duration::minutes(5);
