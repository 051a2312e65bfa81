//! Verification of a parsed log, entry by entry and in order, then of the witness proofs: the result is the longest
//! valid prefix as a [`History`] and the first failure. No entry is skipped, whatever version is asked for.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::error::{LogError, Rule};
use crate::hash::{entry_hash, key_hash, scid_of};
use crate::history::{History, Record};
use crate::location::{locate, Location};
use crate::log::{Entry, Log};
use crate::parameters::{self, Witnesses};
use crate::{proof, witness, FUTURE_TOLERANCE};

/// The outcome of [`Log::verify`]: the valid prefix of the log, and the first failure.
///
/// `history` is `None` when not even the first entry verified, or when no verified entry names the DID asked for;
/// `failure` is `None` when every entry verified. Both are set when the log's tail failed: explicit version queries
/// into the prefix still resolve, [`crate::VersionQuery::Latest`] answers the failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    /// The verified versions (possibly fewer than the log has).
    pub history: Option<History>,
    /// The first entry that failed its own checks or, when every entry passed them, the first entry not
    /// witnessed; `None` when the whole log verified.
    pub failure: Option<LogError>,
}

impl Verification {
    /// The history when the whole log verified, the first failure otherwise: for callers that accept nothing less
    /// than a fully valid log.
    pub fn into_result(self) -> Result<History, LogError> {
        match (self.history, self.failure) {
            (Some(history), None) => Ok(history),
            (_, Some(failure)) => Err(failure),
            (None, None) => Err(LogError::whole(Rule::StateId, "the log verified but holds no version")),
        }
    }
}

/// What verifying one entry yields for the history and for the witness check.
struct Verified {
    record: Record,
    location: Location,
}

pub(crate) fn verify(log: Log, did: &str, witness_proofs: Option<&[u8]>, now: OffsetDateTime) -> Verification {
    let mut verified: Vec<Verified> = Vec::with_capacity(log.entries.len());
    let mut failure = None;
    for entry in &log.entries {
        match verify_entry(entry, verified.last(), now) {
            Ok(next) => verified.push(next),
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    let required: Vec<Option<&Witnesses>> = verified.iter().map(|v| v.record.witnesses.as_ref()).collect();
    let version_ids: Vec<&str> = verified.iter().map(|v| v.record.version_id.as_str()).collect();
    if let Err(error) = witness::check(&required, &version_ids, witness_proofs, &log.limits) {
        // An unwitnessed entry ends the valid prefix there. When an entry failed its own checks, that stays the
        // failure reported: approvals given to entries after it cannot count, and that is why entries before it
        // may be left unwitnessed, but the cause is the failed entry.
        let cut = error.entry.map_or(0, |entry| entry as usize - 1);
        verified.truncate(cut);
        failure = failure.or(Some(error));
    }
    if !verified.iter().any(|v| v.record.document.get("id").and_then(Value::as_str) == Some(did)) {
        let never_named = LogError::whole(Rule::StateId, format!("no verified entry's state.id is {did}"));
        return Verification { history: None, failure: failure.or(Some(never_named)) };
    }
    let records = verified
        .into_iter()
        .map(|mut v| {
            add_implicit_services(&mut v.record.document, &v.location);
            v.record
        })
        .collect();
    Verification { history: Some(History { records, failure: failure.clone() }), failure }
}

fn verify_entry(entry: &Entry, previous: Option<&Verified>, now: OffsetDateTime) -> Result<Verified, LogError> {
    let line = entry.line;
    let fail = |rule: Rule, detail: String| LogError::at(line, rule, detail);
    let raw_parameters = entry.object("parameters").ok_or_else(|| fail(Rule::Json, "no parameters".to_owned()))?;

    // versionId: `<n>-<entryHash>`, n = this entry's position.
    let version_id = entry.text("versionId");
    let (number, hash) = version_id
        .split_once('-')
        .filter(|(_, hash)| !hash.contains('-'))
        .ok_or_else(|| fail(Rule::VersionNumber, format!("versionId {version_id:?} is not <number>-<hash>")))?;
    if number != line.to_string() {
        return Err(fail(Rule::VersionNumber, format!("versionId {version_id:?} should have number {line}")));
    }

    // Parameters, over those in force: first, as the method version decides how the rest is read.
    let previous_parameters = previous.map(|previous| &previous.record.parameters);
    if previous_parameters.is_some_and(|p| p.deactivated) {
        return Err(fail(Rule::DeactivatedUpdate, "the DID was deactivated by the previous entry".to_owned()));
    }
    let (parameters, stated) = parameters::apply(line, previous_parameters, raw_parameters)?;

    // The hash chain, anchored on the SCID.
    let previous_version_id = match previous {
        Some(previous) => previous.record.version_id.as_str(),
        None => {
            let scid = parameters.scid.as_str();
            let computed = scid_of(&entry.body, scid).map_err(|detail| fail(Rule::Json, detail))?;
            if computed != scid {
                return Err(fail(Rule::Scid, format!("scid {scid} is not the entry's SCID {computed}")));
            }
            scid
        }
    };
    let computed = entry_hash(&entry.body, previous_version_id).map_err(|detail| fail(Rule::Json, detail))?;
    if computed != hash {
        return Err(fail(Rule::EntryHash, format!("entry hash {hash} is not the entry's hash {computed}")));
    }

    // versionTime: UTC, strictly increasing, not in the future.
    let time_text = entry.text("versionTime");
    let version_time =
        OffsetDateTime::parse(time_text, &Rfc3339)
            .ok()
            .filter(|time| time.offset() == UtcOffset::UTC)
            .ok_or_else(|| fail(Rule::VersionTime, format!("versionTime {time_text:?} is not an RFC 3339 UTC time")))?;
    if let Some(previous) = previous {
        if version_time <= previous.record.version_time {
            return Err(fail(
                Rule::VersionTime,
                format!(
                    "versionTime {time_text} is not after the previous entry's {}",
                    previous.record.version_time_text
                ),
            ));
        }
    }
    if version_time > now + FUTURE_TOLERANCE {
        return Err(fail(Rule::FutureTime, format!("versionTime {time_text} is in the future")));
    }

    // Who may sign: with pre-rotation on, this entry's own keys, each committed to in the previous entry.
    let active_keys = match previous_parameters {
        None => &parameters.update_keys,
        Some(previous) if !previous.next_key_hashes.is_empty() => {
            if !stated.update_keys || !stated.next_key_hashes {
                return Err(fail(
                    Rule::PreRotation,
                    "with pre-rotation on, the entry must state both updateKeys and nextKeyHashes".to_owned(),
                ));
            }
            if let Some(key) =
                parameters.update_keys.iter().find(|key| !previous.next_key_hashes.contains(&key_hash(key)))
            {
                return Err(fail(Rule::PreRotation, format!("{key} was not committed in the previous nextKeyHashes")));
            }
            &parameters.update_keys
        }
        Some(previous) => &previous.update_keys,
    };
    let document = Value::Object(entry.body.clone());
    for proof in &entry.proofs {
        proof::check(proof, &document, |key| active_keys.iter().any(|active| active == key))
            .map_err(|(rule, detail)| fail(rule, detail))?;
    }

    // The state: a document of a did:webvh DID with the log's SCID; it moves only when portable.
    let state = entry.object("state").ok_or_else(|| fail(Rule::Json, "no state".to_owned()))?;
    let id = state.get("id").and_then(Value::as_str).unwrap_or_default();
    let location = id
        .strip_prefix("did:webvh:")
        .ok_or_else(|| fail(Rule::StateId, format!("state.id {id:?} is not a did:webvh DID")))
        .and_then(|msid| {
            locate(msid).map_err(|error| fail(Rule::StateId, format!("state.id {id:?}: {}", error.detail)))
        })?;
    if location.scid() != parameters.scid {
        return Err(fail(Rule::StateId, format!("state.id {id} does not carry the log's SCID {}", parameters.scid)));
    }
    if let Some(previous) = previous {
        let previous_id = previous.record.document.get("id").and_then(Value::as_str).unwrap_or_default();
        if previous_id != id {
            if !previous.record.parameters.portable {
                return Err(fail(Rule::Portable, format!("the DID moved from {previous_id} but is not portable")));
            }
            let also_known_as = state.get("alsoKnownAs").and_then(Value::as_array);
            if !also_known_as.is_some_and(|names| names.iter().any(|name| name == previous_id)) {
                return Err(fail(
                    Rule::Portable,
                    format!("the moved document does not list {previous_id} in alsoKnownAs"),
                ));
            }
        }
    }

    let witnesses = witness::required(previous_parameters, &parameters).cloned();
    let record = Record {
        witnesses,
        version_id: version_id.to_owned(),
        version_time,
        version_time_text: time_text.to_owned(),
        document: Value::Object(state.clone()),
        parameters,
    };
    Ok(Verified { record, location })
}

/// Adds the services every did:webvh DID has implicitly, unless the document defines them: `#files` (a
/// `relativeRef` to the log's directory) and `#whois` (a `LinkedVerifiablePresentation` at `whois.vp` there). Their
/// ids are absolute (`<did>#files`), like every other id in the documents logs carry.
fn add_implicit_services(document: &mut Value, location: &Location) {
    let Some(did) = document.get("id").and_then(Value::as_str).map(str::to_owned) else { return };
    let Some(object) = document.as_object_mut() else { return };
    let services = object.entry("service").or_insert_with(|| Value::Array(Vec::new()));
    let Some(services) = services.as_array_mut() else { return };
    let files = location.files_url();
    for (fragment, service) in [
        ("files", json!({"id": format!("{did}#files"), "type": "relativeRef", "serviceEndpoint": files})),
        (
            "whois",
            json!({
                "@context": "https://identity.foundation/linked-vp/contexts/v1",
                "id": format!("{did}#whois"),
                "type": "LinkedVerifiablePresentation",
                "serviceEndpoint": format!("{files}whois.vp"),
            }),
        ),
    ] {
        let relative = format!("#{fragment}");
        let absolute = format!("{did}#{fragment}");
        let defined = services.iter().any(|service| {
            service.get("id").and_then(Value::as_str).is_some_and(|id| id == relative || id == absolute)
        });
        if !defined {
            services.push(service);
        }
    }
}
