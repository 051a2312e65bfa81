//! `did.jsonl` read into entries: one strict JSON object per line (no member name repeated at any depth), each with
//! exactly `versionId`, `versionTime`, `parameters`, `state` and `proof`, within the caller's [`Limits`]. Parsing
//! checks shapes only; [`Log::verify`] checks what they mean.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{LogError, Rule};
use crate::verify::{self, Verification};

/// Bounds on what a log may hold, set by the caller (a resolver's configuration). The witness file is held to the
/// same byte bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most entries (lines) a log may have.
    pub max_entries: usize,
    /// The most bytes `did.jsonl` (or `did-witness.json`) may have.
    pub max_bytes: usize,
}

/// One parsed log entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The 1-based line.
    pub line: u64,
    /// The entry without `proof`: what its hash and its proof cover.
    pub body: Map<String, Value>,
    /// The `proof` array.
    pub proofs: Vec<Value>,
}

impl Entry {
    pub(crate) fn text(&self, name: &str) -> &str {
        self.body.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    pub(crate) fn object(&self, name: &str) -> Option<&Map<String, Value>> {
        self.body.get(name).and_then(Value::as_object)
    }
}

/// A parsed, not yet verified, did:webvh log.
#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    pub(crate) entries: Vec<Entry>,
    pub(crate) limits: Limits,
}

/// The members of a log entry, in the order the specification lists them.
const MEMBERS: [&str; 5] = ["versionId", "versionTime", "parameters", "state", "proof"];

impl Log {
    /// Parses the bytes of `did.jsonl`. Refused, naming the line: more than `limits` allow, an empty log or an
    /// empty line before the end, a line that is not one JSON object, a repeated member name, a missing or unknown
    /// member, or a member of the wrong type.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Log, LogError> {
        if bytes.len() > limits.max_bytes {
            return Err(LogError::whole(
                Rule::TooLarge,
                format!("did.jsonl has {} bytes, more than the limit of {}", bytes.len(), limits.max_bytes),
            ));
        }
        let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        if text.is_empty() {
            return Err(LogError::whole(Rule::TooLarge, "did.jsonl is empty"));
        }
        let mut entries = Vec::new();
        for (index, line) in text.split(|byte| *byte == b'\n').enumerate() {
            let number = index as u64 + 1;
            if entries.len() == limits.max_entries {
                return Err(LogError::at(
                    number,
                    Rule::TooLarge,
                    format!("did.jsonl has more than {} entries", limits.max_entries),
                ));
            }
            entries.push(parse_entry(number, line.strip_suffix(b"\r").unwrap_or(line))?);
        }
        Ok(Log { entries, limits: *limits })
    }

    /// True when some entry configures witnesses: the caller must then fetch `did-witness.json` and pass it to
    /// [`Log::verify`].
    pub fn needs_witness_proofs(&self) -> bool {
        self.entries.iter().any(|entry| {
            let witness = entry.object("parameters").and_then(|parameters| parameters.get("witness"));
            witness.and_then(Value::as_object).is_some_and(|witness| !witness.is_empty())
        })
    }

    /// Verifies every entry, in order (see the crate documentation for the rules), and the witness proofs, for the
    /// DID `did` (which some entry's `state.id` must equal) as of `now`. The result holds the longest valid prefix
    /// and the first failure.
    pub fn verify(self, did: &str, witness_proofs: Option<&[u8]>, now: OffsetDateTime) -> Verification {
        verify::verify(self, did, witness_proofs, now)
    }
}

fn parse_entry(line: u64, bytes: &[u8]) -> Result<Entry, LogError> {
    let fail = |rule: Rule, detail: String| LogError::at(line, rule, detail);
    if bytes.is_empty() {
        return Err(fail(Rule::Json, "the line is empty".to_owned()));
    }
    let value = trustnode_did::strict_json::from_slice(bytes).map_err(|error| match error.is_data() {
        true => fail(Rule::Json, format!("the entry {error}")),
        false => fail(Rule::Json, format!("not JSON: {error}")),
    })?;
    let Value::Object(mut body) = value else { return Err(fail(Rule::Json, "not a JSON object".to_owned())) };
    if let Some(unknown) = body.keys().find(|name| !MEMBERS.contains(&name.as_str())) {
        return Err(fail(Rule::Json, format!("unknown member {unknown:?}")));
    }
    for (name, valid) in [
        ("versionId", Value::is_string as fn(&Value) -> bool),
        ("versionTime", Value::is_string),
        ("parameters", Value::is_object),
        ("state", Value::is_object),
    ] {
        match body.get(name) {
            Some(value) if valid(value) => {}
            Some(_) => return Err(fail(Rule::Json, format!("{name} has the wrong type"))),
            None => return Err(fail(Rule::Json, format!("{name} is missing"))),
        }
    }
    let proofs = match body.remove("proof") {
        Some(Value::Array(proofs)) if !proofs.is_empty() => proofs,
        Some(_) => return Err(fail(Rule::Proof, "proof must be a non-empty array of proofs".to_owned())),
        None => return Err(fail(Rule::Proof, "the entry has no proof".to_owned())),
    };
    Ok(Entry { line, body, proofs })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_entries: 3, max_bytes: 4096 };

    fn line(extra: &str) -> String {
        format!(r#"{{"versionId":"1-x","versionTime":"t","parameters":{{}},"state":{{}},"proof":[{{}}]{extra}}}"#)
    }

    #[test]
    fn shapes_are_checked_and_errors_name_the_line() {
        let good = line("");
        let log = Log::parse(format!("{good}\n{good}\n").as_bytes(), &LIMITS).unwrap();
        assert_eq!(log.entries.len(), 2);
        for (text, rule, entry, detail) in [
            (format!("{good}\n{}", line(r#","extra":1"#)), Rule::Json, Some(2), "unknown member \"extra\""),
            (format!("{good}\n\n{good}"), Rule::Json, Some(2), "empty"),
            (format!("{good}\n[1]"), Rule::Json, Some(2), "not a JSON object"),
            (format!("{good}\n{{"), Rule::Json, Some(2), "not JSON"),
            (good.replace(r#""state":{}"#, r#""state":{"id":1,"id":2}"#), Rule::Json, Some(1), "repeats"),
            (good.replace(r#""state":{}"#, r#""state":[]"#), Rule::Json, Some(1), "state has the wrong type"),
            (good.replace(r#","proof":[{}]"#, ""), Rule::Proof, Some(1), "no proof"),
            (good.replace(r#""proof":[{}]"#, r#""proof":[]"#), Rule::Proof, Some(1), "non-empty"),
            (format!("{good}\n{good}\n{good}\n{good}"), Rule::TooLarge, Some(4), "more than 3 entries"),
            ("x".repeat(4097), Rule::TooLarge, None, "4097 bytes"),
            (String::new(), Rule::TooLarge, None, "empty"),
        ] {
            let error = Log::parse(text.as_bytes(), &LIMITS).unwrap_err();
            assert_eq!((error.rule, error.entry), (rule, entry), "{error}");
            assert!(error.to_string().contains(detail), "{error}");
        }
    }
}
