//! The `parameters` of log entries: each entry's raw object checked against the types and allowed values of its
//! method version, then applied over the parameters in force (a parameter an entry leaves out keeps its value).
//!
//! v1.0 forbids `null`; v0.5 used it for "back to the default", and witnesses there carry a `weight` with a
//! threshold over the weights. Validation only: which keys sign and which witnesses approve an entry is decided in
//! `verify`, from what this module returns.

use serde_json::{Map, Value};
use trustnode_did::public_key::KeyType;

use crate::error::{LogError, Rule};
use crate::hash::is_multihash;

/// A did:webvh specification version a log can declare in `method`. Ordered: a log may only move up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum MethodVersion {
    V0_5,
    V1_0,
}

impl MethodVersion {
    fn parse(method: &str) -> Option<MethodVersion> {
        match method {
            "did:webvh:0.5" => Some(MethodVersion::V0_5),
            "did:webvh:1.0" => Some(MethodVersion::V1_0),
            _ => None,
        }
    }
}

/// One witness: its did:key DID, the Multikey in it, and its weight (1 in v1.0, where each distinct id counts once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Witness {
    pub id: String,
    pub multikey: String,
    pub weight: u64,
}

/// A witness configuration that is on: the threshold and at least one witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Witnesses {
    pub threshold: u64,
    pub witnesses: Vec<Witness>,
}

/// The parameters in force after an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parameters {
    pub method: MethodVersion,
    pub scid: String,
    pub update_keys: Vec<String>,
    pub next_key_hashes: Vec<String>,
    pub witness: Option<Witnesses>,
    pub watchers: Vec<String>,
    pub portable: bool,
    pub deactivated: bool,
    pub ttl: u64,
}

/// Which parameters an entry stated explicitly, for the rules that need more than the values in force.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stated {
    pub update_keys: bool,
    pub next_key_hashes: bool,
}

/// The default `ttl`, in seconds.
const DEFAULT_TTL: u64 = 3600;

/// The largest `ttl` the specification allows: 2^31 seconds.
const MAX_TTL: u64 = 1 << 31;

/// Every parameter name the supported versions define.
const KNOWN: [&str; 9] =
    ["method", "scid", "updateKeys", "nextKeyHashes", "witness", "watchers", "portable", "deactivated", "ttl"];

/// Checks entry `line`'s raw `parameters` and applies them over `previous` (`None` for the first entry).
pub(crate) fn apply(
    line: u64,
    previous: Option<&Parameters>,
    raw: &Map<String, Value>,
) -> Result<(Parameters, Stated), LogError> {
    let fail = |rule: Rule, detail: String| LogError::at(line, rule, detail);
    if let Some(unknown) = raw.keys().find(|name| !KNOWN.contains(&name.as_str())) {
        return Err(fail(Rule::Parameters, format!("unknown parameter {unknown:?}")));
    }
    let method = match (raw.get("method"), previous) {
        (Some(Value::String(text)), _) => {
            let method = MethodVersion::parse(text).ok_or_else(|| {
                fail(
                    Rule::MethodVersion,
                    format!("method {text:?} is not a supported did:webvh version (did:webvh:1.0, did:webvh:0.5)"),
                )
            })?;
            if previous.is_some_and(|previous| method < previous.method) {
                return Err(fail(Rule::MethodVersion, format!("method {text:?} moves the log to a lower version")));
            }
            method
        }
        (Some(_), _) => return Err(fail(Rule::MethodVersion, "method must be a string".to_owned())),
        (None, Some(previous)) => previous.method,
        (None, None) => return Err(fail(Rule::MethodVersion, "the first entry must state method".to_owned())),
    };
    // `null` is "back to the default" in v0.5 logs and forbidden from v1.0 on.
    let value = |name: &str| -> Result<Option<&Value>, LogError> {
        match raw.get(name) {
            Some(Value::Null) if method == MethodVersion::V1_0 => {
                Err(fail(Rule::Parameters, format!("{name} is null, which did:webvh:1.0 does not allow")))
            }
            other => Ok(other),
        }
    };
    let first = previous.is_none();

    let scid = match (value("scid")?, previous) {
        (Some(Value::String(scid)), None) if is_multihash(scid) => scid.clone(),
        (Some(_), None) => return Err(fail(Rule::Scid, "scid must be a base58btc SHA-256 multihash".to_owned())),
        (None, None) => return Err(fail(Rule::Scid, "the first entry must state scid".to_owned())),
        (Some(_), Some(_)) => return Err(fail(Rule::Parameters, "scid may only appear in the first entry".to_owned())),
        (None, Some(previous)) => previous.scid.clone(),
    };

    if first && !raw.contains_key("updateKeys") {
        return Err(fail(Rule::Parameters, "the first entry must state updateKeys".to_owned()));
    }
    let is_multikey = |key: &str| key.starts_with('z') && !key.contains(':');
    let update_keys = list(value("updateKeys")?, "updateKeys", is_multikey, "a Multikey (z…)")
        .map_err(|detail| fail(Rule::Parameters, detail))?;
    let next_key_hashes = list(value("nextKeyHashes")?, "nextKeyHashes", is_multihash, "a SHA-256 multihash")
        .map_err(|detail| fail(Rule::Parameters, detail))?;
    let stated = Stated { update_keys: update_keys.is_some(), next_key_hashes: next_key_hashes.is_some() };
    let update_keys = update_keys.or_else(|| previous.map(|p| p.update_keys.clone())).unwrap_or_default();
    let next_key_hashes = next_key_hashes.or_else(|| previous.map(|p| p.next_key_hashes.clone())).unwrap_or_default();

    let witness = match value("witness")? {
        Some(Value::Null) => None,
        Some(Value::Object(witness)) => {
            witnesses(witness, method).map_err(|detail| fail(Rule::Parameters, format!("witness: {detail}")))?
        }
        Some(_) => return Err(fail(Rule::Parameters, "witness must be an object".to_owned())),
        None => previous.and_then(|p| p.witness.clone()),
    };

    let watchers = list(value("watchers")?, "watchers", |url| url.starts_with("https://"), "an https URL")
        .map_err(|detail| fail(Rule::Parameters, detail))?
        .or_else(|| previous.map(|p| p.watchers.clone()))
        .unwrap_or_default();

    let portable = match value("portable")? {
        Some(Value::Bool(true)) if !first => {
            return Err(fail(Rule::Portable, "portable: true is only allowed in the first entry".to_owned()))
        }
        Some(Value::Bool(portable)) => *portable,
        Some(Value::Null) => false,
        Some(_) => return Err(fail(Rule::Parameters, "portable must be a boolean".to_owned())),
        None => previous.is_some_and(|p| p.portable),
    };

    let deactivated = match value("deactivated")? {
        Some(Value::Bool(deactivated)) => *deactivated,
        Some(Value::Null) => false,
        Some(_) => return Err(fail(Rule::Parameters, "deactivated must be a boolean".to_owned())),
        None => previous.is_some_and(|p| p.deactivated),
    };

    let ttl = match value("ttl")? {
        Some(Value::Null) => DEFAULT_TTL,
        Some(Value::Number(ttl)) => ttl
            .as_u64()
            .filter(|ttl| *ttl <= MAX_TTL)
            .ok_or_else(|| fail(Rule::Parameters, format!("ttl {ttl} is not an integer from 0 to 2^31")))?,
        Some(_) => return Err(fail(Rule::Parameters, "ttl must be a number of seconds".to_owned())),
        None => previous.map_or(DEFAULT_TTL, |p| p.ttl),
    };

    let parameters =
        Parameters { method, scid, update_keys, next_key_hashes, witness, watchers, portable, deactivated, ttl };
    Ok((parameters, stated))
}

/// A list parameter as the entry states it: `None` when absent, empty for `null` (v0.5), otherwise an array of
/// strings that each pass `valid`.
fn list(
    value: Option<&Value>,
    name: &str,
    valid: impl Fn(&str) -> bool,
    what: &str,
) -> Result<Option<Vec<String>>, String> {
    let items = match value {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(Vec::new())),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(format!("{name} must be an array")),
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(text) if valid(text) => Ok(text.clone()),
            other => Err(format!("{name} holds {other}, which is not {what}")),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// A `witness` object: `{}` (off), or a threshold over a non-empty list of distinct Ed25519 did:key witnesses.
fn witnesses(witness: &Map<String, Value>, method: MethodVersion) -> Result<Option<Witnesses>, String> {
    if witness.is_empty() {
        return Ok(None);
    }
    if let Some(unknown) = witness.keys().find(|name| !matches!(name.as_str(), "threshold" | "witnesses")) {
        return Err(format!("unknown member {unknown:?}"));
    }
    let threshold = witness
        .get("threshold")
        .and_then(Value::as_u64)
        .filter(|threshold| *threshold >= 1)
        .ok_or("threshold must be an integer of at least 1")?;
    let Some(Value::Array(list)) = witness.get("witnesses") else { return Err("witnesses must be an array".into()) };
    if list.is_empty() {
        return Err("witnesses must not be empty (use {} for no witnesses)".into());
    }
    let mut witnesses: Vec<Witness> = Vec::with_capacity(list.len());
    for item in list {
        let witness = self::witness(item, method)?;
        if witnesses.iter().any(|known| known.multikey == witness.multikey) {
            return Err(format!("{} is listed twice", witness.id));
        }
        witnesses.push(witness);
    }
    let total: u64 = witnesses.iter().map(|witness| witness.weight).sum();
    if threshold > total {
        return Err(format!("threshold {threshold} is more than the witnesses can reach ({total})"));
    }
    Ok(Some(Witnesses { threshold, witnesses }))
}

/// One entry of a witness list: `{id}` in v1.0, `{id, weight}` in v0.5.
fn witness(item: &Value, method: MethodVersion) -> Result<Witness, String> {
    let Value::Object(item) = item else { return Err("each witness must be an object".into()) };
    let allowed: &[&str] = match method {
        MethodVersion::V1_0 => &["id"],
        MethodVersion::V0_5 => &["id", "weight"],
    };
    if let Some(unknown) = item.keys().find(|name| !allowed.contains(&name.as_str())) {
        return Err(format!("unknown witness member {unknown:?}"));
    }
    let Some(Value::String(id)) = item.get("id") else { return Err("each witness needs an id".into()) };
    let multikey = witness_key(id).ok_or_else(|| format!("witness id {id:?} is not an Ed25519 did:key DID"))?;
    let weight = match item.get("weight") {
        None => 1,
        Some(weight) => weight.as_u64().filter(|w| *w >= 1).ok_or("a witness weight must be a positive integer")?,
    };
    Ok(Witness { id: id.clone(), multikey: multikey.to_owned(), weight })
}

/// The Multikey of a witness id: an Ed25519 `did:key:z…` DID, or — as didwebvh-rs writes them — the bare Multikey,
/// which names the same key without ambiguity. `None` for anything else.
fn witness_key(id: &str) -> Option<&str> {
    let multikey = id.strip_prefix("did:key:").unwrap_or(id);
    let valid = multikey.starts_with('z')
        && !multikey.contains([':', '#', '/', '?'])
        && trustnode_did::key::decode(multikey).is_ok_and(|key| key.key_type() == KeyType::Ed25519);
    valid.then_some(multikey)
}
