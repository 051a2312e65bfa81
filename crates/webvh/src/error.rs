//! Why a did:webvh log was refused: [`LogError`] names the entry (its line in `did.jsonl`, which is also its
//! version number in a valid log) and the [`Rule`] it broke, with a detail for people.
//!
//! Every failure of parsing or verification ends here; the resolver maps it to INVALID_DID_DOCUMENT through the
//! `From` impl. Nothing here performs I/O.

use std::fmt;

use trustnode_did::error::{invalid_did_document, ResolutionError};

/// The rule of the did:webvh specification a log broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A line is not JSON, repeats a member name, or is not a log entry (`did.jsonl`), or `did-witness.json` is
    /// not the witness-proof file.
    Json,
    /// The log or the witness file is larger than the caller's [`crate::Limits`], or empty.
    TooLarge,
    /// The first entry's `scid` is not the hash of that entry, or the DID names another SCID.
    Scid,
    /// The hash after the dash of `versionId` is not the entry's hash chained to the previous `versionId`.
    EntryHash,
    /// `versionId` is not `<n>-<hash>` with n = the entry's position (1, 2, 3… with no gap).
    VersionNumber,
    /// `versionTime` is not a UTC timestamp later than the previous entry's.
    VersionTime,
    /// `versionTime` is more than [`crate::FUTURE_TOLERANCE`] after the verifier's clock.
    FutureTime,
    /// A parameter is unknown, of the wrong type, out of its allowed values, missing where required, or present
    /// where forbidden.
    Parameters,
    /// `method` is not a supported did:webvh version, or moves down.
    MethodVersion,
    /// The entry's Data Integrity proof is missing, malformed, of another cryptosuite or purpose, or its signature
    /// does not verify.
    Proof,
    /// The proof was made with a key that is not in the active `updateKeys`.
    UnauthorizedKey,
    /// Pre-rotation is on and the entry does not restate `updateKeys` and `nextKeyHashes`, or a key's hash was not
    /// committed in the previous entry's `nextKeyHashes`.
    PreRotation,
    /// Fewer distinct active witnesses than the threshold approved the entry (or a later one).
    WitnessThreshold,
    /// `state` is not a DID document whose `id` is a did:webvh DID with the log's SCID, or the log never names the
    /// DID that was asked for.
    StateId,
    /// An entry follows one that deactivated the DID.
    DeactivatedUpdate,
    /// The DID moved without `portable: true` from the first entry, `portable: true` appears after the first entry,
    /// or a moved document does not list its previous DID in `alsoKnownAs`.
    Portable,
}

impl Rule {
    /// The rule's short name, as it appears in messages: `entry-hash`, `pre-rotation`…
    pub fn name(self) -> &'static str {
        match self {
            Rule::Json => "json",
            Rule::TooLarge => "too-large",
            Rule::Scid => "scid",
            Rule::EntryHash => "entry-hash",
            Rule::VersionNumber => "version-number",
            Rule::VersionTime => "version-time",
            Rule::FutureTime => "future-time",
            Rule::Parameters => "parameters",
            Rule::MethodVersion => "method-version",
            Rule::Proof => "proof",
            Rule::UnauthorizedKey => "unauthorized-key",
            Rule::PreRotation => "pre-rotation",
            Rule::WitnessThreshold => "witness-threshold",
            Rule::StateId => "state-id",
            Rule::DeactivatedUpdate => "deactivated-update",
            Rule::Portable => "portable",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A refused log: which entry, which rule, and what exactly was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError {
    /// The 1-based line of `did.jsonl` the failure is about (the entry's version number in a valid log); `None`
    /// when it is about the whole log or the witness file.
    pub entry: Option<u64>,
    /// The rule that was broken.
    pub rule: Rule,
    /// What exactly was wrong, for people.
    pub detail: String,
}

impl LogError {
    /// A failure of the entry on line `entry` (1-based).
    pub(crate) fn at(entry: u64, rule: Rule, detail: impl Into<String>) -> LogError {
        LogError { entry: Some(entry), rule, detail: detail.into() }
    }

    /// A failure of the whole log or of the witness file.
    pub(crate) fn whole(rule: Rule, detail: impl Into<String>) -> LogError {
        LogError { entry: None, rule, detail: detail.into() }
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entry {
            Some(entry) => write!(f, "did:webvh log entry {entry}: {}: {}", self.rule, self.detail),
            None => write!(f, "did:webvh log: {}: {}", self.rule, self.detail),
        }
    }
}

impl std::error::Error for LogError {}

/// A log that fails verification is a fetched document that cannot stand for the DID: INVALID_DID_DOCUMENT, with
/// the entry and the rule in the detail.
impl From<LogError> for ResolutionError {
    fn from(error: LogError) -> ResolutionError {
        invalid_did_document(error.to_string())
    }
}
