//! The Data Integrity proofs of did:webvh: entry proofs (over the entry without `proof`) and witness proofs (over
//! `{"versionId": …}`), both exactly `DataIntegrityProof` / `eddsa-jcs-2022` / `assertionMethod`, made by the key
//! the `did:key:<multikey>#<multikey>` verification method names in its body — the fragment must be the same
//! text, and the key is decoded from it, never resolved.
//!
//! The signed bytes are [`trustnode_jcs::proof_hash_data`] with SHA-256, as the credential core computes them for
//! the same suite. Which keys may sign is the caller's question (`authorized`).

use serde_json::{Map, Value};
use sha2::Sha256;
use trustnode_did::public_key::PublicKey;

use crate::error::Rule;

/// The only cryptosuite did:webvh v1.0 (and v0.5) allows, for entries and witnesses alike.
pub(crate) const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// Checks one proof over `document` and returns the Multikey that made it. `authorized` says whether that Multikey
/// may sign; a proof by any other key is [`Rule::UnauthorizedKey`], every other defect [`Rule::Proof`].
pub(crate) fn check<'p>(
    proof: &'p Value,
    document: &Value,
    authorized: impl Fn(&str) -> bool,
) -> Result<&'p str, (Rule, String)> {
    let bad = |detail: String| (Rule::Proof, detail);
    let Value::Object(proof) = proof else { return Err(bad("a proof must be an object".to_owned())) };
    let member = |name: &str| match proof.get(name) {
        Some(Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err(bad(format!("proof {name} must be a string"))),
        None => Err(bad(format!("the proof has no {name}"))),
    };
    if member("type")? != "DataIntegrityProof" {
        return Err(bad(format!("proof type {:?} is not DataIntegrityProof", member("type")?)));
    }
    let suite = member("cryptosuite")?;
    if suite != CRYPTOSUITE {
        return Err(bad(format!("cryptosuite {suite:?} is not {CRYPTOSUITE}")));
    }
    let purpose = member("proofPurpose")?;
    if purpose != "assertionMethod" {
        return Err(bad(format!("proofPurpose {purpose:?} is not assertionMethod")));
    }
    if proof.contains_key("@context") {
        return Err(bad("did:webvh proofs carry no @context".to_owned()));
    }
    let method = member("verificationMethod")?;
    let multikey = did_key_method(method)
        .ok_or_else(|| bad(format!("verificationMethod {method:?} is not did:key:<key>#<the same key>")))?;
    if !authorized(multikey) {
        return Err((Rule::UnauthorizedKey, format!("{multikey} is not an authorized key here")));
    }
    let key = match trustnode_did::key::decode(multikey) {
        Ok(PublicKey::Ed25519(key)) => key,
        Ok(other) => return Err(bad(format!("{multikey} is a {} key, not Ed25519", other.key_type().name()))),
        Err(error) => return Err(bad(format!("{multikey} is not a key: {}", error.detail))),
    };
    let signature = member("proofValue")?
        .strip_prefix('z')
        .and_then(|base58| multibase::Base::Base58Btc.decode(base58).ok())
        .ok_or_else(|| bad("proofValue is not base58btc (z…)".to_owned()))?;
    let mut options: Map<String, Value> = proof.clone();
    options.remove("proofValue");
    let message = trustnode_jcs::proof_hash_data::<Sha256>(&Value::Object(options), document)
        .map_err(|error| bad(format!("the signed data has no canonical form: {error}")))?;
    if !key.verify(&message, &signature) {
        return Err(bad(format!("the signature by {multikey} does not verify")));
    }
    Ok(multikey)
}

/// The Multikey of a `did:key:<multikey>#<multikey>` verification method whose body and fragment are the same text.
fn did_key_method(method: &str) -> Option<&str> {
    let (body, fragment) = method.strip_prefix("did:key:")?.split_once('#')?;
    (body == fragment && !body.is_empty()).then_some(body)
}
