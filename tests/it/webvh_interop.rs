//! did:webvh logs made by other people's libraries, for the did:webvh verifier and resolver to be checked against:
//! `scripts/webvh-interop ts` (npm didwebvh-ts) and `scripts/webvh-interop py` (PyPI did-webvh) each write six
//! scenarios (create; update; rotate update keys; pre-rotation consumed; two witnesses with threshold 2;
//! deactivate) and resolve every version with their own library from those files.
//!
//! First the files: the manifest and the files agree, every log line is an entry with the five members, numbered,
//! timed, signed, and each scenario did what its name says. Then [`compare_with_trustnode`] is checked against each
//! library's own resolutions (a library agrees with itself, a mutated copy does not). Then the HTTPS test origin
//! serves every scenario's `did.jsonl` (and `did-witness.json`) and the node's `/1.0/identifiers/{did}` answer for
//! every version (`versionNumber`) must equal the library's own resolution: documents exactly, and the metadata both
//! define, with the documented readings of [`comparable_document`], [`library_metadata`] and
//! [`deactivation_as_trustnode_reads_it`].
//!
//! Each test skips (passing) with a message when its toolchain (Node.js and npm, or Python 3 with venv) is missing
//! or the pinned package cannot be installed; `scripts/install-test-deps` installs Node.js and npm.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::http_did_web::Lab;
use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/webvh-interop");
/// Status of `scripts/webvh-interop` when the library could not be installed.
const INSTALL_FAILED: i32 = 3;
/// Every program writes these scenarios, each in its own directory.
const SCENARIOS: [&str; 6] = ["create", "update", "rotate-keys", "pre-rotation", "witnesses", "deactivate"];
/// The members of a log entry (did:webvh v1.0, "The DID Log File").
const ENTRY_MEMBERS: [&str; 5] = ["versionId", "versionTime", "parameters", "state", "proof"];
/// The document metadata compared with trustnode's, where the library defines them.
const COMPARED_METADATA: [&str; 5] = ["versionId", "versionTime", "created", "updated", "deactivated"];

/// One program of `scripts/webvh-interop`.
struct Program {
    /// Its name on the script's command line.
    name: &'static str,
    /// The package it installs, as the library names itself in the manifest.
    package: &'static str,
    /// What joins the package's name and version in the script's pin (`didwebvh-ts@2.8.0`, `did-webvh==1.0.1`).
    pin: &'static str,
    /// The commands it needs on PATH.
    needs: &'static [&'static str],
}

const TS: Program = Program { name: "ts", package: "didwebvh-ts", pin: "@", needs: &["node", "npm"] };
const PY: Program = Program { name: "py", package: "did-webvh", pin: "==", needs: &["python3"] };

impl Program {
    /// The version pinned in `scripts/webvh-interop`, the one place it is written.
    fn pinned_version(&self) -> String {
        let script = std::fs::read_to_string(SCRIPT).unwrap();
        let pin = format!("{}{}", self.package, self.pin);
        let at = script.find(&pin).unwrap_or_else(|| panic!("scripts/webvh-interop pins no {pin}"));
        let rest = &script[at + pin.len()..];
        rest[..rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.')).unwrap()].to_owned()
    }

    /// The DIDs' domain and path, on the test origin listening on `port` (`issuer.test` is pinned to loopback and
    /// certified by the test CA): scenario `s` is served at `/webvh/<program>/<s>/did.jsonl`.
    fn domain(&self, port: u16) -> String {
        format!("issuer.test%3A{port}:webvh:{}", self.name)
    }

    /// Runs the program into `out` and returns its manifest, or `None` (after saying why) when the test must skip.
    fn generate(&self, out: &Path, domain: &str) -> Option<Value> {
        let on_path = |name: &str| {
            std::env::var_os("PATH")
                .is_some_and(|path| std::env::split_paths(&path).any(|dir| Path::new(&dir).join(name).is_file()))
        };
        if let Some(missing) = self.needs.iter().find(|command| !on_path(command)) {
            eprintln!("SKIPPED: {missing} is needed for the {} interop test (scripts/install-test-deps)", self.package);
            return None;
        }
        let output = Command::new(SCRIPT).arg(self.name).arg(out).arg(domain).output().expect("the script runs");
        let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        if output.status.code() == Some(INSTALL_FAILED) {
            eprintln!("SKIPPED: {} could not be installed:\n{stderr}", self.package);
            return None;
        }
        assert!(output.status.success(), "webvh-interop {} failed ({}):\n{stdout}\n{stderr}", self.name, output.status);
        let printed = stdout.lines().filter(|line| line.starts_with("RESULT ")).count();
        assert_eq!(printed, SCENARIOS.len(), "one RESULT line per scenario:\n{stdout}\n{stderr}");
        Some(read_json(&out.join("manifest.json")))
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn text<'a>(value: &'a Value, member: &str) -> &'a str {
    value[member].as_str().unwrap_or_else(|| panic!("no text {member} in {value}"))
}

/// The log of a scenario, one JSON value per line.
fn read_log(dir: &Path) -> Vec<Value> {
    let log = std::fs::read_to_string(dir.join("did.jsonl")).unwrap();
    assert!(log.ends_with('\n'), "{}: JSON Lines end every line with a newline", dir.display());
    log.lines()
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{} line {}: {error}", dir.display(), n + 1))
        })
        .collect()
}

/// The key a log entry's proof names: its `verificationMethod` is `did:key:<multikey>#<multikey>`.
fn signer(entry: &Value) -> &str {
    let method = text(&entry["proof"][0], "verificationMethod");
    let (did, fragment) = method.strip_prefix("did:key:").and_then(|rest| rest.split_once('#')).unwrap();
    assert_eq!(did, fragment, "the did:key and its fragment name one key: {method}");
    fragment
}

/// What a program wrote for one scenario, checked against the manifest and the scenario's intent.
fn check_scenario(out: &Path, scenario: &Value, domain: &str) {
    let name = text(scenario, "name");
    let dir = out.join(name);
    let did = text(scenario, "did");
    let scid = did.strip_prefix("did:webvh:").and_then(|rest| rest.split(':').next()).unwrap();
    assert!(scid.len() == 46 && scid.starts_with("Qm"), "{name}: a base58btc SHA-256 multihash SCID: {did}");
    assert!(
        did.ends_with(&format!(":{domain}:{name}")),
        "{name}: the DID ends with the domain and the scenario: {did}"
    );

    let log = read_log(&dir);
    let versions = scenario["versions"].as_array().unwrap();
    assert_eq!(log.len(), versions.len(), "{name}: the manifest lists every entry");
    let mut previous_time = "";
    for (n, (entry, version)) in log.iter().zip(versions).enumerate() {
        let members: BTreeSet<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(members, BTreeSet::from(ENTRY_MEMBERS), "{name} entry {}", n + 1);
        let version_id = text(entry, "versionId");
        assert!(version_id.starts_with(&format!("{}-Qm", n + 1)), "{name}: numbered from 1: {version_id}");
        assert_eq!(version_id, text(version, "versionId"), "{name}: the manifest's versionId");
        let time = text(entry, "versionTime");
        assert_eq!(time, text(version, "versionTime"), "{name}: the manifest's versionTime");
        assert!(time.ends_with('Z') && time > previous_time, "{name}: UTC, strictly increasing: {time}");
        previous_time = time;
        assert!(entry["parameters"].is_object(), "{name} entry {}: parameters", n + 1);
        assert_eq!(text(&entry["state"], "id"), did, "{name} entry {}: the document is the DID's", n + 1);
        let proof = &entry["proof"][0];
        assert_eq!((text(proof, "type"), text(proof, "cryptosuite")), ("DataIntegrityProof", "eddsa-jcs-2022"));
        assert_eq!(text(proof, "proofPurpose"), "assertionMethod", "{name} entry {}", n + 1);

        let resolution = read_json(&dir.join(format!("resolution.{}.json", n + 1)));
        assert_eq!(resolution["didDocumentMetadata"]["versionId"], version_id, "{name}: resolution.{}", n + 1);
    }
    let first = &log[0]["parameters"];
    assert_eq!((text(first, "method"), text(first, "scid")), ("did:webvh:1.0", scid), "{name}: entry 1's parameters");

    let witness_file = dir.join("did-witness.json");
    assert_eq!(witness_file.exists(), name == "witnesses", "{name}: did-witness.json only with witnesses");
    assert_eq!(scenario["witnesses"], name == "witnesses", "{name}: the manifest says whether it has witnesses");
    let updated = |n: usize| &log[n]["parameters"]["updateKeys"];
    let last = log.last().unwrap();
    match name {
        "create" => assert_eq!(log.len(), 1),
        "update" => {
            let document = &log[1]["state"];
            assert_eq!(document["verificationMethod"].as_array().unwrap().len(), 2, "update adds a method");
            assert_eq!(document["service"][0]["type"], "LinkedDomains", "update adds a service");
        }
        "rotate-keys" => {
            assert_ne!(updated(1), updated(0), "entry 2 hands the update keys over");
            assert_eq!(signer(&log[1]), updated(0)[0], "by a key it had");
            assert_eq!(signer(&log[2]), updated(1)[0], "and the new key signs entry 3");
        }
        "pre-rotation" => {
            assert!(!log[0]["parameters"]["nextKeyHashes"].as_array().unwrap().is_empty(), "entry 1 commits");
            assert_eq!(signer(&log[1]), updated(1)[0], "entry 2 is signed by the key it reveals");
            assert!(!log[1]["parameters"]["nextKeyHashes"].as_array().unwrap().is_empty(), "and commits again");
        }
        "witnesses" => {
            let rule = &first["witness"];
            assert_eq!(rule["threshold"], 2, "{rule}");
            let witnesses: BTreeSet<&str> =
                rule["witnesses"].as_array().unwrap().iter().map(|w| text(w, "id")).collect();
            assert_eq!(witnesses.len(), 2, "{rule}");
            let proofs = read_json(&witness_file);
            let proofs = proofs.as_array().unwrap();
            assert_eq!(proofs.len(), log.len(), "every entry is witnessed: {proofs:?}");
            for (entry, witnessed) in log.iter().zip(proofs) {
                assert_eq!(witnessed["versionId"], entry["versionId"]);
                let signers: BTreeSet<&str> = witnessed["proof"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|proof| text(proof, "verificationMethod").split('#').next().unwrap())
                    .collect();
                assert_eq!(signers, witnesses, "both witnesses sign {}", entry["versionId"]);
            }
        }
        "deactivate" => {
            assert_eq!(last["parameters"]["deactivated"], true, "the last entry deactivates");
            let resolution = read_json(&dir.join(format!("resolution.{}.json", log.len())));
            assert_eq!(resolution["didDocumentMetadata"]["deactivated"], true, "{resolution}");
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// The whole output of a program: the manifest names the library and the domain and lists every scenario.
fn check_outputs(program: &Program, out: &Path, manifest: &Value, domain: &str) {
    assert_eq!(manifest["library"], json!({"name": program.package, "version": program.pinned_version()}));
    assert_eq!(manifest["domain"], domain);
    let scenarios = manifest["scenarios"].as_array().unwrap();
    let names: Vec<&str> = scenarios.iter().map(|scenario| text(scenario, "name")).collect();
    assert_eq!(names, SCENARIOS);
    for scenario in scenarios {
        check_scenario(out, scenario, domain);
    }
}

/// A DID document as compared: the libraries write the same implicit services differently, and neither form is
/// wrong. didwebvh-ts names them relative to the document (`#files`), did-webvh with the DID (`<did>#files`);
/// did-webvh ends the `#files` endpoint (a base for relative references) with a `/`, didwebvh-ts does not. Both
/// are read as the absolute id and the endpoint without the final `/`. Nothing else is touched.
fn comparable_document(document: &Value) -> Value {
    let mut document = document.clone();
    let id = document["id"].as_str().unwrap_or_default().to_owned();
    for service in document.get_mut("service").and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(fragment) = service["id"].as_str().filter(|service_id| service_id.starts_with('#')) {
            service["id"] = Value::String(format!("{id}{fragment}"));
        }
        if service["type"] == "relativeRef" {
            if let Some(base) = service["serviceEndpoint"].as_str().and_then(|url| url.strip_suffix('/')) {
                service["serviceEndpoint"] = Value::String(base.to_owned());
            }
        }
    }
    document
}

/// The compared metadata members a library defines, by their meaning in did:webvh v1.0: didwebvh-ts reports the
/// resolved entry's `versionTime` under `updated` and has no member for the DID's last update, so its `updated`
/// is compared as `versionTime` and it has no `updated`.
fn library_metadata(library: &str, metadata: &Value) -> Vec<(&'static str, Value)> {
    COMPARED_METADATA
        .into_iter()
        .filter_map(|member| {
            let source = match (library, member) {
                ("didwebvh-ts", "versionTime") => "updated",
                ("didwebvh-ts", "updated") => return None,
                _ => member,
            };
            metadata.get(source).map(|value| (member, value.clone()))
        })
        .collect()
}

/// **The resolver's plug-in point.** Compares trustnode's resolution of every version of one scenario with the
/// library's own (`resolution.<n>.json` in `scenario`, written by `scripts/webvh-interop`): `resolve(did, n)`
/// returns trustnode's resolution result of version `n` (`{didDocument, didDocumentMetadata, …}`, as
/// `/1.0/identifiers/{did}?versionNumber=n` answers). The documents must be equal (after
/// [`comparable_document`], on both sides), and so must each of `versionId`, `versionTime`, `created`, `updated`
/// and `deactivated` that the library defines (see [`library_metadata`]). Returns every difference found.
async fn compare_with_trustnode<F, Fut>(scenario: &Path, mut resolve: F) -> Result<(), String>
where
    F: FnMut(String, u64) -> Fut,
    Fut: Future<Output = Value>,
{
    let manifest = manifest_of(scenario);
    let library = text(&manifest["library"], "name");
    let name = scenario.file_name().unwrap().to_str().unwrap();
    let entry = manifest["scenarios"].as_array().unwrap().iter().find(|entry| entry["name"] == name);
    let entry = entry.unwrap_or_else(|| panic!("{name} is not in the manifest"));
    let mut differences = Vec::new();
    let library_resolution = library_resolutions(scenario);
    for number in 1..=entry["versions"].as_array().unwrap().len() as u64 {
        let theirs = library_resolution(number);
        let ours = resolve(text(entry, "did").to_owned(), number).await;
        let (their_document, our_document) =
            (comparable_document(&theirs["didDocument"]), comparable_document(&ours["didDocument"]));
        if their_document != our_document {
            differences.push(format!(
                "{library} {name} version {number}: didDocument differs\n  {library}: {their_document}\n  trustnode: {our_document}"
            ));
        }
        for (member, value) in library_metadata(library, &theirs["didDocumentMetadata"]) {
            let our_value = &ours["didDocumentMetadata"][member];
            if *our_value != value {
                differences.push(format!(
                    "{library} {name} version {number}: didDocumentMetadata.{member} is {our_value}, {library} says {value}"
                ));
            }
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(differences.join("\n"))
    }
}

/// The one place trustnode reads a log differently from both libraries, on purpose (docs/did-webvh.md,
/// "Interoperability"): once a DID is deactivated, trustnode says `deactivated: true` on every version (DID Core's
/// metadata describes the DID, and a verifier holding a version must learn the DID is gone), where the libraries
/// say `false` before the deactivating version; and the deactivating version itself has no keys in trustnode's
/// answer (HTTP 410, a document with only its `id`), where the libraries return that entry's `state`. Applied to
/// the library's resolution of a deactivated DID's version, so that everything else is still compared exactly.
fn deactivation_as_trustnode_reads_it(theirs: &mut Value, deactivating: bool) {
    theirs["didDocumentMetadata"]["deactivated"] = json!(true);
    if deactivating {
        let id = theirs["didDocument"]["id"].clone();
        theirs["didDocument"] = json!({ "id": id });
    }
}

/// The library's own resolution of each version of the scenario in `scenario` (`resolution.<n>.json`), with a
/// deactivation read as trustnode reads it ([`deactivation_as_trustnode_reads_it`]).
fn library_resolutions(scenario: &Path) -> impl Fn(u64) -> Value + '_ {
    let path = |number: u64| scenario.join(format!("resolution.{number}.json"));
    let versions = (1..).take_while(|&number| path(number).exists()).count() as u64;
    let deactivated = read_json(&path(versions))["didDocumentMetadata"]["deactivated"] == true;
    move |number| {
        let mut resolution = read_json(&path(number));
        if deactivated {
            deactivation_as_trustnode_reads_it(&mut resolution, number == versions);
        }
        resolution
    }
}

/// The manifest of the program whose scenario is in `scenario`.
fn manifest_of(scenario: &Path) -> Value {
    read_json(&scenario.parent().unwrap().join("manifest.json"))
}

/// The comparison's stand-in resolver: the library's own resolution of version `n` of the scenario in `dir`, with
/// the metadata spelled as did:webvh v1.0 spells it ([`library_metadata`]) and a deactivation read as trustnode
/// reads it ([`deactivation_as_trustnode_reads_it`]), as trustnode answers.
fn own_resolution(dir: &Path) -> impl FnMut(String, u64) -> std::future::Ready<Value> + '_ {
    let manifest = manifest_of(dir);
    let library = text(&manifest["library"], "name").to_owned();
    let library_resolution = library_resolutions(dir);
    move |_, number| {
        let mut resolution = library_resolution(number);
        let metadata = library_metadata(&library, &resolution["didDocumentMetadata"]);
        resolution["didDocumentMetadata"] =
            Value::Object(metadata.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        std::future::ready(resolution)
    }
}

/// [`compare_with_trustnode`] accepts the library's own resolutions, and the documented spelling differences of
/// the implicit services, and refuses a copy with one document member, one metadata member or one version changed.
async fn check_comparison(out: &Path) {
    for name in SCENARIOS {
        let dir = out.join(name);
        compare_with_trustnode(&dir, own_resolution(&dir)).await.unwrap_or_else(|differences| panic!("{differences}"));
    }

    let dir = out.join("update");
    let mut own = own_resolution(&dir);
    let mut respelled = |did: String, number: u64| {
        let mut resolution = own(did, number).into_inner();
        let document = &mut resolution["didDocument"];
        let id = document["id"].as_str().unwrap().to_owned();
        for service in document["service"].as_array_mut().unwrap() {
            let fragment = service["id"].as_str().unwrap().rsplit('#').next().unwrap().to_owned();
            service["id"] = Value::String(format!("{id}#{fragment}"));
            if service["type"] == "relativeRef" {
                let base = service["serviceEndpoint"].as_str().unwrap().trim_end_matches('/').to_owned();
                service["serviceEndpoint"] = Value::String(format!("{base}/"));
            }
        }
        std::future::ready(resolution)
    };
    compare_with_trustnode(&dir, &mut respelled).await.unwrap_or_else(|differences| panic!("{differences}"));

    type Mutation = fn(&mut Value);
    let mutations: [(&str, Mutation); 4] = [
        ("didDocument differs", |resolution| {
            resolution["didDocument"]["verificationMethod"][0]["publicKeyMultibase"] = json!("z6MkTampered")
        }),
        ("didDocumentMetadata.versionTime", |resolution| {
            resolution["didDocumentMetadata"]["versionTime"] = json!("2024-01-01T00:00:00Z")
        }),
        ("didDocumentMetadata.deactivated", |resolution| {
            resolution["didDocumentMetadata"]["deactivated"] = json!(true)
        }),
        ("didDocumentMetadata.versionId", |resolution| resolution["didDocumentMetadata"]["versionId"] = json!("2-Qm")),
    ];
    for (expected, mutate) in mutations {
        let mut own = own_resolution(&dir);
        let mutated = |did: String, number: u64| {
            let mut resolution = own(did, number).into_inner();
            if number == 2 {
                mutate(&mut resolution);
            }
            std::future::ready(resolution)
        };
        let differences = compare_with_trustnode(&dir, mutated).await.expect_err(expected);
        assert!(differences.contains(expected) && differences.contains("version 2"), "{expected}: {differences}");
    }
}

/// The library's logs are well formed and its own resolutions pass [`compare_with_trustnode`]; then the test origin
/// serves every scenario's files, and the node's resolution of every version (`?versionNumber=n`) must agree with the
/// library's.
async fn logs_resolve_in_trustnode_as_in_their_own_library(program: Program) {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let work = tempfile::tempdir().unwrap();
    let domain = program.domain(origin.port());
    let Some(manifest) = program.generate(work.path(), &domain) else { return };
    check_outputs(&program, work.path(), &manifest, &domain);
    check_comparison(work.path()).await;

    for name in SCENARIOS {
        for file in ["did.jsonl", "did-witness.json"] {
            if let Ok(body) = std::fs::read_to_string(work.path().join(name).join(file)) {
                origin
                    .set(&format!("/webvh/{}/{name}/{file}", program.name), Reply::Document { body, headers: vec![] });
            }
        }
    }
    let node = TestNode::start(lab.config()).await;
    for name in SCENARIOS {
        let resolve = |did: String, number: u64| {
            let node = &node;
            async move { node.get(&format!("/1.0/identifiers/{did}?versionNumber={number}"), &[]).await.json() }
        };
        compare_with_trustnode(&work.path().join(name), resolve)
            .await
            .unwrap_or_else(|differences| panic!("{differences}"));
    }
    assert!(origin.requests_to(&format!("/webvh/{}/witnesses/did-witness.json", program.name)) > 0);
}

#[tokio::test]
async fn didwebvh_ts_logs_resolve_in_trustnode_as_in_didwebvh_ts() {
    logs_resolve_in_trustnode_as_in_their_own_library(TS).await;
}

#[tokio::test]
async fn did_webvh_py_logs_resolve_in_trustnode_as_in_did_webvh_py() {
    logs_resolve_in_trustnode_as_in_their_own_library(PY).await;
}
