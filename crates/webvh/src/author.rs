//! Making did:webvh logs (feature `author`): create with a SCID, update, rotate keys, commit to the next keys
//! (pre-rotation), witness, deactivate and move a portable DID, signing with Ed25519 keys — the same hashing and
//! proofs a publisher's library produces. For tests (this crate's and other crates' HTTP tests) and the benchmark;
//! a resolver never needs it.
//!
//! [`LogBuilder::tamper`] changes an entry after the fact, re-hashing and re-signing it on request, so tests can
//! build logs that break exactly one rule. A test tool: the builder panics when given values that have no canonical
//! JSON form (integers beyond 2^53), or a version number that is not in the log.

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::hash::{entry_hash, template_hash, SCID_PLACEHOLDER};
use crate::proof::CRYPTOSUITE;

/// The Multikey (`z6Mk…`) of an Ed25519 key: what `updateKeys` lists and `did:key` names.
pub fn multikey(key: &SigningKey) -> String {
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(key.verifying_key().as_bytes());
    multibase::encode(multibase::Base::Base58Btc, bytes)
}

/// The `did:key` DID of an Ed25519 key, as a witness `id`.
pub fn did_key(key: &SigningKey) -> String {
    format!("did:key:{}", multikey(key))
}

/// A minimal DID document for `did`: one Multikey verification method per key, each for authentication and
/// assertion.
pub fn document(did: &str, keys: &[&SigningKey]) -> Value {
    let methods: Vec<Value> = keys
        .iter()
        .map(|key| {
            let multikey = multikey(key);
            json!({"id": format!("{did}#{}", &multikey[multikey.len() - 8..]), "type": "Multikey", "controller": did, "publicKeyMultibase": multikey})
        })
        .collect();
    let ids: Vec<Value> = methods.iter().map(|method| method["id"].clone()).collect();
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "authentication": ids,
        "assertionMethod": ids,
    })
}

/// A did:webvh log being written, and its witness proofs.
#[derive(Debug, Clone)]
pub struct LogBuilder {
    entries: Vec<Map<String, Value>>,
    witness_proofs: Vec<(String, Vec<Value>)>,
    scid: String,
}

impl LogBuilder {
    /// Creates a DID at `place` (the identifier after the SCID: `example.com`, `example.com%3A8443:dids:issuer`)
    /// with a first entry carrying `parameters` (an object; `scid` is added, and `method` `did:webvh:1.0` unless it
    /// names one) and the document
    /// `document(did)`, signed by `signer` at `time`.
    pub fn create(
        place: &str,
        parameters: Value,
        document: impl FnOnce(&str) -> Value,
        time: OffsetDateTime,
        signer: &SigningKey,
    ) -> LogBuilder {
        let mut parameters = parameters.as_object().cloned().unwrap_or_default();
        parameters.entry("method").or_insert_with(|| json!("did:webvh:1.0"));
        parameters.insert("scid".into(), json!(SCID_PLACEHOLDER));
        let did = format!("did:webvh:{SCID_PLACEHOLDER}:{place}");
        let template = json!({
            "versionId": SCID_PLACEHOLDER,
            "versionTime": timestamp(time),
            "parameters": parameters,
            "state": document(&did),
        });
        let template = template.to_string();
        let scid = template_hash(&template).expect("a builder's template is canonical JSON");
        let body: Map<String, Value> =
            serde_json::from_str(&template.replace(SCID_PLACEHOLDER, &scid)).expect("the template stays JSON");
        let mut builder = LogBuilder { entries: Vec::new(), witness_proofs: Vec::new(), scid };
        builder.append(body, signer);
        builder
    }

    /// The SCID.
    pub fn scid(&self) -> &str {
        &self.scid
    }

    /// The DID as the latest entry names it.
    pub fn did(&self) -> String {
        self.state(self.entries.len())["id"].as_str().unwrap_or_default().to_owned()
    }

    /// The `versionId` of version `version` (1-based).
    pub fn version_id(&self, version: usize) -> String {
        self.entries[version - 1]["versionId"].as_str().unwrap_or_default().to_owned()
    }

    /// Appends an entry with `parameters` (an object, `{}` for none) and `document` (or the previous document),
    /// signed by `signer` at `time`; returns its `versionId`.
    pub fn update(
        &mut self,
        parameters: Value,
        document: Option<Value>,
        time: OffsetDateTime,
        signer: &SigningKey,
    ) -> String {
        let state = document.unwrap_or_else(|| self.state(self.entries.len()).clone());
        let body = json!({
            "versionId": self.version_id(self.entries.len()),
            "versionTime": timestamp(time),
            "parameters": parameters,
            "state": state,
        });
        self.append(body.as_object().cloned().unwrap_or_default(), signer);
        self.version_id(self.entries.len())
    }

    /// Appends an entry that deactivates the DID (and empties `updateKeys`, which needs pre-rotation off).
    pub fn deactivate(&mut self, time: OffsetDateTime, signer: &SigningKey) -> String {
        self.update(json!({"deactivated": true, "updateKeys": []}), None, time, signer)
    }

    /// Appends an entry that moves a portable DID to `place`: the document's DID is replaced everywhere and the old
    /// DID is added to `alsoKnownAs`.
    pub fn move_to(&mut self, place: &str, time: OffsetDateTime, signer: &SigningKey) -> String {
        let old = self.did();
        let new = format!("did:webvh:{}:{place}", self.scid);
        let text = self.state(self.entries.len()).to_string().replace(&old, &new);
        let mut state: Value = serde_json::from_str(&text).expect("the document stays JSON");
        if let Some(names) = state
            .as_object_mut()
            .and_then(|state| state.entry("alsoKnownAs").or_insert_with(|| json!([])).as_array_mut())
        {
            names.push(json!(old));
        }
        self.update(json!({}), Some(state), time, signer)
    }

    /// Adds `witness`'s proof over version `version` (1-based) to the witness file.
    pub fn witness(&mut self, version: usize, witness: &SigningKey) {
        let version_id = self.version_id(version);
        let proof = sign(&json!({ "versionId": version_id }), witness, &self.entries[version - 1]["versionTime"]);
        match self.witness_proofs.iter_mut().find(|(id, _)| *id == version_id) {
            Some((_, proofs)) => proofs.push(proof),
            None => self.witness_proofs.push((version_id, vec![proof])),
        }
    }

    /// Forgets every witness proof (to write another witness file for the same log).
    pub fn clear_witness_proofs(&mut self) {
        self.witness_proofs.clear();
    }

    /// Changes version `version` (1-based) with `change` (which sees the whole entry, `proof` included). With
    /// `rehash` its `versionId` gets the hash of the changed entry (keeping the number the change left); with a
    /// `signer` its proof is replaced by one over the changed entry. Later entries are left as they were.
    pub fn tamper(
        &mut self,
        version: usize,
        rehash: bool,
        signer: Option<&SigningKey>,
        change: impl FnOnce(&mut Map<String, Value>),
    ) {
        let previous = match version {
            1 => self.scid.clone(),
            _ => self.version_id(version - 1),
        };
        let entry = &mut self.entries[version - 1];
        change(entry);
        if rehash {
            let number = entry["versionId"].as_str().and_then(|id| id.split('-').next()).unwrap_or("0").to_owned();
            let hash = entry_hash(entry, &previous).expect("a tampered entry is still canonical JSON");
            entry.insert("versionId".into(), json!(format!("{number}-{hash}")));
        }
        if let Some(signer) = signer {
            entry.remove("proof");
            let proof = sign(&Value::Object(entry.clone()), signer, &entry["versionTime"]);
            entry.insert("proof".into(), json!([proof]));
        }
    }

    /// The bytes of `did.jsonl`: one entry per line, each ending in a newline.
    pub fn log(&self) -> Vec<u8> {
        self.entries.iter().flat_map(|entry| format!("{}\n", Value::Object(entry.clone())).into_bytes()).collect()
    }

    /// The bytes of `did-witness.json`.
    pub fn witness_file(&self) -> Vec<u8> {
        let items: Vec<Value> =
            self.witness_proofs.iter().map(|(id, proofs)| json!({"versionId": id, "proof": proofs})).collect();
        Value::Array(items).to_string().into_bytes()
    }

    fn state(&self, version: usize) -> &Value {
        &self.entries[version - 1]["state"]
    }

    /// Hashes `body` (its `versionId` is the previous one, or the SCID) into its `versionId` and signs it.
    fn append(&mut self, mut body: Map<String, Value>, signer: &SigningKey) {
        let previous = body["versionId"].as_str().unwrap_or_default().to_owned();
        let hash = entry_hash(&body, &previous).expect("a builder's entry is canonical JSON");
        body.insert("versionId".into(), json!(format!("{}-{hash}", self.entries.len() + 1)));
        let proof = sign(&Value::Object(body.clone()), signer, &body["versionTime"]);
        body.insert("proof".into(), json!([proof]));
        self.entries.push(body);
    }
}

/// An eddsa-jcs-2022 proof by `signer` over `document`, created at `created`.
fn sign(document: &Value, signer: &SigningKey, created: &Value) -> Value {
    let multikey = multikey(signer);
    let mut proof = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": format!("did:key:{multikey}#{multikey}"),
        "created": created,
        "proofPurpose": "assertionMethod",
    });
    let message = trustnode_jcs::proof_hash_data::<Sha256>(&proof, document).expect("builder data is canonical JSON");
    let signature = signer.sign(&message).to_bytes();
    proof["proofValue"] = json!(multibase::encode(multibase::Base::Base58Btc, signature));
    proof
}

/// `versionTime` text: RFC 3339 in UTC, whole seconds, `Z`.
fn timestamp(time: OffsetDateTime) -> String {
    let time = time.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(time);
    time.format(&Rfc3339).unwrap_or_default()
}
