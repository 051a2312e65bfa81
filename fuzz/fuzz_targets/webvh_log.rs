//! did:webvh logs: `Log::parse` and `Log::verify` on any `did.jsonl` bytes, with any `did-witness.json` bytes after
//! the first NUL byte, for the DID the first line's `state.id` names. Beyond "no panic": a verification yields a
//! history only for a DID it names, whose versions are numbered 1, 2, 3… with their own `versionId`s, which extends
//! itself, and whose `Latest` resolves exactly when no failure was found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use time::macros::datetime;
use trustnode_webvh::{Limits, Log, VersionQuery};

const LIMITS: Limits = Limits { max_entries: 64, max_bytes: 1 << 20 };

fuzz_target!(|data: &[u8]| {
    let (log, witness) = match data.iter().position(|byte| *byte == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let Ok(parsed) = Log::parse(log, &LIMITS) else { return };
    let _ = parsed.needs_witness_proofs();
    let first = log.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let did = serde_json::from_slice::<serde_json::Value>(first)
        .ok()
        .and_then(|entry| entry["state"]["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if let Some(msid) = did.strip_prefix("did:webvh:") {
        let _ = trustnode_webvh::locate(msid);
    }
    let verification = parsed.verify(&did, witness, datetime!(2026-01-01 00:00 UTC));
    let Some(history) = verification.history else {
        assert!(verification.failure.is_some(), "no history and no failure");
        return;
    };
    assert!(history.extends(&history));
    assert_eq!(history.select(&VersionQuery::Latest).is_ok(), verification.failure.is_none());
    for (index, summary) in history.versions().enumerate() {
        let number = index as u64 + 1;
        let version = history.select(&VersionQuery::Number(number)).expect("every verified version resolves");
        assert_eq!(version.version_id(), summary.version_id);
        assert_eq!(version.metadata()["versionNumber"], number);
        let by_id = history.select(&VersionQuery::Id(summary.version_id.clone())).expect("found by its versionId");
        assert_eq!(by_id.number(), number);
    }
});
