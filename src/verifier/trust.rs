//! The trust check of a verification: is the credential's issuer authorized to `issue` its most specific type in a
//! registry this node hosts or mirrors? Asked as TRQP questions through the registry core's one decision
//! (`trqp::decide`, accreditation chains included), so a verdict and a `POST /authorization` never disagree.
//! No I/O: the registries are in memory.

use serde_json::{json, Value};
use trustnode_registry::model::{StatementKind, Timestamp};
use trustnode_registry::trqp::{decide, Policy, Question};

use crate::config::CredentialsConfig;
use crate::hosting::Registries;

/// The TRQP action a credential's issuer must be authorized for.
pub(crate) const ISSUE_ACTION: &str = "issue";

/// What the registries said about an issuer.
pub(crate) struct Trust {
    /// At least one registry authorizes the issuer.
    pub authorized: bool,
    /// The question's resource.
    pub resource: String,
    /// Each asked registry's TRQP answer (with its proof when asked), or why it could not answer.
    pub answers: Vec<Value>,
    /// An authority named in the options that this node neither hosts nor mirrors.
    pub unknown_authority: Option<String>,
}

/// The registry resource for a credential of `types` (most specific last, as credentials list them): the LER type
/// when there is one, else the last type other than `VerifiableCredential`, mapped through `credentials.resources`.
pub(crate) fn resource_for(types: &[String], ler_type: Option<&str>, config: &CredentialsConfig) -> String {
    let own = ler_type
        .or_else(|| types.iter().rev().map(String::as_str).find(|t| *t != "VerifiableCredential"))
        .unwrap_or("VerifiableCredential");
    config.resources.get(own).cloned().unwrap_or_else(|| own.to_owned())
}

/// Asks every hosted or mirrored registry (or only `authority`) whether `issuer` may issue `resource` at `now`.
pub(crate) fn ask(
    registries: &Registries,
    issuer: &str,
    resource: String,
    authority: Option<&str>,
    wants_proof: bool,
    now: Timestamp,
) -> Trust {
    let authorities: Vec<&str> = match authority {
        Some(authority) => vec![authority],
        None => registries.iter().map(|registry| registry.authority_id()).collect(),
    };
    let mut trust = Trust { authorized: false, resource, answers: Vec::new(), unknown_authority: None };
    for authority_id in authorities {
        if registries.current(authority_id).is_none() {
            trust.unknown_authority = Some(authority_id.to_owned());
            continue;
        }
        let question = Question {
            entity_id: issuer,
            authority_id,
            action: ISSUE_ACTION,
            resource: &trust.resource,
            time_requested: None,
            at: now,
            wants_proof,
        };
        // A name the registry does not know is a plain "no" here: the verdict explains, it does not refuse.
        let policy = Policy { hide_unknown: true };
        let Ok(decision) = decide(&question, StatementKind::Authorization, |id| registries.current(id), policy) else {
            continue;
        };
        trust.authorized |= decision.granted();
        let answer = decision
            .to_json(now)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_else(|| json!({"authority_id": authority_id, "error": "the answer could not be written"}));
        trust.answers.push(answer);
    }
    trust
}
