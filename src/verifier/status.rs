//! The status check of a verification: each `credentialStatus` entry (Bitstring Status List, StatusList2021) is
//! read in its status list credential, fetched over HTTPS through the did:web client (SSRF guard, bounds, its own
//! sled cache: `WebResolver::fetch_status_list`) and verified like a credential (contexts, proofs by its issuer's
//! key, validity) before a bit of it is believed.
//!
//! Outcomes: a set revocation or suspension bit is an error naming the purpose; a set bit of another purpose is a
//! warning carrying the list's message; a list that cannot be fetched, verified or read is an error of the kind the
//! specification names (`status_retrieval_error`, `status_verification_error`, …); a stale cached list (its origin
//! failing) is used with a warning. Bits are read by the credential core; no HTTP or parsing of lists here.

use std::time::Duration;

use serde_json::{json, Value};
use trustnode_credential::model::Credential;
use trustnode_credential::status::{self, Limits, StatusEntry, StatusError, StatusList};
use trustnode_resolver::web::status_list::StatusListOutcome;
use trustnode_resolver::web::WebResolver;

use super::verdict::{Check, Finding, Verdict};
use super::{reasons, Verifier};

impl Verifier<'_> {
    /// Checks every status entry of `credential`, if it has any.
    pub(super) async fn check_status(&self, credential: &Credential, verdict: &mut Verdict) {
        let Some(entries) = credential.document().get("credentialStatus") else { return };
        verdict.ran(Check::Status);
        let entries = match status::parse_entries(entries) {
            Ok(entries) => entries,
            Err(error) => {
                verdict.fail(status_finding(&error));
                return;
            }
        };
        let mut evidence = Vec::with_capacity(entries.len());
        for entry in &entries {
            evidence.push(self.check_entry(entry, verdict).await);
        }
        verdict.evidence(Check::Status, Value::Array(evidence));
    }

    async fn check_entry(&self, entry: &StatusEntry, verdict: &mut Verdict) -> Value {
        let url = &entry.list_credential;
        let mut evidence = json!({
            "statusPurpose": entry.purpose,
            "statusListCredential": url,
            "statusListIndex": entry.index.to_string(),
            "statusSize": entry.size,
        });
        let Some((mut list, mut parsed, age_s)) = self.read_list(url, None, verdict, &mut evidence).await else {
            return evidence;
        };
        // A cached copy older than the list's own `ttl` is fetched again before it is believed.
        if let Some(ttl) = parsed.ttl_ms.filter(|ttl| age_s.saturating_mul(1000) > *ttl) {
            let Some(fresh) = self.read_list(url, Some(ttl), verdict, &mut evidence).await else { return evidence };
            (list, parsed, _) = fresh;
        }
        if !self.list_is_verified(list, url, verdict, &mut evidence).await {
            return evidence;
        }
        let found = match status::check(entry, &parsed, &Limits::default()) {
            Ok(found) => found,
            Err(error) => {
                verdict.fail(status_finding(&error));
                return evidence;
            }
        };
        evidence["value"] = json!(found.value);
        evidence["message"] = json!(found.message);
        if !found.is_valid() {
            let said = found.message.as_deref().map(|message| format!(" ({message})")).unwrap_or_default();
            let message = format!(
                "status list {url} has the credential's {} bit set at index {}{said}",
                found.purpose, entry.index
            );
            match found.purpose.as_str() {
                "revocation" => verdict.fail(Finding::new(Check::Status, "revoked", message)),
                "suspension" => verdict.fail(Finding::new(Check::Status, "suspended", message)),
                _ => verdict.warn(Finding::new(Check::Status, "status_set", message)),
            }
        }
        evidence
    }

    /// The list credential at `url` (from the cache unless older than `ttl_ms`) as JSON, its list, and the age of
    /// the copy in seconds.
    async fn read_list(
        &self,
        url: &str,
        ttl_ms: Option<u64>,
        verdict: &mut Verdict,
        evidence: &mut Value,
    ) -> Option<(Value, StatusList, u64)> {
        let Some(web) = self.grounds.resolver.method::<WebResolver>() else {
            let detail = "this node fetches nothing over HTTPS (did:web is not among resolver.methods), so it cannot \
                          read status lists";
            verdict.fail(Finding::new(Check::Status, "status_retrieval_error", detail));
            return None;
        };
        let StatusListOutcome { result, cache } = web.fetch_status_list(url, ttl_ms.map(Duration::from_millis)).await;
        evidence["cache"] = json!(cache);
        let age_s = cache.as_ref().map_or(0, |cache| cache.age_seconds);
        let body = match result {
            Ok(body) => body,
            Err(error) => {
                let message = format!("the status list credential {url} could not be had: {error}");
                verdict.fail(Finding::new(Check::Status, "status_retrieval_error", message));
                return None;
            }
        };
        if let Some(cache) = cache.filter(|cache| cache.stale) {
            let reason = cache.stale_reason.unwrap_or_default();
            let message = format!("the status list {url} is a stale cached copy: its origin failed ({reason})");
            verdict.warn(Finding::new(Check::Status, "status_stale", message));
        }
        let list: Value = match trustnode_did::strict_json::from_slice(&body) {
            Ok(list) => list,
            Err(error) => {
                let message = format!("the status list credential {url} is not JSON: {error}");
                verdict.fail(Finding::new(Check::Status, "status_verification_error", message));
                return None;
            }
        };
        match StatusList::from_credential(&list) {
            Ok(parsed) => Some((list, parsed, age_s)),
            Err(error) => {
                verdict.fail(status_finding(&error));
                None
            }
        }
    }

    /// The list credential must be a credential in force whose proofs verify with its issuer's keys.
    async fn list_is_verified(&self, list: Value, url: &str, verdict: &mut Verdict, evidence: &mut Value) -> bool {
        let mut inner = Verdict::default();
        match Credential::parse(list) {
            Ok(credential) => {
                evidence["issuer"] = json!(credential.issuer());
                self.check_secured(&credential, None, &mut inner).await;
                self.check_validity(&credential, &mut inner);
            }
            Err(error) => inner.fail(super::finding(Check::Credential, &error)),
        }
        let inner = inner.conclude();
        evidence["listVerified"] = json!(inner.verified);
        if !inner.verified {
            let message = format!("the status list credential {url} is not verified: {}", reasons(&inner));
            verdict.fail(Finding::new(Check::Status, "status_verification_error", message));
        }
        inner.verified
    }
}

/// A status error as a finding, coded by the specification's error type.
fn status_finding(error: &StatusError) -> Finding {
    Finding::new(Check::Status, error.kind().code(), error.detail())
}
