//! The node's verifier: the whole decision on a credential or presentation in one call, for
//! `POST /credentials/verify`, `POST /presentations/verify` and `trustnode verify`.
//!
//! It composes the pure cores with the node's own state: the credential core (`trustnode-credential`: model,
//! proofs, JOSE-secured credentials, validity, status bits) checks what the documents say; the node's resolver finds each proof's key in its
//! controller's DID document; the registries this node hosts or mirrors say whether the issuer is authorized
//! ([`trust`]). Every check runs and every failure is reported ([`verdict`]), not only the first.
//!
//! What must not live here: HTTP (the handlers in `crate::http::credentials` read requests and write verdicts),
//! canonicalization or signature arithmetic (the credential core), and clock reads below [`Verifier::new`]'s caller.

mod issuance;
mod memo;
mod status;
mod trust;
pub mod verdict;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use trustnode_credential::contexts::ContextSet;
use trustnode_credential::data_integrity::{Cryptosuite, DataIntegrityProof};
use trustnode_credential::error::CredentialError;
use trustnode_credential::jose::{compact_jws, Jws};
use trustnode_credential::model::{Credential, DataModel, LerType};
use trustnode_credential::presentation::Presentation;
use trustnode_credential::validity::{self, Validity};
use trustnode_credential::verification_method::{authorized_method, controller_did, VerificationMethod};
use trustnode_did::public_key::PublicKey;
use trustnode_did::syntax::DidUrl;
use trustnode_registry::model::Timestamp;
use trustnode_resolver::{Content, ResolutionOptions, Resolver};

use crate::config::{CredentialsConfig, TrustPolicy};
use crate::hosting::Registries;
use issuance::{AsOf, Severity};
pub use memo::ProofMemo;
use verdict::{Check, Finding, Verdict};

/// The proof purpose (and DID document relationship) of a credential's proof.
const ASSERTION: &str = "assertionMethod";
/// The proof purpose (and DID document relationship) of a presentation's proof.
const AUTHENTICATION: &str = "authentication";

/// Why the configured contexts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContextsError {
    /// A context file could not be read.
    #[error("cannot read the context file {path} for {url}: {source}")]
    Read {
        /// The URL it answers for.
        url: String,
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A context file is not a usable context.
    #[error(transparent)]
    Invalid(#[from] CredentialError),
}

/// The contexts credentials may name: the bundled set plus `credentials.contexts`' files, read once at start.
pub fn load_contexts(config: &CredentialsConfig) -> Result<ContextSet, ContextsError> {
    config.contexts.iter().try_fold(ContextSet::bundled(), |set, (url, path)| {
        let json = std::fs::read(path).map_err(|source| ContextsError::Read {
            url: url.clone(),
            path: path.clone(),
            source,
        })?;
        Ok(set.with_operator_context(url, &json)?)
    })
}

/// A proof to check, with what it must match: the document it secures, the DID its key must belong to, the
/// purpose (and relationship) it must be made for, and the moment whose version of a DID with history it is checked
/// against.
struct ProofTask<'d> {
    document: &'d Map<String, Value>,
    proof: Securing<'d>,
    controller: Option<&'d str>,
    purpose: &'static str,
    as_of: AsOf,
}

/// What secures a document: an embedded Data Integrity proof, or the compact JWS a credential arrived in.
enum Securing<'d> {
    DataIntegrity(&'d Map<String, Value>),
    Jws(&'d Jws),
}

/// Why a verification request could not be read: the request's fault, answered before any check runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A member of the request is missing or of the wrong shape.
    #[error("{0}")]
    Malformed(String),
    /// More credentials than `credentials.max_credentials` in one request.
    #[error("the request holds more than {0} credentials (credentials.max_credentials)")]
    TooManyCredentials(usize),
}

/// The VC API `options` this node reads; other members are ignored, as the VC API asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Only this authority's registry is asked (TRQP `authority_id`); default: every registry of the node.
    pub authority_id: Option<String>,
    /// The registry resource to ask about instead of the credential's type.
    pub resource: Option<String>,
    /// Attach each registry answer's inclusion proof (TRQP `context.proof`).
    pub proof: bool,
    /// The challenge a presentation's proof must carry.
    pub challenge: Option<String>,
    /// The domain a presentation's proof must carry.
    pub domain: Option<String>,
}

impl Options {
    /// Reads `options` (absent or `null`: the defaults).
    pub fn from_json(options: Option<&Value>) -> Result<Options, RequestError> {
        let options = match options {
            None | Some(Value::Null) => return Ok(Options::default()),
            Some(Value::Object(options)) => options,
            Some(_) => return Err(RequestError::Malformed("`options` must be an object".to_owned())),
        };
        let text = |name: &str| match options.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(RequestError::Malformed(format!("`options.{name}` must be a string"))),
        };
        let proof = match options.get("proof") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(proof)) => *proof,
            Some(_) => return Err(RequestError::Malformed("`options.proof` must be true or false".to_owned())),
        };
        Ok(Options {
            authority_id: text("authority_id")?,
            resource: text("resource")?,
            proof,
            challenge: text("challenge")?,
            domain: text("domain")?,
        })
    }
}

/// What a verification rests on: the node's resolver, registries, contexts and memo of verified proofs, and the
/// `[credentials]` configuration.
#[derive(Clone, Copy)]
pub struct Grounds<'a> {
    /// Resolves issuers' and holders' DIDs; its did:web client fetches status lists.
    pub resolver: &'a Resolver,
    /// The hosted and mirrored registries the trust check asks.
    pub registries: &'a Registries,
    /// `[credentials]`.
    pub config: &'a CredentialsConfig,
    /// The JSON-LD contexts documents may name.
    pub contexts: &'a ContextSet,
    /// Proofs verified before.
    pub memo: &'a ProofMemo,
    /// Permits for RDF canonicalizations at once (one per core): more would only share the cores and hold more
    /// memory.
    pub canonicalizations: &'a Semaphore,
}

/// One verification: its grounds, the instant checked, the options.
pub struct Verifier<'a> {
    grounds: Grounds<'a>,
    now: Timestamp,
    options: Options,
    /// Credentials verified so far in this request, against `config.max_credentials`.
    counted: AtomicUsize,
}

impl<'a> Verifier<'a> {
    /// A verifier checking validity and trust at `now`.
    pub fn new(grounds: Grounds<'a>, now: Timestamp, options: Options) -> Verifier<'a> {
        Verifier { grounds, now, options, counted: AtomicUsize::new(0) }
    }

    /// The verdict on a credential.
    pub async fn credential(&self, value: Value) -> Result<Verdict, RequestError> {
        self.count(1)?;
        Ok(Box::pin(self.check_credential(value)).await?.conclude())
    }

    /// The verdict on a presentation: its shape, its proofs (made for `authentication` by the holder, with the
    /// challenge and domain the options ask for; required when a challenge is asked), and each credential it holds.
    pub async fn presentation(&self, value: Value) -> Result<Verdict, RequestError> {
        let mut verdict = Verdict::default();
        verdict.ran(Check::Presentation);
        let presentation = match Presentation::parse(value) {
            Ok(presentation) => presentation,
            Err(error) => {
                verdict.fail(finding(Check::Presentation, &error));
                return Ok(verdict.conclude());
            }
        };
        self.count(presentation.credentials().len())?;
        verdict.evidence(
            Check::Presentation,
            json!({"holder": presentation.holder(), "dataModel": data_model_name(presentation.data_model()), "credentials": presentation.credentials().len()}),
        );
        let proofs = presentation.proofs();
        if proofs.is_empty() && self.options.challenge.is_some() {
            let message = "a challenge was given, so the presentation must carry a proof made with it";
            verdict.fail(Finding::new(Check::Presentation, "proof_required", message));
        } else if proofs.is_empty() {
            verdict.warn(Finding::new(
                Check::Presentation,
                "unsigned",
                "the presentation carries no proof: anyone could have presented these credentials",
            ));
        }
        if self.check_contexts(presentation.document(), &mut verdict) {
            let tasks = proofs.into_iter().map(|proof| ProofTask {
                document: presentation.document(),
                proof: Securing::DataIntegrity(proof),
                controller: presentation.holder(),
                purpose: AUTHENTICATION,
                as_of: AsOf::Latest,
            });
            self.check_proofs(tasks, &mut verdict).await;
        }
        let mut credentials = Vec::with_capacity(presentation.credentials().len());
        for (n, credential) in presentation.credentials().iter().enumerate() {
            let inner = Box::pin(self.check_credential(credential.clone())).await?.conclude();
            if !inner.verified {
                let message = format!("credential {n} is not verified: {}", reasons(&inner));
                verdict.fail(Finding::new(Check::Presentation, "credential_not_verified", message));
            }
            credentials.push(inner);
        }
        verdict.credentials = Some(credentials);
        Ok(verdict.conclude())
    }

    fn count(&self, more: usize) -> Result<(), RequestError> {
        let total = self.counted.fetch_add(more, Ordering::Relaxed) + more;
        if total > self.grounds.config.max_credentials {
            return Err(RequestError::TooManyCredentials(self.grounds.config.max_credentials));
        }
        Ok(())
    }

    /// A credential with embedded proofs, or one secured by a compact JWS (bare or enveloped), whose payload is
    /// then checked like any credential.
    async fn check_credential(&self, value: Value) -> Result<Verdict, RequestError> {
        let mut verdict = Verdict::default();
        verdict.ran(Check::Credential);
        let jws = match compact_jws(&value).map(|compact| compact.and_then(Jws::parse)).transpose() {
            Ok(jws) => jws,
            Err(error) => {
                // An unreadable or unsecured JWS is ignored whole: nothing in it can be trusted to check further.
                verdict.ran(Check::Proof);
                verdict.fail(finding(Check::Proof, &error));
                return Ok(verdict);
            }
        };
        let value = jws.as_ref().map_or(value, |jws| jws.credential().clone());
        let credential = match Credential::parse(value) {
            Ok(credential) => credential,
            Err(error) => {
                verdict.fail(finding(Check::Credential, &error));
                return Ok(verdict);
            }
        };
        verdict.evidence(Check::Credential, describe(&credential));
        self.check_secured(&credential, jws.as_ref(), &mut verdict).await;
        self.check_validity(&credential, &mut verdict);
        self.check_status(&credential, &mut verdict).await;
        self.check_trust(&credential, &mut verdict);
        self.check_nested(&credential, &mut verdict).await?;
        Ok(verdict)
    }

    /// What secures a credential: its contexts, then its JWS (when it arrived in one) and every embedded proof, by
    /// keys of its issuer; at least one of them.
    async fn check_secured(&self, credential: &Credential, jws: Option<&Jws>, verdict: &mut Verdict) {
        if !self.check_contexts(credential.document(), verdict) {
            return;
        }
        let proofs = credential.proofs();
        if proofs.is_empty() && jws.is_none() {
            verdict.fail(finding(Check::Proof, &CredentialError::NoProof));
        }
        let securing = jws.into_iter().map(Securing::Jws).chain(proofs.into_iter().map(Securing::DataIntegrity));
        let tasks = securing.map(|proof| ProofTask {
            document: credential.document(),
            proof,
            controller: Some(credential.issuer()),
            purpose: ASSERTION,
            as_of: AsOf::issued(credential),
        });
        self.check_proofs(tasks, verdict).await;
    }

    /// Every context the document names (at any depth) must be in the node's set. When one is not, no proof is
    /// checked: what the document means, and so what was signed, is unknown.
    fn check_contexts(&self, document: &Map<String, Value>, verdict: &mut Verdict) -> bool {
        verdict.ran(Check::Context);
        match self.grounds.contexts.check(document) {
            Ok(()) => true,
            Err(error) => {
                verdict.fail(finding(Check::Context, &error));
                false
            }
        }
    }

    /// Every proof must verify, with a key its controller's DID document lists under the proof's purpose.
    async fn check_proofs(&self, tasks: impl Iterator<Item = ProofTask<'_>>, verdict: &mut Verdict) {
        verdict.ran(Check::Proof);
        verdict.ran(Check::Issuer);
        let mut evidence = Vec::new();
        for task in tasks {
            evidence.push(self.check_proof(task, verdict).await);
        }
        verdict.evidence(Check::Proof, Value::Array(evidence));
    }

    /// One proof, by what secures the document.
    async fn check_proof(&self, task: ProofTask<'_>, verdict: &mut Verdict) -> Value {
        match task.proof {
            Securing::DataIntegrity(proof) => self.check_data_integrity(&task, proof, verdict).await,
            Securing::Jws(jws) => self.check_jws(&task, jws, verdict).await,
        }
    }

    /// A Data Integrity proof: read it, check a presentation's challenge and domain, find its verification
    /// method's key, verify the signature.
    async fn check_data_integrity(
        &self,
        task: &ProofTask<'_>,
        proof: &Map<String, Value>,
        verdict: &mut Verdict,
    ) -> Value {
        let mut evidence = json!({
            "type": proof.get("type"),
            "cryptosuite": proof.get("cryptosuite"),
            "verificationMethod": proof.get("verificationMethod"),
            "proofPurpose": proof.get("proofPurpose"),
            "created": proof.get("created"),
            "verified": false,
        });
        let parsed = match DataIntegrityProof::parse(proof) {
            Ok(parsed) => parsed,
            Err(error) => {
                verdict.fail(finding(Check::Proof, &error));
                return evidence;
            }
        };
        if task.purpose == AUTHENTICATION && !self.challenge_and_domain_match(&parsed, verdict) {
            return evidence;
        }
        let Some(method) = self.authorized_key(task, parsed.verification_method(), &mut evidence, verdict).await else {
            return evidence;
        };
        let remembered = self.grounds.memo.key(task.document, proof, task.purpose, &method.key);
        if self.grounds.memo.verified(remembered) {
            evidence["verified"] = Value::Bool(true);
            return evidence;
        }
        match self.verify_signature(parsed, task.document, method.key, task.purpose).await {
            Ok(()) => {
                self.grounds.memo.remember(remembered);
                evidence["verified"] = Value::Bool(true);
            }
            Err(error) => verdict.fail(finding(Check::Proof, &error)),
        }
        evidence
    }

    /// The JWS a credential arrived in: find its `kid`'s key, verify the signature over the JWS signing input.
    async fn check_jws(&self, task: &ProofTask<'_>, jws: &Jws, verdict: &mut Verdict) -> Value {
        let mut evidence = json!({
            "type": "JWS",
            "alg": jws.algorithm().name(),
            "kid": jws.kid(),
            "typ": jws.typ(),
            "verified": false,
        });
        let Some(method) = self.authorized_key(task, jws.kid(), &mut evidence, verdict).await else {
            return evidence;
        };
        match jws.verify(&method.key) {
            Ok(()) => evidence["verified"] = Value::Bool(true),
            Err(error) => verdict.fail(finding(Check::Proof, &error)),
        }
        evidence
    }

    /// The key of verification method `method_id`: it must belong to the task's controller (issuer or holder),
    /// whose DID the node's resolver resolves — at the task's moment when its method keeps a history (see
    /// [`issuance`]) — and be listed under the purpose's relationship. The resolution and the key go into
    /// `evidence`, the version used into the `issuer` evidence; a failure is reported and gives `None`.
    async fn authorized_key(
        &self,
        task: &ProofTask<'_>,
        method_id: &str,
        evidence: &mut Value,
        verdict: &mut Verdict,
    ) -> Option<VerificationMethod> {
        let did = controller_did(method_id);
        if let Some(controller) = task.controller.filter(|controller| *controller != did) {
            let whose = if task.purpose == ASSERTION { "issuer" } else { "holder" };
            let message = format!(
                "the proof's verification method {method_id} belongs to {did}, not to the {whose} {controller}"
            );
            verdict.fail(Finding::new(Check::Issuer, format!("method_not_{whose}s"), message));
            return None;
        }
        let versioned = self.has_history(did);
        let options = if versioned { task.as_of.options() } else { ResolutionOptions::default() };
        let resolution = self.grounds.resolver.resolve(did, &options).await;
        evidence["resolution"] = json!({
            "method": resolution.method,
            "didDocumentMetadata": resolution.document_metadata,
            "cache": resolution.extra_metadata.get("cache"),
        });
        let version = versioned.then(|| {
            let method = resolution.method.unwrap_or_default();
            issuance::version_used(did, method, task.as_of, &resolution.document_metadata)
        });
        if let Some(version) = &version {
            verdict.evidence(Check::Issuer, version.evidence.clone());
            let mut refused = false;
            for (severity, finding) in &version.findings {
                // Each proof by the same controller finds the same thing: say it once.
                let known = verdict.errors.iter().chain(&verdict.warnings).any(|known| known == finding);
                refused |= *severity == Severity::Error;
                match severity {
                    _ if known => {}
                    Severity::Error => verdict.fail(finding.clone()),
                    Severity::Warning => verdict.warn(finding.clone()),
                }
            }
            if refused {
                return None;
            }
        }
        let document = match resolution.result {
            Ok(Content::Document(document)) => document,
            Ok(_) => {
                verdict.fail(Finding::new(Check::Issuer, "unresolved", format!("{did} is not a DID")));
                return None;
            }
            Err(error) => {
                let message = format!("{did} could not be resolved: {}: {}", error.code, error.detail);
                verdict.fail(Finding::new(Check::Issuer, "unresolved", message));
                return None;
            }
        };
        match authorized_method(document.value(), method_id, task.purpose) {
            Ok(method) => {
                evidence["key"] = json!({"type": method.method_type, "publicKeyMultibase": method.key.to_multibase()});
                Some(method)
            }
            Err(error) => {
                // The version in force did not list the key (under the purpose): it was not authorized then. A
                // method that is listed but unusable is a fault of the document, not of the time.
                let absent = matches!(
                    error,
                    CredentialError::MethodNotInDocument(_) | CredentialError::MethodNotForPurpose { .. }
                );
                verdict.fail(match &version {
                    Some(version) if absent => {
                        issuance::not_authorized_then(task.as_of, &version.evidence, &error.to_string())
                    }
                    _ => finding(Check::Issuer, &error),
                });
                None
            }
        }
    }

    /// Whether `did`'s method keeps a version history (did:webvh), so that a proof is checked against the version in
    /// force at its moment rather than the latest.
    fn has_history(&self, did: &str) -> bool {
        let Ok(url) = DidUrl::parse(did) else { return false };
        self.grounds.resolver.methods().any(|method| method.name() == url.method && method.traits().history_available)
    }

    /// The signature check. The RDF suites run on the blocking pool: JSON-LD expansion and RDFC-1.0 of a document
    /// within the core's bounds can take a CPU for most of a second, which must not stall the tasks that answer other
    /// requests (probes included). The JCS suites take microseconds and run here.
    async fn verify_signature(
        &self,
        proof: DataIntegrityProof,
        document: &Map<String, Value>,
        key: PublicKey,
        purpose: &'static str,
    ) -> Result<(), CredentialError> {
        if matches!(proof.cryptosuite(), Cryptosuite::EddsaJcs2022 | Cryptosuite::EcdsaJcs2019) {
            return proof.verify(document, &key, purpose, self.grounds.contexts);
        }
        // The semaphore is never closed, so a permit always comes.
        let _permit = self.grounds.canonicalizations.acquire().await;
        let (document, contexts) = (document.clone(), self.grounds.contexts.clone());
        tokio::task::spawn_blocking(move || proof.verify(&document, &key, purpose, &contexts)).await.unwrap_or_else(
            |error| Err(CredentialError::JsonLdExpansion(format!("the verification task failed: {error}"))),
        )
    }

    /// A presentation proof must carry the challenge and the domain the verifier asked for, if it asked.
    fn challenge_and_domain_match(&self, proof: &DataIntegrityProof, verdict: &mut Verdict) -> bool {
        let mut matched = true;
        if let Some(expected) = &self.options.challenge {
            if proof.challenge() != Some(expected.as_str()) {
                let message =
                    format!("the proof's challenge is {:?}, the verifier asked for {expected:?}", proof.challenge());
                verdict.fail(Finding::new(Check::Presentation, "challenge_mismatch", message));
                matched = false;
            }
        }
        if let Some(expected) = &self.options.domain {
            if !proof.domains().contains(&expected.as_str()) {
                let message = format!("the proof's domain {:?} does not include {expected:?}", proof.domains());
                verdict.fail(Finding::new(Check::Presentation, "domain_mismatch", message));
                matched = false;
            }
        }
        matched
    }

    fn check_validity(&self, credential: &Credential, verdict: &mut Verdict) {
        verdict.ran(Check::Validity);
        let tolerance = time::Duration::seconds(i64::try_from(self.grounds.config.clock_skew_s).unwrap_or(i64::MAX));
        let now = OffsetDateTime::from_unix_timestamp(self.now.unix_seconds()).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let outcome = validity::check(credential, now, tolerance);
        let rfc3339 = |at: Option<OffsetDateTime>| {
            at.and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
        };
        verdict.evidence(
            Check::Validity,
            json!({
                "validFrom": rfc3339(credential.valid_from()),
                "validUntil": rfc3339(credential.valid_until()),
                "checkedAt": rfc3339(Some(now)),
                "toleranceSeconds": self.grounds.config.clock_skew_s,
                "inForce": outcome.is_in_force(),
                "message": outcome.to_string(),
            }),
        );
        let code = match outcome {
            Validity::InForce => return,
            Validity::NotYetValid { .. } => "not_yet_valid",
            Validity::Expired { .. } => "expired",
        };
        verdict.fail(Finding::new(Check::Validity, code, outcome.to_string()));
    }

    fn check_trust(&self, credential: &Credential, verdict: &mut Verdict) {
        if self.grounds.config.trust == TrustPolicy::Off {
            return;
        }
        verdict.ran(Check::Trust);
        let resource = match &self.options.resource {
            Some(resource) => resource.clone(),
            None => {
                trust::resource_for(credential.types(), credential.ler_type().map(ler_type_name), self.grounds.config)
            }
        };
        let issuer = credential.issuer();
        let answer = trust::ask(
            self.grounds.registries,
            issuer,
            resource,
            self.options.authority_id.as_deref(),
            self.options.proof,
            self.now,
        );
        verdict.evidence(
            Check::Trust,
            json!({"entity_id": issuer, "action": trust::ISSUE_ACTION, "resource": answer.resource, "answers": answer.answers}),
        );
        if let Some(authority) = &answer.unknown_authority {
            let message = format!("this node neither hosts nor mirrors a registry of {authority}");
            verdict.fail(Finding::new(Check::Trust, "unknown_authority", message));
        }
        if answer.authorized {
            return;
        }
        let asked = if answer.answers.is_empty() {
            "no registry was asked".to_owned()
        } else {
            format!("{} registr{} asked", answer.answers.len(), if answer.answers.len() == 1 { "y" } else { "ies" })
        };
        let finding = Finding::new(
            Check::Trust,
            "issuer_not_authorized",
            format!("no registry authorizes {issuer} to {} {} ({asked})", trust::ISSUE_ACTION, answer.resource),
        );
        match self.grounds.config.trust {
            TrustPolicy::Required => verdict.fail(finding),
            TrustPolicy::Warning | TrustPolicy::Off => verdict.warn(finding),
        }
    }

    /// A CLR's nested achievement credentials (`credentialSubject.verifiableCredential`) are each verified whole.
    async fn check_nested(&self, credential: &Credential, verdict: &mut Verdict) -> Result<(), RequestError> {
        let Some(nested) = credential.nested_credentials() else { return Ok(()) };
        verdict.ran(Check::Nested);
        self.count(nested.len())?;
        let mut verdicts = Vec::with_capacity(nested.len());
        for (n, inner) in nested.into_iter().enumerate() {
            let inner = Box::pin(self.check_credential(inner)).await?.conclude();
            if !inner.verified {
                let message = format!("nested credential {n} is not verified: {}", reasons(&inner));
                verdict.fail(Finding::new(Check::Nested, "nested_not_verified", message));
            }
            verdicts.push(serde_json::to_value(&inner).unwrap_or(Value::Null));
        }
        verdict.evidence(Check::Nested, Value::Array(verdicts));
        Ok(())
    }
}

/// The registry resource name of an LER type.
fn ler_type_name(ler_type: LerType) -> &'static str {
    match ler_type {
        LerType::Clr => "ClrCredential",
        LerType::OpenBadge => "OpenBadgeCredential",
    }
}

fn data_model_name(data_model: DataModel) -> &'static str {
    match data_model {
        DataModel::V1_1 => "1.1",
        DataModel::V2_0 => "2.0",
    }
}

fn describe(credential: &Credential) -> Value {
    json!({
        "id": credential.id(),
        "type": credential.types(),
        "lerType": credential.ler_type().map(ler_type_name),
        "dataModel": data_model_name(credential.data_model()),
        "issuer": credential.issuer(),
    })
}

/// The `check/code` of each error of a verdict, for the message of the verdict that holds it.
fn reasons(verdict: &Verdict) -> String {
    let reasons: Vec<String> = verdict.errors.iter().map(|f| format!("{}/{}", f.check.name(), f.code)).collect();
    reasons.join(", ")
}

fn finding(check: Check, error: &CredentialError) -> Finding {
    Finding::new(check, error.code(), error.to_string())
}
