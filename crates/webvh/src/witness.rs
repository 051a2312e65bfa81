//! Witness approval: which entries need witnessing, which proofs in `did-witness.json` count, and whether each
//! entry reached its threshold.
//!
//! The witnesses an entry needs are those in force before it (a new list takes effect after its entry), except
//! when witnessing starts: a list replacing `{}` applies to its own entry. A witness approves an entry when it made
//! a valid proof over that entry's `versionId` or a later one of this log; proofs over other `versionId`s (another
//! DID's, an unpublished entry's) are ignored, each witness counts once however many proofs it made, and only its
//! latest valid proof needs checking (earlier ones cannot approve more).

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::error::{LogError, Rule};
use crate::log::Limits;
use crate::parameters::{Parameters, Witnesses};
use crate::proof;

/// The witnesses an entry needs, given the parameters in force before it (`None` for the first entry) and after
/// it: the earlier list while there is one, the entry's own when witnessing starts with it.
pub(crate) fn required<'p>(before: Option<&'p Parameters>, after: &'p Parameters) -> Option<&'p Witnesses> {
    before.and_then(|before| before.witness.as_ref()).or(after.witness.as_ref())
}

/// Checks that every entry needing witnesses has enough approvals. `required` and `version_ids` are the verified
/// entries' (the witnesses each needs, see [`required`]), `proofs` the bytes of `did-witness.json`. The error names
/// the first entry that is not witnessed.
pub(crate) fn check(
    required: &[Option<&Witnesses>],
    version_ids: &[&str],
    proofs: Option<&[u8]>,
    limits: &Limits,
) -> Result<(), LogError> {
    let Some(first) = required.iter().position(Option::is_some) else {
        return Ok(());
    };
    let fail = |index: usize, detail: String| LogError::at(index as u64 + 1, Rule::WitnessThreshold, detail);
    let Some(bytes) = proofs else {
        return Err(fail(first, "the entry needs witnesses and no did-witness.json was given".to_owned()));
    };
    let approvals = latest_approvals(required, version_ids, bytes, limits)?;
    for (index, witnesses) in required.iter().enumerate().skip(first) {
        let Some(witnesses) = witnesses else { continue };
        let weight: u64 = witnesses
            .witnesses
            .iter()
            .filter(|witness| approvals.get(witness.multikey.as_str()).is_some_and(|latest| *latest >= index))
            .map(|witness| witness.weight)
            .sum();
        if weight < witnesses.threshold {
            return Err(fail(index, format!("approved by {weight} of the {} witnesses needed", witnesses.threshold)));
        }
    }
    Ok(())
}

/// For each witness key, the index of the latest entry it validly approved.
fn latest_approvals<'a>(
    required: &[Option<&'a Witnesses>],
    version_ids: &[&str],
    bytes: &[u8],
    limits: &Limits,
) -> Result<HashMap<&'a str, usize>, LogError> {
    let fail = |detail: String| LogError::whole(Rule::Json, format!("did-witness.json: {detail}"));
    if bytes.len() > limits.max_bytes {
        return Err(LogError::whole(
            Rule::TooLarge,
            format!("did-witness.json has {} bytes, more than the limit of {}", bytes.len(), limits.max_bytes),
        ));
    }
    let file = trustnode_did::strict_json::from_slice(bytes).map_err(|error| fail(error.to_string()))?;
    let Value::Array(items) = file else { return Err(fail("not an array".to_owned())) };
    let index_of: HashMap<&str, usize> = version_ids.iter().enumerate().map(|(index, id)| (*id, index)).collect();
    let witness_keys: Vec<&'a str> = required
        .iter()
        .flatten()
        .flat_map(|witnesses| witnesses.witnesses.iter().map(|witness| witness.multikey.as_str()))
        .collect();

    // Every candidate proof with the entry it is about, latest entries first.
    let mut candidates: Vec<(usize, &str, &Value)> = Vec::new();
    for item in &items {
        let Value::Object(item) = item else { return Err(fail("each item must be an object".to_owned())) };
        if let Some(unknown) = item.keys().find(|name| !matches!(name.as_str(), "versionId" | "proof")) {
            return Err(fail(format!("unknown member {unknown:?}")));
        }
        let (Some(Value::String(version_id)), Some(Value::Array(proofs))) = (item.get("versionId"), item.get("proof"))
        else {
            return Err(fail("each item needs a versionId string and a proof array".to_owned()));
        };
        // Proofs over entries this log does not have (yet) approve nothing.
        let Some(index) = index_of.get(version_id.as_str()) else { continue };
        candidates.extend(proofs.iter().map(|proof| (*index, version_id.as_str(), proof)));
    }
    candidates.sort_by_key(|candidate| std::cmp::Reverse(candidate.0));

    let mut approvals: HashMap<&'a str, usize> = HashMap::new();
    for (index, version_id, proof) in candidates {
        let document = json!({ "versionId": version_id });
        let not_yet_approved = |key: &str| witness_keys.contains(&key) && !approvals.contains_key(key);
        // A proof that does not verify, or is by a key that is no witness, is ignored: the threshold decides.
        if let Ok(key) = proof::check(proof, &document, not_yet_approved) {
            if let Some(witness) = witness_keys.iter().find(|witness| **witness == key) {
                approvals.insert(witness, index);
            }
        }
    }
    Ok(approvals)
}
