//! The status list credential's subject (`BitstringStatusList` / `StatusList2021`) and the decoding of its
//! `encodedList` into bits. The list credential's proofs are not verified here: the caller does that first.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::Value;

use super::gzip::{self, GzipError};
use super::{ErrorKind, Format, StatusError};

/// StatusList2021 only says "base64"; lists in the wild use either alphabet, with or without padding.
const PADDING_OPTIONAL: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, PADDING_OPTIONAL);
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, PADDING_OPTIONAL);

/// The subject of a status list credential, as far as checking an entry needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    /// `BitstringStatusList` or `StatusList2021`.
    pub format: Format,
    /// `statusPurpose`, a string or an array of strings in the credential.
    pub purposes: Vec<String>,
    /// `encodedList`, still compressed and encoded.
    pub encoded_list: String,
    /// `ttl`: how long, in milliseconds, the list may be used before it should be fetched again.
    pub ttl_ms: Option<u64>,
}

impl StatusList {
    /// Reads the list from a status list credential: its `type` must name the list credential type and its
    /// `credentialSubject` must be the matching list (else [`ErrorKind::StatusVerification`]).
    pub fn from_credential(credential: &Value) -> Result<StatusList, StatusError> {
        let not_a_list = |why: String| {
            StatusError::new(ErrorKind::StatusVerification, format!("not a status list credential: {why}"))
        };
        let format = if has_type(credential, "BitstringStatusListCredential") {
            Format::Bitstring
        } else if has_type(credential, "StatusList2021Credential") {
            Format::StatusList2021
        } else {
            return Err(not_a_list(
                "type includes neither BitstringStatusListCredential nor StatusList2021Credential".to_owned(),
            ));
        };
        let subject_type = match format {
            Format::Bitstring => "BitstringStatusList",
            Format::StatusList2021 => "StatusList2021",
        };
        let subject = credential
            .get("credentialSubject")
            .filter(|subject| subject.is_object())
            .ok_or_else(|| StatusError::malformed("credentialSubject of a status list must be an object"))?;
        if !has_type(subject, subject_type) {
            return Err(not_a_list(format!("credentialSubject.type is not {subject_type}")));
        }
        let purposes = match subject.get("statusPurpose") {
            Some(Value::String(purpose)) => vec![purpose.clone()],
            Some(Value::Array(purposes)) if !purposes.is_empty() => purposes
                .iter()
                .map(|purpose| purpose.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| StatusError::malformed("credentialSubject.statusPurpose must hold only strings"))?,
            _ => {
                return Err(StatusError::malformed(
                    "credentialSubject.statusPurpose must be a string or a non-empty array of strings",
                ))
            }
        };
        let encoded_list = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or_else(|| StatusError::malformed("credentialSubject.encodedList must be a string"))?
            .to_owned();
        let ttl_ms = match subject.get("ttl") {
            None => None,
            Some(ttl) if format == Format::Bitstring => Some(ttl.as_u64().ok_or_else(|| {
                StatusError::malformed("credentialSubject.ttl must be a non-negative integer of milliseconds")
            })?),
            Some(_) => return Err(StatusError::malformed("credentialSubject.ttl is not defined for StatusList2021")),
        };
        Ok(StatusList { format, purposes, encoded_list, ttl_ms })
    }
}

/// True when `value.type` is `name` or an array containing it.
fn has_type(value: &Value, name: &str) -> bool {
    match value.get("type") {
        Some(Value::String(one)) => one == name,
        Some(Value::Array(many)) => many.iter().any(|one| one.as_str() == Some(name)),
        _ => false,
    }
}

/// A decoded list: bit 0 is the most significant bit of byte 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl Bitstring {
    /// Decodes an `encodedList` of `format`, refusing (without inflating it all) a list over `max_inflated_bytes`.
    pub fn decode(format: Format, encoded: &str, max_inflated_bytes: usize) -> Result<Bitstring, StatusError> {
        let compressed = match format {
            Format::Bitstring => {
                let body = encoded.strip_prefix('u').ok_or_else(|| {
                    StatusError::malformed("encodedList must start with the multibase prefix 'u' (base64url)")
                })?;
                URL_SAFE_NO_PAD
                    .decode(body)
                    .map_err(|e| StatusError::malformed(format!("encodedList is not base64url without padding: {e}")))?
            }
            Format::StatusList2021 => {
                let url_safe = encoded.contains(['-', '_']);
                let engine = if url_safe { &URL_SAFE_ANY_PADDING } else { &STANDARD_ANY_PADDING };
                engine.decode(encoded).map_err(|e| StatusError::malformed(format!("encodedList is not base64: {e}")))?
            }
        };
        let bytes = gzip::inflate(&compressed, max_inflated_bytes).map_err(|e| match e {
            GzipError::Malformed(why) => StatusError::malformed(format!("encodedList is not valid GZIP: {why}")),
            GzipError::TooLarge { limit, declared: Some(declared) } => StatusError::new(
                ErrorKind::StatusRetrieval,
                format!("encodedList declares {declared} inflated bytes, more than the limit of {limit}"),
            ),
            GzipError::TooLarge { limit, declared: None } => StatusError::new(
                ErrorKind::StatusRetrieval,
                format!("encodedList inflates to more than the limit of {limit} bytes"),
            ),
        })?;
        Ok(Bitstring { bytes })
    }

    /// The number of bits in the list.
    pub fn len_bits(&self) -> u64 {
        self.bytes.len() as u64 * 8
    }

    /// The `size`-bit value of entry `index`, most significant bit first; [`ErrorKind::Range`] past the end.
    pub fn entry(&self, index: u64, size: u8) -> Result<u64, StatusError> {
        let start = u128::from(index) * u128::from(size);
        let end = start + u128::from(size);
        if size == 0 || size > 64 || end > u128::from(self.len_bits()) {
            return Err(StatusError::new(
                ErrorKind::Range,
                format!("statusListIndex {index} of size {size} lies outside the list of {} bits", self.len_bits()),
            ));
        }
        // In range, so every bit position fits in a usize (the bytes are in memory).
        Ok((start as usize..end as usize)
            .fold(0, |value, bit| value << 1 | u64::from(self.bytes[bit / 8] >> (7 - bit % 8) & 1)))
    }
}
