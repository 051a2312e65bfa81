//! Reading a credential's `credentialStatus`: one entry object or an array of them, each a
//! `BitstringStatusListEntry` or a `StatusList2021Entry`. Only the shape is checked here; the list is read elsewhere.

use serde_json::{Map, Value};

use super::{Format, StatusError};

/// The largest `statusSize` accepted: 2^size messages must be listed, so larger sizes cannot be honoured anyway.
const MAX_STATUS_SIZE: u8 = 16;

/// One `credentialStatus` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// Which specification the entry's `type` names.
    pub format: Format,
    /// `statusPurpose`: `revocation`, `suspension`, `refresh`, `message` or another (StatusList2021: the first two).
    pub purpose: String,
    /// `statusListIndex`, given as a base-10 string.
    pub index: u64,
    /// `statusListCredential`: the URL of the list credential.
    pub list_credential: String,
    /// `statusSize`: bits per entry, 1 unless stated.
    pub size: u8,
    /// `statusMessage`: one message per possible value when `size` > 1 (optional at size 1).
    pub messages: Vec<StatusMessage>,
}

/// One `statusMessage` item: the text for one status value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// The value, given as a `0x…` hexadecimal string.
    pub status: u64,
    /// What the value means.
    pub message: String,
}

/// Parses `credentialStatus` (an object or a non-empty array of objects); the first bad entry is the error.
pub fn parse_entries(credential_status: &Value) -> Result<Vec<StatusEntry>, StatusError> {
    match credential_status {
        Value::Object(entry) => Ok(vec![parse_entry(entry, "credentialStatus")?]),
        Value::Array(entries) if !entries.is_empty() => entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let at = format!("credentialStatus[{i}]");
                entry
                    .as_object()
                    .ok_or_else(|| StatusError::malformed(format!("{at} must be an object")))
                    .and_then(|entry| parse_entry(entry, &at))
            })
            .collect(),
        _ => Err(StatusError::malformed("credentialStatus must be an object or a non-empty array of objects")),
    }
}

fn parse_entry(entry: &Map<String, Value>, at: &str) -> Result<StatusEntry, StatusError> {
    let format = match entry.get("type") {
        Some(Value::String(name)) if name == "BitstringStatusListEntry" => Format::Bitstring,
        Some(Value::String(name)) if name == "StatusList2021Entry" => Format::StatusList2021,
        Some(Value::String(name)) => {
            return Err(StatusError::malformed(format!("{at}.type {name:?} is not a supported status entry type")))
        }
        _ => return Err(StatusError::malformed(format!("{at}.type must be a string"))),
    };
    let purpose = string(entry, at, "statusPurpose")?;
    if format == Format::StatusList2021 && purpose != "revocation" && purpose != "suspension" {
        return Err(StatusError::malformed(format!(
            "{at}.statusPurpose {purpose:?}: a StatusList2021Entry is for revocation or suspension"
        )));
    }
    let index = parse_index(entry, at)?;
    let list_credential = string(entry, at, "statusListCredential")?;
    if url::Url::parse(&list_credential).is_err() {
        return Err(StatusError::malformed(format!("{at}.statusListCredential must be an absolute URL")));
    }
    if entry.get("id").and_then(Value::as_str) == Some(list_credential.as_str()) {
        return Err(StatusError::malformed(format!("{at}.id must not be the statusListCredential URL")));
    }
    let size = match (format, entry.get("statusSize")) {
        (_, None) => 1,
        (Format::StatusList2021, Some(_)) => {
            return Err(StatusError::malformed(format!("{at}.statusSize is not defined for a StatusList2021Entry")))
        }
        (Format::Bitstring, Some(size)) => match size.as_u64() {
            Some(size @ 1..) if size <= u64::from(MAX_STATUS_SIZE) => size as u8,
            _ => {
                return Err(StatusError::malformed(format!(
                    "{at}.statusSize must be an integer from 1 to {MAX_STATUS_SIZE}, got {size}"
                )))
            }
        },
    };
    let messages = match entry.get("statusMessage") {
        None if size > 1 => {
            return Err(StatusError::malformed(format!("{at}.statusMessage is required when statusSize is {size}")))
        }
        None => Vec::new(),
        Some(messages) => parse_messages(messages, size, at)?,
    };
    Ok(StatusEntry { format, purpose, index, list_credential, size, messages })
}

fn string(entry: &Map<String, Value>, at: &str, name: &str) -> Result<String, StatusError> {
    match entry.get(name) {
        Some(Value::String(value)) if !value.is_empty() => Ok(value.clone()),
        Some(_) => Err(StatusError::malformed(format!("{at}.{name} must be a non-empty string"))),
        None => Err(StatusError::malformed(format!("{at}.{name} is required"))),
    }
}

fn parse_index(entry: &Map<String, Value>, at: &str) -> Result<u64, StatusError> {
    let index = match entry.get("statusListIndex") {
        Some(Value::String(index)) => index,
        Some(Value::Number(_)) => {
            return Err(StatusError::malformed(format!(
                "{at}.statusListIndex must be a base-10 integer as a string, not a JSON number"
            )))
        }
        Some(_) => return Err(StatusError::malformed(format!("{at}.statusListIndex must be a string"))),
        None => return Err(StatusError::malformed(format!("{at}.statusListIndex is required"))),
    };
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StatusError::malformed(format!("{at}.statusListIndex {index:?} is not a base-10 integer")));
    }
    // Only digits, so the one failure left is overflow: such an index lies past the end of any list we accept.
    index.parse().map_err(|_| {
        StatusError::new(super::ErrorKind::Range, format!("{at}.statusListIndex {index} is beyond any list"))
    })
}

/// Parses `statusMessage`: exactly one item per value of `size` bits (2^size items), each value once.
fn parse_messages(messages: &Value, size: u8, at: &str) -> Result<Vec<StatusMessage>, StatusError> {
    let items =
        messages.as_array().ok_or_else(|| StatusError::malformed(format!("{at}.statusMessage must be an array")))?;
    let count = 1u64 << size;
    if items.len() as u64 != count {
        return Err(StatusError::malformed(format!(
            "{at}.statusMessage has {} item(s); statusSize {size} needs {count}",
            items.len()
        )));
    }
    let mut parsed: Vec<StatusMessage> = Vec::with_capacity(items.len());
    let mut seen = vec![false; items.len()];
    for (i, item) in items.iter().enumerate() {
        let item_at = format!("{at}.statusMessage[{i}]");
        let item = item.as_object().ok_or_else(|| StatusError::malformed(format!("{item_at} must be an object")))?;
        let status = string(item, &item_at, "status")?;
        let value = status
            .strip_prefix("0x")
            .filter(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .filter(|value| *value < count)
            .ok_or_else(|| {
                StatusError::malformed(format!("{item_at}.status {status:?} is not a 0x-prefixed value below {count}"))
            })?;
        if std::mem::replace(&mut seen[value as usize], true) {
            return Err(StatusError::malformed(format!("{item_at}.status {status:?} is listed twice")));
        }
        let message = string(item, &item_at, "message")?;
        parsed.push(StatusMessage { status: value, message });
    }
    Ok(parsed)
}
