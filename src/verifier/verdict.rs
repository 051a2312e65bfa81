//! The explained verdict on a credential or presentation: whether it is verified, the checks that ran, every error
//! and warning (each naming its check, a stable code and a sentence), and the evidence each check rests on. Built
//! by the verifier, written as JSON by the HTTP layer and the CLI; no I/O here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One step of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// The document is a credential (or presentation) of a known data model.
    Credential,
    /// Its JSON-LD contexts are ones this node knows.
    Context,
    /// Each embedded proof's signature.
    Proof,
    /// The proof's verification method: resolved, listed under the right relationship, the issuer's (or holder's).
    Issuer,
    /// The validity window.
    Validity,
    /// `credentialStatus`: revocation, suspension and other status list entries.
    Status,
    /// Issuer authorization in the registries this node hosts or mirrors.
    Trust,
    /// A presentation's own shape, proof, challenge and domain.
    Presentation,
    /// The credentials nested in a CLR.
    Nested,
}

impl Check {
    /// The name, as written in verdicts.
    pub fn name(self) -> &'static str {
        match self {
            Check::Credential => "credential",
            Check::Context => "context",
            Check::Proof => "proof",
            Check::Issuer => "issuer",
            Check::Validity => "validity",
            Check::Status => "status",
            Check::Trust => "trust",
            Check::Presentation => "presentation",
            Check::Nested => "nested",
        }
    }
}

/// An error or a warning: the check it belongs to, a stable snake_case code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check that found it.
    pub check: Check,
    /// A short, stable name of the reason.
    pub code: String,
    /// What was found, for people.
    pub message: String,
}

impl Finding {
    /// A finding of `check`.
    pub fn new(check: Check, code: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding { check, code: code.into(), message: message.into() }
    }
}

/// The verdict on one credential or presentation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Verdict {
    /// True when no check found an error.
    pub verified: bool,
    /// The checks that ran, in order.
    pub checks: Vec<Check>,
    /// What does not fail the verification but a verifier should know.
    pub warnings: Vec<Finding>,
    /// Every reason the verification failed, not only the first.
    pub errors: Vec<Finding>,
    /// The evidence of each check, by check name.
    pub trustnode: Map<String, Value>,
    /// For a presentation: the verdict on each credential it holds, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<Verdict>>,
}

impl Verdict {
    /// Records that `check` ran.
    pub(crate) fn ran(&mut self, check: Check) {
        if !self.checks.contains(&check) {
            self.checks.push(check);
        }
    }

    /// Records an error of `check` (which thereby ran).
    pub(crate) fn fail(&mut self, finding: Finding) {
        self.ran(finding.check);
        self.errors.push(finding);
    }

    /// Records a warning of `check` (which thereby ran).
    pub(crate) fn warn(&mut self, finding: Finding) {
        self.ran(finding.check);
        self.warnings.push(finding);
    }

    /// Records the evidence of `check`.
    pub(crate) fn evidence(&mut self, check: Check, value: Value) {
        self.trustnode.insert(check.name().to_owned(), value);
    }

    /// Sets `verified` from the errors found; called once every check ran.
    pub(crate) fn conclude(mut self) -> Verdict {
        self.verified = self.errors.is_empty();
        self
    }

    /// The verdict as people read it: one line per check, then the errors and warnings.
    pub fn explain(&self) -> String {
        let mut text = String::new();
        explain_into(self, "", &mut text);
        text
    }
}

fn explain_into(verdict: &Verdict, indent: &str, text: &mut String) {
    use std::fmt::Write as _;
    let outcome = if verdict.verified { "VERIFIED" } else { "NOT VERIFIED" };
    let _ = writeln!(text, "{indent}{outcome}");
    for check in &verdict.checks {
        let failed = verdict.errors.iter().any(|finding| finding.check == *check);
        let outcome = if failed { "failed" } else { "passed" };
        let detail = verdict.trustnode.get(check.name()).and_then(|evidence| summary(*check, evidence));
        let detail = detail.map(|detail| format!(": {detail}")).unwrap_or_default();
        let _ = writeln!(text, "{indent}  {:<12} {outcome}{detail}", check.name());
    }
    for (label, findings) in [("error", &verdict.errors), ("warning", &verdict.warnings)] {
        for finding in findings {
            let _ =
                writeln!(text, "{indent}  {label}: [{}/{}] {}", finding.check.name(), finding.code, finding.message);
        }
    }
    for (n, credential) in verdict.credentials.iter().flatten().enumerate() {
        let _ = writeln!(text, "{indent}  credential {n}:");
        explain_into(credential, &format!("{indent}    "), text);
    }
}

/// One line of the evidence of `check`, for people.
fn summary(check: Check, evidence: &Value) -> Option<String> {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let each = |f: &dyn Fn(&Value) -> Option<String>| {
        let parts: Vec<String> = evidence.as_array()?.iter().filter_map(f).collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    };
    match check {
        Check::Credential => {
            let kind = text(&evidence["lerType"]).or_else(|| evidence["type"].as_array()?.last().and_then(text))?;
            Some(format!("{kind} issued by {}", text(&evidence["issuer"])?))
        }
        Check::Proof => each(&|proof| {
            let suite = text(&proof["cryptosuite"]).or_else(|| text(&proof["type"]))?;
            Some(format!("{suite} by {}", text(&proof["verificationMethod"])?))
        }),
        Check::Validity => text(&evidence["message"]),
        Check::Status => each(&|entry| {
            let value = entry["value"].as_u64().map_or("unread".to_owned(), |value| value.to_string());
            Some(format!("{} = {value} in {}", text(&entry["statusPurpose"])?, text(&entry["statusListCredential"])?))
        }),
        Check::Trust => {
            let answers = evidence["answers"].as_array()?;
            let parts: Vec<String> = answers
                .iter()
                .map(|answer| {
                    let authority = text(&answer["authority_id"]).unwrap_or_default();
                    let statement =
                        text(&answer["statement_id"]).map(|id| format!(", statement {id}")).unwrap_or_default();
                    let snapshot =
                        answer["registry_sequence"].as_u64().map(|n| format!(", snapshot {n}")).unwrap_or_default();
                    let status = text(&answer["status"]).unwrap_or_default();
                    format!("{authority}: {status}{statement}{snapshot}")
                })
                .collect();
            let resource = text(&evidence["resource"])?;
            Some(format!(
                "issue {resource}; {}",
                if parts.is_empty() { "no registry".to_owned() } else { parts.join("; ") }
            ))
        }
        Check::Issuer => {
            let version = &evidence["version"];
            let at = match (text(&evidence["asOf"]["source"]), text(&evidence["asOf"]["time"])) {
                (Some(member), Some(time)) => format!("in force at its {member} {time}"),
                (Some(source), None) if source == "presentation" => "in force now, at presentation".to_owned(),
                _ => "in force now (no issuance time)".to_owned(),
            };
            let latest = if version["latest"] == true {
                "the latest".to_owned()
            } else {
                format!("not the latest (updated {})", text(&evidence["updated"]).unwrap_or_default())
            };
            let deactivated = text(&evidence["deactivatedAt"]).map(|at| format!("; deactivated at {at}"));
            Some(format!(
                "{} version {} ({}, {}) {at}, {latest}{}",
                text(&evidence["id"])?,
                version["versionNumber"],
                text(&version["versionId"])?,
                text(&version["versionTime"]).unwrap_or_default(),
                deactivated.unwrap_or_default(),
            ))
        }
        Check::Context | Check::Presentation | Check::Nested => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_verdict_lists_every_failure_and_explains_itself() {
        let mut verdict = Verdict::default();
        verdict.ran(Check::Credential);
        verdict.fail(Finding::new(Check::Proof, "signature_mismatch", "the signature does not verify"));
        verdict.fail(Finding::new(Check::Validity, "expired", "the credential expired"));
        verdict.warn(Finding::new(Check::Trust, "not_authorized", "no registry lists the issuer"));
        let verdict = verdict.conclude();
        assert!(!verdict.verified);
        let json = serde_json::to_value(&verdict).unwrap();
        assert_eq!(json["checks"], json!(["credential", "proof", "validity", "trust"]));
        assert_eq!(
            json["errors"][1],
            json!({"check": "validity", "code": "expired", "message": "the credential expired"})
        );
        assert!(json.get("credentials").is_none());
        let text = verdict.explain();
        assert!(text.starts_with("NOT VERIFIED\n  credential   passed\n  proof        failed\n"), "{text}");
        assert!(text.contains("warning: [trust/not_authorized] no registry lists the issuer"), "{text}");
    }

    #[test]
    fn the_issuer_line_names_the_version_of_a_did_with_history() {
        let mut verdict = Verdict::default();
        verdict.evidence(
            Check::Issuer,
            json!({"id": "did:webvh:QmS:issuer.example", "asOf": {"time": "2026-03-01T00:00:00Z", "source": "validFrom"},
                "version": {"versionId": "1-QmA", "versionTime": "2026-01-01T00:00:00Z", "versionNumber": 1, "latest": false},
                "updated": "2027-01-01T00:00:00Z", "deactivatedAt": null}),
        );
        verdict.ran(Check::Issuer);
        let text = verdict.conclude().explain();
        assert!(
            text.contains(
                "issuer       passed: did:webvh:QmS:issuer.example version 1 (1-QmA, 2026-01-01T00:00:00Z) in force at its \
                 validFrom 2026-03-01T00:00:00Z, not the latest (updated 2027-01-01T00:00:00Z)\n"
            ),
            "{text}"
        );
    }
}
