//! Version queries over verified histories: `Latest`, `versionId`, `versionTime` (the version in force) and
//! `versionNumber`, with an invalid tail (explicit queries into the valid prefix resolve, `Latest` and anything
//! reaching the failure are refused), the metadata, the implicit services, append-only extension, the DID that must
//! be named, and v0.5 logs.

use ed25519_dalek::SigningKey;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use trustnode_did::error::ErrorCode;
use trustnode_webvh::author::{self, LogBuilder};
use trustnode_webvh::{History, Limits, Log, Rule, Verification, VersionQuery};

const LIMITS: Limits = Limits { max_entries: 100, max_bytes: 1 << 20 };
const START: OffsetDateTime = datetime!(2025-01-01 00:00 UTC);
const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn day(n: i64) -> OffsetDateTime {
    START + Duration::days(n)
}

/// Three versions a day apart; version 2 adds a key and a ttl.
fn three_versions() -> LogBuilder {
    let mut builder = two_versions();
    builder.update(json!({}), None, day(2), &key(1));
    builder
}

/// The first two of [`three_versions`].
fn two_versions() -> LogBuilder {
    let k0 = key(1);
    let mut builder = LogBuilder::create(
        "example.com:dids:a",
        json!({"updateKeys": [author::multikey(&k0)]}),
        |did| author::document(did, &[&k0]),
        day(0),
        &k0,
    );
    let did = builder.did();
    builder.update(json!({"ttl": 60}), Some(author::document(&did, &[&k0, &key(2)])), day(1), &k0);
    builder
}

fn verify(builder: &LogBuilder, did: &str) -> Verification {
    Log::parse(&builder.log(), &LIMITS).unwrap().verify(did, Some(&builder.witness_file()), NOW)
}

fn history(builder: &LogBuilder) -> History {
    verify(builder, &builder.did()).into_result().unwrap()
}

fn number(history: &History, query: VersionQuery) -> Result<u64, ErrorCode> {
    history.select(&query).map(|version| version.number()).map_err(|error| error.code)
}

#[test]
fn queries_pick_the_version_asked_for() {
    let builder = three_versions();
    let history = history(&builder);
    assert_eq!(history.len(), 3);
    assert_eq!(number(&history, VersionQuery::Latest), Ok(3));
    assert_eq!(number(&history, VersionQuery::Id(builder.version_id(2))), Ok(2));
    assert_eq!(number(&history, VersionQuery::Number(1)), Ok(1));
    // versionTime: the version in force then.
    assert_eq!(number(&history, VersionQuery::Time(day(0))), Ok(1));
    assert_eq!(number(&history, VersionQuery::Time(day(1) - Duration::seconds(1))), Ok(1));
    assert_eq!(number(&history, VersionQuery::Time(day(1))), Ok(2));
    assert_eq!(number(&history, VersionQuery::Time(day(400))), Ok(3));
    for missing in [
        VersionQuery::Time(day(0) - Duration::seconds(1)),
        VersionQuery::Id("2-QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n".to_owned()),
        VersionQuery::Number(0),
        VersionQuery::Number(4),
    ] {
        assert_eq!(number(&history, missing.clone()), Err(ErrorCode::NotFound), "{missing:?}");
    }
}

#[test]
fn metadata_and_documents_follow_the_specification() {
    let builder = three_versions();
    let history = history(&builder);
    let did = builder.did();
    let first = history.select(&VersionQuery::Number(1)).unwrap();
    let metadata = first.metadata();
    assert_eq!(metadata["versionId"], builder.version_id(1));
    assert_eq!(metadata["versionTime"], "2025-01-01T00:00:00Z");
    assert_eq!(metadata["versionNumber"], 1);
    assert_eq!(metadata["nextVersionId"], builder.version_id(2));
    assert_eq!(metadata["created"], "2025-01-01T00:00:00Z");
    assert_eq!(metadata["updated"], "2025-01-03T00:00:00Z", "the last valid entry's time");
    assert_eq!(metadata["scid"], builder.scid());
    assert_eq!((&metadata["portable"], &metadata["deactivated"]), (&json!(false), &json!(false)));
    assert_eq!(metadata["ttl"], "60", "a string, the value in force now");
    assert_eq!(first.ttl_seconds(), 60);
    assert_eq!((&metadata["witness"], &metadata["watchers"]), (&json!({}), &json!([])));
    let latest = history.select(&VersionQuery::Latest).unwrap();
    assert!(!latest.metadata().contains_key("nextVersionId"));
    let document = latest.document().unwrap();
    assert_eq!(
        document["service"],
        json!([
            {"id": format!("{did}#files"), "type": "relativeRef", "serviceEndpoint": "https://example.com/dids/a/"},
            {
                "@context": "https://identity.foundation/linked-vp/contexts/v1",
                "id": format!("{did}#whois"),
                "type": "LinkedVerifiablePresentation",
                "serviceEndpoint": "https://example.com/dids/a/whois.vp"
            }
        ])
    );
    let summaries: Vec<_> = history.versions().collect();
    assert_eq!(summaries.len(), 3);
    assert_eq!(summaries[0].verification_methods.len(), 1);
    assert_eq!(summaries[1].verification_methods[1].public_key, json!(author::multikey(&key(2))));
    assert_eq!(summaries[2].version_time, day(2));
    assert_eq!(summaries[2].update_keys, [author::multikey(&key(1))]);
}

#[test]
fn a_document_defining_its_own_files_service_keeps_it() {
    let k0 = key(1);
    let builder = LogBuilder::create(
        "example.com",
        json!({"updateKeys": [author::multikey(&k0)]}),
        |did| {
            let mut document = author::document(did, &[&k0]);
            document["service"] =
                json!([{"id": "#files", "type": "relativeRef", "serviceEndpoint": "https://cdn.example/"}]);
            document
        },
        day(0),
        &k0,
    );
    let history = history(&builder);
    let services = history.select(&VersionQuery::Latest).unwrap().document().unwrap()["service"].clone();
    let ids: Vec<&str> = services.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["#files".to_owned(), format!("{}#whois", builder.did())]);
    assert_eq!(services[0]["serviceEndpoint"], "https://cdn.example/");
}

#[test]
fn an_invalid_tail_keeps_the_prefix_for_explicit_queries_only() {
    let mut builder = three_versions();
    builder.tamper(3, false, None, |entry| entry["state"]["alsoKnownAs"] = json!(["did:web:evil.example"]));
    let verification = verify(&builder, &builder.did());
    let failure = verification.failure.clone().unwrap();
    assert_eq!((failure.rule, failure.entry), (Rule::EntryHash, Some(3)));
    let history = verification.history.clone().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history.failure(), Some(&failure));
    // The latest version is refused: a verifier must not silently get an old key.
    let refused = history.select(&VersionQuery::Latest).unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidDidDocument);
    assert!(refused.detail.contains("did:webvh log entry 3: entry-hash"), "{refused}");
    // Explicit queries into the valid prefix resolve; those reaching the failed entry do not.
    assert_eq!(number(&history, VersionQuery::Number(2)), Ok(2));
    assert_eq!(number(&history, VersionQuery::Id(builder.version_id(1))), Ok(1));
    assert_eq!(number(&history, VersionQuery::Time(day(1) - Duration::seconds(1))), Ok(1));
    assert_eq!(number(&history, VersionQuery::Time(day(1))), Err(ErrorCode::InvalidDidDocument));
    assert_eq!(number(&history, VersionQuery::Number(3)), Err(ErrorCode::InvalidDidDocument));
    assert_eq!(number(&history, VersionQuery::Id(builder.version_id(3))), Err(ErrorCode::InvalidDidDocument));
    assert_eq!(number(&history, VersionQuery::Time(day(0) - Duration::days(1))), Err(ErrorCode::NotFound));
    // The metadata of a prefix version reflects the last valid entry.
    let second = history.select(&VersionQuery::Number(2)).unwrap();
    assert_eq!(second.metadata()["updated"], "2025-01-02T00:00:00Z");
    assert!(verification.into_result().is_err());
}

#[test]
fn extension_is_append_only() {
    let full = three_versions();
    let two = two_versions();
    let (full, two) = (history(&full), history(&two));
    assert!(full.extends(&two));
    assert!(full.extends(&full));
    assert!(!two.extends(&full));
    // A rewritten version 2 (same number, other content) is no extension.
    let mut rewritten = three_versions();
    rewritten.tamper(2, true, Some(&key(1)), |entry| entry["parameters"]["ttl"] = json!(61));
    rewritten.tamper(3, true, Some(&key(1)), |entry| entry["versionId"] = json!("3-x"));
    let rewritten = history(&rewritten);
    assert!(!rewritten.extends(&two));
    assert!(!two.extends(&rewritten));
}

#[test]
fn the_log_must_name_the_did_asked_for() {
    let builder = three_versions();
    let other = builder.did().replace("dids:a", "dids:b");
    let verification = verify(&builder, &other);
    assert!(verification.history.is_none());
    let failure = verification.failure.unwrap();
    assert_eq!(failure.rule, Rule::StateId);
    assert!(failure.detail.contains(&other), "{failure}");
}

#[test]
fn v0_5_logs_read_null_as_the_default_and_weigh_witnesses() {
    let (k0, w0, w1) = (key(1), key(10), key(11));
    let mut builder = LogBuilder::create(
        "example.com",
        json!({
            "method": "did:webvh:0.5",
            "updateKeys": [author::multikey(&k0)],
            "nextKeyHashes": null,
            "witness": {"threshold": 2, "witnesses": [{"id": author::did_key(&w0), "weight": 1}, {"id": author::did_key(&w1), "weight": 2}]},
        }),
        |did| author::document(did, &[&k0]),
        day(0),
        &k0,
    );
    builder.update(json!({"watchers": null, "ttl": null}), None, day(1), &k0);
    builder.witness(2, &w1);
    let history = history(&builder);
    assert_eq!(history.len(), 2);
    let metadata = history.select(&VersionQuery::Latest).unwrap().metadata();
    assert_eq!(metadata["ttl"], "3600");
    assert_eq!(metadata["witness"]["threshold"], "2");

    // The lighter witness alone does not reach the threshold.
    let mut light = builder.clone();
    light.clear_witness_proofs();
    light.witness(2, &w0);
    let failure = verify(&light, &light.did()).failure.unwrap();
    assert_eq!((failure.rule, failure.entry), (Rule::WitnessThreshold, Some(1)));

    // A v0.5 log may move to v1.0, and then null is refused.
    let mut upgraded = builder.clone();
    upgraded.update(json!({"method": "did:webvh:1.0"}), None, day(2), &k0);
    upgraded.update(json!({"ttl": null}), None, day(3), &k0);
    upgraded.witness(4, &w1);
    let failure = verify(&upgraded, &upgraded.did()).failure.unwrap();
    assert_eq!((failure.rule, failure.entry), (Rule::Parameters, Some(4)), "{failure}");
}
