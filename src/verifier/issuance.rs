//! Which version of a DID with history (did:webvh) a proof is checked against, and what the versioned resolution's
//! metadata says about that choice.
//!
//! A credential is checked against the version its issuer's DID had when the credential says it was issued
//! (`validFrom`, else VCDM 1.1's `issuanceDate`): a key rotated away later still verifies what it signed before,
//! and a key rotated away earlier no longer verifies anything dated after. A credential without either date is
//! checked against the latest version, with a warning. A presentation's holder is always checked against the latest
//! version: a presentation is made now, so only a key in force now may sign it.
//!
//! Deactivation policy: a credential issued before its issuer's DID was deactivated still verifies, with a warning;
//! one dated at or after the deactivation fails, and so does anything checked against the latest version of a
//! deactivated DID.
//!
//! Pure: the resolution itself happens in the verifier; nothing here reads a clock or performs I/O.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustnode_credential::model::{Credential, DataModel};
use trustnode_resolver::ResolutionOptions;

use super::verdict::{Check, Finding};

/// The moment a proof's controller DID is resolved at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AsOf {
    /// The latest version, by policy (a presentation's holder).
    Latest,
    /// The credential's own issuance time, from the member named.
    Issued {
        /// When the credential says it was issued.
        time: OffsetDateTime,
        /// `validFrom` or `issuanceDate`.
        member: &'static str,
    },
    /// The credential carries no issuance time: the latest version, with a warning.
    Unknown,
}

impl AsOf {
    /// The moment `credential` says it was issued, if it says.
    pub(crate) fn issued(credential: &Credential) -> AsOf {
        let member = match credential.data_model() {
            DataModel::V2_0 => "validFrom",
            DataModel::V1_1 => "issuanceDate",
        };
        credential.valid_from().map_or(AsOf::Unknown, |time| AsOf::Issued { time, member })
    }

    /// The resolution options that select this moment's version.
    pub(crate) fn options(self) -> ResolutionOptions {
        match self {
            AsOf::Issued { time, .. } => ResolutionOptions { version_time: Some(rfc3339(time)), ..Default::default() },
            AsOf::Latest | AsOf::Unknown => ResolutionOptions::default(),
        }
    }

    /// The sentence naming this moment, for messages.
    fn describe(self) -> String {
        match self {
            AsOf::Issued { time, member } => format!("the credential's {member} {}", rfc3339(time)),
            AsOf::Latest => "the time of presentation (now)".to_owned(),
            AsOf::Unknown => "now (the credential states no issuance time)".to_owned(),
        }
    }
}

/// What a versioned resolution used, for the `issuer` evidence, and what it means for the verdict.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VersionUsed {
    /// The `issuer` evidence.
    pub evidence: Value,
    /// Errors and warnings the choice brings: deactivation, an unknown issuance time.
    pub findings: Vec<(Severity, Finding)>,
}

/// Whether a finding fails the verification or only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    /// Fails the verification.
    Error,
    /// Worth knowing; does not fail it.
    Warning,
}

/// Explains the version of `did` that a resolution as of `as_of` answered, from its DID document metadata
/// (`versionId`, `versionTime`, `versionNumber`, `nextVersionId`, `updated`, `deactivated`), and applies the
/// deactivation policy.
pub(crate) fn version_used(did: &str, method: &str, as_of: AsOf, metadata: &Map<String, Value>) -> VersionUsed {
    let text = |name: &str| metadata.get(name).and_then(Value::as_str);
    let latest = !metadata.contains_key("nextVersionId");
    let deactivated = metadata.get("deactivated").and_then(Value::as_bool).unwrap_or(false);
    // Nothing follows a deactivating version, so the last version's time (`updated`) is the deactivation's.
    let deactivated_at = text("updated").filter(|_| deactivated);
    let (as_of_time, as_of_source) = match as_of {
        AsOf::Issued { time, member } => (Some(rfc3339(time)), member),
        AsOf::Latest => (None, "presentation"),
        AsOf::Unknown => (None, "none"),
    };
    let evidence = json!({
        "id": did,
        "method": method,
        "asOf": {"time": as_of_time, "source": as_of_source},
        // A resolution that failed may have no version to name.
        "version": metadata.contains_key("versionId").then(|| json!({
            "versionId": text("versionId"),
            "versionTime": text("versionTime"),
            "versionNumber": metadata.get("versionNumber"),
            "latest": latest,
        })),
        "updated": text("updated"),
        "deactivated": deactivated,
        "deactivatedAt": deactivated_at,
    });
    let mut findings = Vec::new();
    if as_of == AsOf::Unknown {
        let message = format!(
            "the credential states no issuance time (validFrom or issuanceDate), so {did} was checked at its latest \
             version: a key rotated away since it was signed no longer verifies it"
        );
        findings.push((Severity::Warning, Finding::new(Check::Issuer, "issuance_time_unknown", message)));
    }
    if deactivated {
        let when = deactivated_at.unwrap_or("an unknown time");
        let before = match (as_of, deactivated_at.and_then(parse)) {
            (AsOf::Issued { time, .. }, Some(at)) => time < at,
            _ => false,
        };
        let finding = if before {
            let message = format!(
                "{did} was deactivated at {when}, after {}: verified with the version in force then",
                as_of.describe()
            );
            (Severity::Warning, Finding::new(Check::Issuer, "issuer_deactivated", message))
        } else {
            let message = format!("{did} was deactivated at {when}, not after {}", as_of.describe());
            (Severity::Error, Finding::new(Check::Issuer, "issuer_deactivated", message))
        };
        findings.push(finding);
    }
    VersionUsed { evidence, findings }
}

/// The error of a proof whose key the version in force at `as_of` does not authorize: `detail` is why (the key is
/// not in that version's document, or not under the proof's purpose).
pub(crate) fn not_authorized_then(as_of: AsOf, evidence: &Value, detail: &str) -> Finding {
    let version = &evidence["version"];
    let message = format!(
        "{detail}: version {} ({}, {}) of {} was in force at {}, and the key was not authorized then",
        version["versionNumber"],
        version["versionId"].as_str().unwrap_or("unknown"),
        version["versionTime"].as_str().unwrap_or("unknown"),
        evidence["id"].as_str().unwrap_or("the DID"),
        as_of.describe(),
    );
    Finding::new(Check::Proof, "key_not_authorized_at_issuance", message)
}

fn rfc3339(time: OffsetDateTime) -> String {
    let utc = time.to_offset(time::UtcOffset::UTC);
    utc.format(&Rfc3339).unwrap_or_else(|_| utc.to_string())
}

fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const DID: &str = "did:webvh:QmScid:issuer.example";

    fn metadata(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn codes(used: &VersionUsed) -> Vec<(Severity, &str)> {
        used.findings.iter().map(|(severity, finding)| (*severity, finding.code.as_str())).collect()
    }

    fn credential(dates: Value) -> Credential {
        let mut document = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": DID,
            "credentialSubject": {"id": "did:example:subject"},
        });
        if dates["@v1"] == true {
            document["@context"] = json!(["https://www.w3.org/2018/credentials/v1"]);
        }
        for (name, value) in dates.as_object().unwrap().iter().filter(|(name, _)| !name.starts_with('@')) {
            document[name] = value.clone();
        }
        Credential::parse(document).unwrap()
    }

    #[test]
    fn the_issuance_time_is_valid_from_else_issuance_date_else_unknown() {
        let issued = AsOf::issued(&credential(json!({"validFrom": "2026-03-01T12:00:00+02:00"})));
        assert_eq!(issued, AsOf::Issued { time: datetime!(2026-03-01 10:00 UTC), member: "validFrom" });
        assert_eq!(issued.options().version_time.as_deref(), Some("2026-03-01T10:00:00Z"));
        let issued = AsOf::issued(&credential(json!({"@v1": true, "issuanceDate": "2026-03-01T10:00:00Z"})));
        assert_eq!(issued, AsOf::Issued { time: datetime!(2026-03-01 10:00 UTC), member: "issuanceDate" });
        assert_eq!(AsOf::issued(&credential(json!({}))), AsOf::Unknown);
        assert_eq!(AsOf::Unknown.options().version_time, None);
        assert_eq!(AsOf::Latest.options().version_time, None);
    }

    #[test]
    fn an_earlier_version_is_named_and_not_the_latest() {
        let as_of = AsOf::Issued { time: datetime!(2026-03-01 10:00 UTC), member: "validFrom" };
        let used = version_used(
            DID,
            "webvh",
            as_of,
            &metadata(json!({"versionId": "1-QmA", "versionTime": "2026-01-01T00:00:00Z", "versionNumber": 1,
                "nextVersionId": "2-QmB", "updated": "2027-01-01T00:00:00Z", "deactivated": false})),
        );
        assert_eq!(used.findings, []);
        assert_eq!(
            used.evidence["version"],
            json!({"versionId": "1-QmA", "versionTime": "2026-01-01T00:00:00Z", "versionNumber": 1, "latest": false})
        );
        assert_eq!(used.evidence["asOf"], json!({"time": "2026-03-01T10:00:00Z", "source": "validFrom"}));
        let finding = not_authorized_then(as_of, &used.evidence, "the key is not in the document");
        assert_eq!(finding.code, "key_not_authorized_at_issuance");
        assert_eq!(
            finding.message,
            "the key is not in the document: version 1 (1-QmA, 2026-01-01T00:00:00Z) of did:webvh:QmScid:issuer.example \
             was in force at the credential's validFrom 2026-03-01T10:00:00Z, and the key was not authorized then"
        );
    }

    #[test]
    fn without_an_issuance_time_the_latest_version_is_used_with_a_warning() {
        let used = version_used(
            DID,
            "webvh",
            AsOf::Unknown,
            &metadata(json!({"versionId": "2-QmB", "versionTime": "2027-01-01T00:00:00Z", "versionNumber": 2})),
        );
        assert_eq!(codes(&used), [(Severity::Warning, "issuance_time_unknown")]);
        assert_eq!(used.evidence["version"]["latest"], true);
        assert_eq!(used.evidence["asOf"]["source"], "none");
        let failed = version_used(DID, "webvh", AsOf::Unknown, &Map::new());
        assert_eq!(failed.evidence["version"], Value::Null, "no version is named when none was resolved");
    }

    #[test]
    fn deactivation_after_issuance_warns_and_at_or_before_it_fails() {
        let deactivated = metadata(json!({"versionId": "1-QmA", "versionTime": "2026-01-01T00:00:00Z",
            "nextVersionId": "2-QmB", "updated": "2027-01-01T00:00:00Z", "deactivated": true}));
        let at = |time| AsOf::Issued { time, member: "validFrom" };
        let before = version_used(DID, "webvh", at(datetime!(2026-06-01 0:00 UTC)), &deactivated);
        assert_eq!(codes(&before), [(Severity::Warning, "issuer_deactivated")]);
        assert_eq!(before.evidence["deactivatedAt"], "2027-01-01T00:00:00Z");
        assert!(before.findings[0].1.message.contains("after the credential's validFrom"), "{:?}", before.findings);
        for time in [datetime!(2027-01-01 0:00 UTC), datetime!(2028-01-01 0:00 UTC)] {
            let after = version_used(DID, "webvh", at(time), &deactivated);
            assert_eq!(codes(&after), [(Severity::Error, "issuer_deactivated")], "{time}");
        }
        let presented = version_used(DID, "webvh", AsOf::Latest, &deactivated);
        assert_eq!(codes(&presented), [(Severity::Error, "issuer_deactivated")]);
        assert_eq!(presented.evidence["asOf"]["source"], "presentation");
    }
}
