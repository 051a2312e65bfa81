//! Credential status lists: W3C Bitstring Status List (`BitstringStatusListEntry`) and its predecessor
//! StatusList2021 (`StatusList2021Entry`).
//!
//! [`parse_entries`] reads a credential's `credentialStatus`, [`StatusList::from_credential`] reads the subject of
//! the status list credential, and [`check`] decodes the list within [`Limits`] and reads the entry's status.
//! Fetching the list credential and verifying its proofs are the caller's job: nothing here does I/O, and every
//! bad input is a [`StatusError`] whose [`ErrorKind`] maps to the error type URL the specifications define.
//!
//! ```
//! use serde_json::json;
//! use trustnode_credential::status::{check, parse_entries, ErrorKind, Limits, StatusList};
//!
//! // The specification's example: an all-zero list of 131,072 entries.
//! let list = StatusList::from_credential(&json!({
//!     "type": ["VerifiableCredential", "BitstringStatusListCredential"],
//!     "credentialSubject": {
//!         "type": "BitstringStatusList",
//!         "statusPurpose": "revocation",
//!         "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
//!     }
//! }))?;
//! let entry = |index: &str| {
//!     parse_entries(&json!({
//!         "type": "BitstringStatusListEntry",
//!         "statusPurpose": "revocation",
//!         "statusListIndex": index,
//!         "statusListCredential": "https://example.com/credentials/status/3"
//!     }))
//! };
//! assert!(check(&entry("94567")?[0], &list, &Limits::default())?.is_valid());
//! let past_the_end = check(&entry("131072")?[0], &list, &Limits::default()).unwrap_err();
//! assert_eq!(past_the_end.kind(), ErrorKind::Range);
//! # Ok::<(), trustnode_credential::status::StatusError>(())
//! ```

mod entry;
mod gzip;
mod list;
#[cfg(test)]
mod tests;

use std::fmt;

pub use entry::{parse_entries, StatusEntry, StatusMessage};
pub use list::{Bitstring, StatusList};

/// The smallest list the specifications allow, in entries: fewer would let a verifier single out a holder.
pub const MIN_ENTRIES: u64 = 131_072;
/// The default bound on an inflated list: 16 MiB, i.e. 134,217,728 one-bit entries.
pub const DEFAULT_MAX_INFLATED_BYTES: usize = 16 * 1024 * 1024;

/// Which of the two status list specifications an entry or a list follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// W3C Bitstring Status List: `encodedList` is multibase `u` + base64url without padding of GZIP.
    Bitstring,
    /// StatusList2021: `encodedList` is base64 of GZIP with no multibase prefix.
    StatusList2021,
}

/// Bounds on decoding, so that a published list cannot make a verifier spend more than it chose to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A list that inflates to more bytes than this is refused, and inflation stops at this size.
    pub max_inflated_bytes: usize,
    /// A list with fewer entries than this is refused with [`ErrorKind::StatusListLength`].
    pub min_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_inflated_bytes: DEFAULT_MAX_INFLATED_BYTES, min_entries: MIN_ENTRIES }
    }
}

/// The error kinds of the specifications, each with its type URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A property breaks a "MUST" of the data model (VCDM 2.0 `MALFORMED_VALUE_ERROR`).
    MalformedValue,
    /// The list could not be obtained or used as delivered; here: it inflates beyond [`Limits::max_inflated_bytes`].
    StatusRetrieval,
    /// The list does not validate the entry: wrong type or purpose.
    StatusVerification,
    /// The list has fewer entries than [`Limits::min_entries`].
    StatusListLength,
    /// The entry lies outside the list (VCDM 2.0 `RANGE_ERROR`).
    Range,
}

impl ErrorKind {
    /// A short, stable snake_case name of the kind, for verdicts that machines read (the type URL's fragment).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::MalformedValue => "malformed_value_error",
            ErrorKind::StatusRetrieval => "status_retrieval_error",
            ErrorKind::StatusVerification => "status_verification_error",
            ErrorKind::StatusListLength => "status_list_length_error",
            ErrorKind::Range => "range_error",
        }
    }

    /// The error type URL: Bitstring Status List's own errors under its namespace, the two it borrows from
    /// VCDM 2.0 (`MALFORMED_VALUE_ERROR`, `RANGE_ERROR`) under the data model's.
    pub fn type_url(self) -> &'static str {
        match self {
            ErrorKind::MalformedValue => "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR",
            ErrorKind::StatusRetrieval => "https://www.w3.org/ns/credentials/status-list#STATUS_RETRIEVAL_ERROR",
            ErrorKind::StatusVerification => "https://www.w3.org/ns/credentials/status-list#STATUS_VERIFICATION_ERROR",
            ErrorKind::StatusListLength => "https://www.w3.org/ns/credentials/status-list#STATUS_LIST_LENGTH_ERROR",
            ErrorKind::Range => "https://www.w3.org/TR/vc-data-model#RANGE_ERROR",
        }
    }
}

/// Why a status entry or list was refused: a kind from the specifications and a detail naming the property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusError {
    kind: ErrorKind,
    detail: String,
}

impl StatusError {
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        StatusError { kind, detail: detail.into() }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        StatusError::new(ErrorKind::MalformedValue, detail)
    }

    /// The kind, whose [`ErrorKind::type_url`] is the problem `type`.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What was wrong, naming the property.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for StatusError {}

/// The status of one credential in one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The purpose the entry and the list share (`revocation`, `suspension`, `message`, …).
    pub purpose: String,
    /// The entry's `statusSize` bits, most significant first; 0 means the status is not set.
    pub value: u64,
    /// The `statusMessage` text for `value`, when the entry lists messages.
    pub message: Option<String>,
}

impl Status {
    /// True when the status is not set, which the specifications call valid.
    pub fn is_valid(&self) -> bool {
        self.value == 0
    }
}

/// Reads `entry`'s status in `list`: the list must be of the entry's format and purpose, decode within `limits`,
/// hold at least `limits.min_entries` entries of the entry's size, and contain the entry.
pub fn check(entry: &StatusEntry, list: &StatusList, limits: &Limits) -> Result<Status, StatusError> {
    if entry.format != list.format {
        return Err(StatusError::new(
            ErrorKind::StatusVerification,
            format!("a {:?} entry cannot be checked against a {:?} list", entry.format, list.format),
        ));
    }
    if !list.purposes.contains(&entry.purpose) {
        return Err(StatusError::new(
            ErrorKind::StatusVerification,
            format!("the list's statusPurpose {:?} does not include the entry's {:?}", list.purposes, entry.purpose),
        ));
    }
    let bits = Bitstring::decode(list.format, &list.encoded_list, limits.max_inflated_bytes)?;
    let entries = bits.len_bits() / u64::from(entry.size);
    if entries < limits.min_entries {
        return Err(StatusError::new(
            ErrorKind::StatusListLength,
            format!("the list holds {entries} entries of {} bit(s), fewer than {}", entry.size, limits.min_entries),
        ));
    }
    let value = bits.entry(entry.index, entry.size)?;
    let message = entry.messages.iter().find(|m| m.status == value).map(|m| m.message.clone());
    Ok(Status { purpose: entry.purpose.clone(), value, message })
}
