//! A verified did:webvh history and the version queries over it: `Latest`, `versionId`, `versionTime` (the version
//! in force at that time) and `versionNumber`, with the document metadata the specification lists.
//!
//! A history may end before the log does (the log's tail failed verification): then `Latest`, and any query that
//! would land on or beyond the failed entry, answer that failure instead of silently serving an older key.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use trustnode_did::error::{not_found, ResolutionError};

use crate::error::LogError;
use crate::parameters::{Parameters, Witnesses};

/// One verified version.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub version_id: String,
    pub version_time: OffsetDateTime,
    /// `versionTime` as the log writes it.
    pub version_time_text: String,
    /// The document with the implicit `#files` and `#whois` services.
    pub document: Value,
    /// The parameters in force after this version.
    pub parameters: Parameters,
    /// The witnesses this version needed (the list in force before it, or its own when witnessing starts with it).
    pub witnesses: Option<Witnesses>,
}

/// The verified versions of a DID, in order, and the failure that ended verification early, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub(crate) records: Vec<Record>,
    pub(crate) failure: Option<LogError>,
}

/// Which version a resolution asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionQuery {
    /// The latest version (refused when the log's tail failed verification).
    Latest,
    /// The version with this exact `versionId`.
    Id(String),
    /// The version in force at this time: the last whose `versionTime` is not after it.
    Time(OffsetDateTime),
    /// The version with this number (the part of `versionId` before the dash).
    Number(u64),
}

/// One verification method of a version's document: its `id` and its key as published.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodKey {
    /// The verification method's `id`.
    pub id: String,
    /// Its `publicKeyMultibase` string or `publicKeyJwk` object (`null` when it has neither).
    pub public_key: Value,
}

/// What one version was: for version-history views and for choosing the key in force at a credential's time.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSummary {
    /// The version's `versionId`.
    pub version_id: String,
    /// The version's `versionTime`.
    pub version_time: OffsetDateTime,
    /// The `updateKeys` in force after this version (who may sign the next one).
    pub update_keys: Vec<String>,
    /// The document's verification methods.
    pub verification_methods: Vec<MethodKey>,
    /// Whether this version deactivated the DID.
    pub deactivated: bool,
}

/// One version picked by a query, with what the resolver returns for it.
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    history: &'a History,
    index: usize,
}

impl History {
    /// The version a query names. NOT_FOUND when no verified version matches; the verification failure when the
    /// query asks for the latest version of a log whose tail failed, or lands on or beyond the failed entry.
    pub fn select(&self, query: &VersionQuery) -> Result<Version<'_>, ResolutionError> {
        let Some(last) = self.records.len().checked_sub(1) else {
            return Err(not_found("the DID has no verified version"));
        };
        let index = match query {
            VersionQuery::Latest => Some(last),
            VersionQuery::Id(id) => self.records.iter().position(|record| &record.version_id == id),
            VersionQuery::Number(number) => {
                usize::try_from(*number).ok().filter(|number| (1..=self.records.len()).contains(number)).map(|n| n - 1)
            }
            VersionQuery::Time(time) => {
                let in_force = self.records.partition_point(|record| record.version_time <= *time);
                if in_force == 0 {
                    return Err(not_found(format!("the DID did not exist yet at {time}")));
                }
                Some(in_force - 1)
            }
        };
        // Whatever followed the last verified version is unknown: the latest version, a time after it, and a version
        // that is not among the verified ones are all answered with the failure, never with an older version.
        let reaches_failure = match (query, index) {
            (VersionQuery::Id(_) | VersionQuery::Number(_), Some(_)) => false,
            (VersionQuery::Latest | VersionQuery::Time(_), Some(index)) => index == last,
            (_, None) => true,
        };
        match (&self.failure, index) {
            (Some(failure), _) if reaches_failure => Err(failure.clone().into()),
            (_, Some(index)) => Ok(Version { history: self, index }),
            (_, None) => Err(not_found(match query {
                VersionQuery::Id(id) => format!("the DID has no version {id:?}"),
                VersionQuery::Number(number) => format!("the DID has no version number {number}"),
                _ => "no such version".to_owned(),
            })),
        }
    }

    /// How many versions were verified.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no version was verified (never, for a history `Log::verify` returned).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The failure that ended verification before the end of the log, if any.
    pub fn failure(&self) -> Option<&LogError> {
        self.failure.as_ref()
    }

    /// Whether this history is `earlier` with zero or more versions appended: the same `versionId`s for every version
    /// `earlier` has (append-only; a rewritten history is not an extension).
    pub fn extends(&self, earlier: &History) -> bool {
        earlier.records.len() <= self.records.len()
            && earlier.records.iter().zip(&self.records).all(|(old, new)| old.version_id == new.version_id)
    }

    /// Every verified version, in order.
    pub fn versions(&self) -> impl Iterator<Item = VersionSummary> + '_ {
        self.records.iter().map(|record| VersionSummary {
            version_id: record.version_id.clone(),
            version_time: record.version_time,
            update_keys: record.parameters.update_keys.clone(),
            verification_methods: method_keys(&record.document),
            deactivated: record.parameters.deactivated,
        })
    }
}

fn method_keys(document: &Value) -> Vec<MethodKey> {
    let methods = document.get("verificationMethod").and_then(Value::as_array);
    methods
        .into_iter()
        .flatten()
        .filter_map(|method| {
            let id = method.get("id")?.as_str()?.to_owned();
            let public_key = method.get("publicKeyMultibase").or(method.get("publicKeyJwk")).cloned();
            Some(MethodKey { id, public_key: public_key.unwrap_or(Value::Null) })
        })
        .collect()
}

impl<'a> Version<'a> {
    fn record(&self) -> &'a Record {
        &self.history.records[self.index]
    }

    fn last(&self) -> &'a Record {
        // A Version exists only for an index into a non-empty history.
        self.history.records.last().unwrap_or(self.record())
    }

    /// The DID document of this version, with the implicit `#files` and `#whois` services; `None` when this version
    /// deactivated the DID.
    pub fn document(&self) -> Option<&'a Value> {
        let record = self.record();
        (!record.parameters.deactivated).then_some(&record.document)
    }

    /// The version's number (1 for the first).
    pub fn number(&self) -> u64 {
        self.index as u64 + 1
    }

    /// The version's `versionId`.
    pub fn version_id(&self) -> &'a str {
        &self.record().version_id
    }

    /// How long the DID may be cached, in seconds: the `ttl` in force after the last verified version.
    pub fn ttl_seconds(&self) -> u64 {
        self.last().parameters.ttl
    }

    /// The DID document metadata: `versionId`, `versionTime`, `versionNumber` and `nextVersionId` of this version;
    /// `created` (the first version's time); and, from the last verified version, `updated`, `scid`, `portable`,
    /// `deactivated`, `ttl` (a string), `witness` (the list that version needed, `threshold` a string, `{}` for none) and
    /// `watchers`.
    pub fn metadata(&self) -> Map<String, Value> {
        let record = self.record();
        let last = self.last();
        let current = &last.parameters;
        let mut metadata = Map::new();
        metadata.insert("versionId".into(), json!(record.version_id));
        metadata.insert("versionTime".into(), json!(record.version_time_text));
        metadata.insert("versionNumber".into(), json!(self.number()));
        if let Some(next) = self.history.records.get(self.index + 1) {
            metadata.insert("nextVersionId".into(), json!(next.version_id));
        }
        metadata.insert("created".into(), json!(self.history.records[0].version_time_text));
        metadata.insert("updated".into(), json!(last.version_time_text));
        metadata.insert("scid".into(), json!(current.scid));
        metadata.insert("portable".into(), json!(current.portable));
        metadata.insert("deactivated".into(), json!(current.deactivated));
        metadata.insert("ttl".into(), json!(current.ttl.to_string()));
        let witness = match &last.witnesses {
            Some(witness) => json!({
                "threshold": witness.threshold.to_string(),
                "witnesses": witness.witnesses.iter().map(|w| json!({"id": w.id})).collect::<Vec<_>>(),
            }),
            None => json!({}),
        };
        metadata.insert("witness".into(), witness);
        metadata.insert("watchers".into(), json!(current.watchers));
        metadata
    }
}
