//! The explorer page end to end in headless Chromium against `trustnode serve` hosting the example registry: the
//! page renders (screenshots at desktop and phone width that are not blank), a DID resolves, the registry's
//! entities are listed, and an as-of authorization question round-trips with the same answer the API gives. Its
//! "Verify a credential" panel, against a node whose registry authorizes a test issuer, shows each verdict with its
//! checks and evidence, reports malformed JSON without asking the node, and shows hostile text as text. A
//! registry's "Live changes" panel shows a snapshot published while the page is open. Resolving a did:webvh served
//! by the HTTPS test origin shows its version history: one row per version with the keys in force.
//!
//! Chromium is driven by its command-line modes (`--dump-dom`, `--screenshot`) with the page's state in the URL
//! fragment, so no WebDriver is needed. Skips (passing) with a message when no Chromium is installed;
//! `scripts/e2e-explorer` installs it. `CHROMIUM=/path/to/binary` picks another one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::credentials::{presentation, Issuer};
use crate::support::origin::{Origin, Reply as OriginReply, TestCa};
use crate::support::process::{exchange, spawn_node, spawn_node_with};
use crate::support::registry::{at, register_from_now, Fixture, EXAMPLE_REGISTRY};
use serde_json::{json, Value};
use trustnode_registry::model::{EntityMetadata, Status};
use trustnode_registry::wire::SNAPSHOT_JWS_HEADER;
use trustnode_webvh::author::{document, multikey, LogBuilder};

const DID: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
/// Longest a single Chromium run may take before the test gives up on it.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(90);

/// The Chromium binary: `$CHROMIUM`, else the first of the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The node process, killed when the test ends however it ends.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs headless Chromium on `url` with `mode` flags in a fresh profile; returns its standard output.
fn run_chromium(binary: &Path, mode: &[&str], url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // Lets the page's requests finish before the DOM is dumped or the screenshot taken.
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(mode)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let started = Instant::now();
    while child.try_wait().expect("chromium state").is_none() {
        if started.elapsed() > CHROMIUM_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_DEADLINE:?} on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reader thread").expect("chromium output is UTF-8")
}

fn registry_source() -> Value {
    let text = std::fs::read_to_string(format!("{EXAMPLE_REGISTRY}/registry.json")).expect("example registry");
    serde_json::from_str(&text).expect("registry JSON")
}

fn post_json(address: &str, path: &str, body: &Value) -> Value {
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, reply) = exchange(address, request.as_bytes()).expect("exchange");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    serde_json::from_slice(&reply).expect("JSON answer")
}

/// A question about a statement that was suspended and later reinstated, asked as of its suspension: the answer
/// differs from "now", so it shows that the time picker's value reached the node.
fn suspended_question(source: &Value) -> (Value, String) {
    let statements = source["statements"].as_array().expect("statements");
    let (statement, suspension) = statements
        .iter()
        .filter(|statement| statement["kind"] == "authorization")
        .find_map(|statement| {
            let history = statement["history"].as_array()?;
            let suspended = history.iter().position(|change| change["status"] == "suspended")?;
            history.get(suspended + 1)?;
            Some((statement, history.get(suspended)?["since"].as_str()?.to_owned()))
        })
        .expect("the example registry has a suspended and reinstated statement");
    let question = serde_json::json!({
        "entity_id": statement["entity_id"],
        "authority_id": source["authority_id"],
        "action": statement["action"],
        "resource": statement["resource"],
        "context": {"time": suspension},
    });
    (question, suspension)
}

fn fragment(pairs: &[(&str, &str)]) -> String {
    let encode =
        |text: &str| percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string();
    pairs.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&")
}

#[test]
fn the_explorer_resolves_browses_and_answers_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium binary found (run scripts/e2e-explorer, or set CHROMIUM=/path/to/chromium)");
        return;
    };
    let data = tempfile::tempdir().expect("data dir");
    let (child, address) = spawn_node(Path::new(EXAMPLE_REGISTRY), &data.path().join("node"));
    let _node = Node(child);

    let source = registry_source();
    let authority = source["authority_id"].as_str().expect("authority");
    let (question, asked_at) = suspended_question(&source);
    let api_answer = post_json(&address, "/authorization", &question);
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let url = format!(
        "http://{address}/#{}",
        fragment(&[
            ("resolve", DID),
            ("registry", authority),
            ("ask.authority", authority),
            ("ask.entity", &text(&question["entity_id"])),
            ("ask.action", &text(&question["action"])),
            ("ask.resource", &text(&question["resource"])),
            ("ask.time", &asked_at),
        ])
    );

    let dom = run_chromium(&browser, &["--dump-dom"], &url);
    assert!(dom.contains(r#"data-ready="true""#), "the page did not finish loading:\n{dom}");
    assert!(dom.contains(&format!(r#""id": "{DID}""#)), "the resolved document is not shown:\n{dom}");
    let listed = dom.split(r#"id="entity-list""#).nth(1).unwrap_or_default();
    for (entity_id, metadata) in source["entities"].as_object().expect("entities") {
        let name = metadata["name"].as_str().expect("name");
        assert!(listed.contains(entity_id) && listed.contains(name), "{entity_id} ({name}) is not listed:\n{dom}");
    }
    let verdict = if api_answer["authorized"] == true { "authorized" } else { "not authorized" };
    let shown = format!("Answer: {verdict} ({}).", text(&api_answer["status"]));
    assert_eq!(api_answer["status"], "suspended", "the as-of question should hit the suspension: {api_answer}");
    assert!(dom.contains(&shown), "the page does not show `{shown}`:\n{dom}");
    assert!(dom.contains(&asked_at), "the page does not show the time asked ({asked_at})");

    for (width, height) in [(1280, 2400), (360, 2400)] {
        let shot = data.path().join(format!("explorer-{width}.png"));
        let window = format!("--window-size={width},{height}");
        let target = format!("--screenshot={}", shot.display());
        run_chromium(&browser, &[&window, &target], &url);
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {width} px: {e}"));
        let image = Image::decode(&png).unwrap_or_else(|e| panic!("screenshot at {width} px: {e}"));
        assert_eq!((image.width, image.height), (width, height));
        let colours = image.distinct_colours();
        assert!(colours > 16, "the {width} px screenshot looks blank: {colours} colours");
        if let Some(keep) = std::env::var_os("EXPLORER_SCREENSHOTS") {
            let _ = std::fs::copy(&shot, Path::new(&keep).join(format!("explorer-{width}.png")));
        }
    }
}

/// A badge name that would run script if the page ever parsed data as markup.
const HOSTILE_NAME: &str = "<img src=x onerror=document.body.dataset.pwned=1>";

/// The requests the node has counted on `route`, from its metrics.
fn requests_on(address: &str, route: &str) -> f64 {
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let (status, body) = exchange(address, request.as_bytes()).expect("metrics");
    assert_eq!(status, 200);
    let series = format!("trustnode_http_requests_total{{route=\"{route}\",");
    String::from_utf8_lossy(&body)
        .lines()
        .filter(|line| line.starts_with(&series))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The serialized row of `check` in the first verdict of `dom`: from its `data-check` to the next row's, or to the
/// raw verdict (whose JSON would otherwise vouch for what the row should show).
fn check_row<'a>(dom: &'a str, check: &str) -> &'a str {
    let row = dom.split(&format!(r#"data-check="{check}""#)).nth(1).unwrap_or_else(|| panic!("no {check} row:\n{dom}"));
    let end = ["data-check=", "<details"].iter().filter_map(|marker| row.find(marker)).min().unwrap_or(row.len());
    &row[..end]
}

#[test]
fn the_explorer_verifies_pasted_credentials_and_presentations_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium binary found (run scripts/e2e-explorer, or set CHROMIUM=/path/to/chromium)");
        return;
    };
    let issuer = Issuer::generate();
    let mut fixture = Fixture::new();
    fixture.extend(|source| {
        register_from_now(source, &issuer.did, EntityMetadata { name: "Badge Issuer".into(), ..Default::default() })
    });
    let data = tempfile::tempdir().expect("data dir");
    let (child, address) = spawn_node(fixture.dir.path(), &data.path().join("node"));
    let _node = Node(child);
    let verify = |pairs: &[(&str, &str)]| {
        let dom = run_chromium(&browser, &["--dump-dom"], &format!("http://{address}/#{}", fragment(pairs)));
        assert!(dom.contains(r#"data-ready="true""#), "the page did not finish loading:\n{dom}");
        assert!(!dom.contains("<img") && !dom.contains("data-pwned"), "data became markup:\n{dom}");
        dom
    };

    // Malformed JSON is reported in the panel and never sent.
    let before = requests_on(&address, "/credentials/verify");
    let dom = verify(&[("verify", r#"{"type": ["VerifiableCredential"],"#)]);
    assert!(dom.contains("Not sent: the text is not JSON"), "{dom}");
    assert!(dom.contains(r#"id="verify-error""#), "{dom}");
    assert!(!dom.contains(r#"id="verdict""#), "{dom}");

    // A badge from an issuer the registry authorizes: verified, with the registry's answer as trust evidence.
    let badge = issuer.sign(&issuer.badge());
    let dom = verify(&[("verify", &badge.to_string())]);
    assert_eq!(requests_on(&address, "/credentials/verify"), before + 1.0, "exactly one request, for the badge");
    assert!(dom.contains("The credential is verified."), "{dom}");
    assert!(dom.contains(r#"<span class="badge good">VERIFIED</span>"#), "{dom}");
    for check in ["credential", "context", "proof", "issuer", "validity", "trust"] {
        assert!(dom.contains(&format!(r#"data-check="{check}" data-state="passed""#)), "{check}:\n{dom}");
    }
    let proof = check_row(&dom, "proof");
    assert!(proof.contains("eddsa-jcs-2022") && proof.contains(&issuer.method()), "{proof}");
    assert!(proof.contains("did:key") && proof.contains("signature verified"), "{proof}");
    let trust = check_row(&dom, "trust");
    assert!(trust.contains(&fixture.authority), "the trust row does not name the authority:\n{trust}");
    assert!(trust.contains(">authorized<") && trust.contains(">active<"), "{trust}");
    assert!(check_row(&dom, "validity").contains("2025-01-01T00:00:00Z"), "{dom}");

    // Tampered after signing, with a name that is markup: not verified, the mismatch named, the name shown as text.
    let mut tampered = badge.clone();
    tampered["name"] = json!(HOSTILE_NAME);
    let dom = verify(&[("verify", &tampered.to_string())]);
    assert!(dom.contains(r#"<span class="badge bad">NOT VERIFIED</span>"#), "{dom}");
    assert!(dom.contains(r#"data-check="proof" data-state="failed""#), "{dom}");
    assert!(check_row(&dom, "proof").contains("<code>signature_mismatch</code>"), "{dom}");
    let literal = HOSTILE_NAME.replace('<', "&lt;").replace('>', "&gt;");
    assert!(dom.contains(&format!(r#"<span class="document-name">{literal}</span>"#)), "{dom}");

    // A presentation goes to its own endpoint with the challenge given; each presented credential has its verdict.
    let holder = Issuer::generate();
    let bound = json!({"challenge": "c-42", "domain": "verifier.example"});
    let signed = holder.sign_with(&presentation(&holder, vec![badge.clone()]), "authentication", bound);
    let dom =
        verify(&[("verify", &signed.to_string()), ("verify.challenge", "c-42"), ("verify.domain", "verifier.example")]);
    assert!(dom.contains("The presentation is verified."), "{dom}");
    assert!(dom.contains("Presented credentials") && dom.contains("Credential 0: "), "{dom}");
    let dom = verify(&[("verify", &signed.to_string()), ("verify.challenge", "other")]);
    assert!(dom.contains("<code>challenge_mismatch</code>"), "{dom}");

    // A request the node refuses as a whole shows its problem details.
    let crowded = presentation(&holder, vec![json!({}); 65]);
    let dom = verify(&[("verify", &crowded.to_string())]);
    assert!(dom.contains("HTTP 413 — Payload Too Large: the request holds more than 64 credentials"), "{dom}");
}

/// The pixels of an 8-bit RGB or RGBA non-interlaced PNG: what Chromium writes for screenshots.
struct Image {
    width: usize,
    height: usize,
    channels: usize,
    pixels: Vec<u8>,
}

impl Image {
    fn decode(png: &[u8]) -> Result<Image, String> {
        let mut rest = png.strip_prefix(b"\x89PNG\r\n\x1a\n".as_slice()).ok_or("not a PNG")?;
        let (mut header, mut compressed) = (None, Vec::new());
        while rest.len() >= 12 {
            let length = u32::from_be_bytes(rest[..4].try_into().map_err(|_| "chunk length")?) as usize;
            let kind = &rest[4..8];
            let data = rest.get(8..8 + length).ok_or("truncated chunk")?;
            match kind {
                b"IHDR" => header = Some(data.to_vec()),
                b"IDAT" => compressed.extend_from_slice(data),
                _ => {}
            }
            rest = rest.get(12 + length..).ok_or("truncated chunk")?;
        }
        let header = header.ok_or("no IHDR")?;
        let number = |at: usize| header.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes);
        let (width, height) = (number(0).ok_or("IHDR")? as usize, number(4).ok_or("IHDR")? as usize);
        let channels = match (header.get(8), header.get(9), header.get(12)) {
            (Some(8), Some(2), Some(0)) => 3,
            (Some(8), Some(6), Some(0)) => 4,
            other => return Err(format!("unsupported PNG format (depth, colour type, interlace) {other:?}")),
        };
        let filtered = miniz_oxide::inflate::decompress_to_vec_zlib(&compressed).map_err(|e| format!("{e:?}"))?;
        let stride = width * channels;
        if filtered.len() != height * (stride + 1) {
            return Err("image data has the wrong size".into());
        }
        let mut pixels = vec![0u8; height * stride];
        for (row, line) in filtered.chunks_exact(stride + 1).enumerate() {
            let (filter, line) = (line[0], &line[1..]);
            let (done, current) = pixels.split_at_mut(row * stride);
            let above = done.get(done.len().saturating_sub(stride)..).filter(|_| row > 0);
            let current = &mut current[..stride];
            for i in 0..stride {
                let left = if i >= channels { current[i - channels] } else { 0 };
                let up = above.map_or(0, |above| above[i]);
                let up_left = if i >= channels { above.map_or(0, |above| above[i - channels]) } else { 0 };
                let predictor = match filter {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                    4 => paeth(left, up, up_left),
                    other => return Err(format!("unknown filter {other}")),
                };
                current[i] = line[i].wrapping_add(predictor);
            }
        }
        Ok(Image { width, height, channels, pixels })
    }

    fn distinct_colours(&self) -> usize {
        self.pixels.chunks_exact(self.channels).collect::<HashSet<_>>().len()
    }
}

fn paeth(left: u8, up: u8, up_left: u8) -> u8 {
    let estimate = i16::from(left) + i16::from(up) - i16::from(up_left);
    let distance = |value: u8| (estimate - i16::from(value)).abs();
    if distance(left) <= distance(up) && distance(left) <= distance(up_left) {
        left
    } else if distance(up) <= distance(up_left) {
        up
    } else {
        up_left
    }
}

#[test]
fn the_explorer_shows_a_registrys_changes_live_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium binary found (run scripts/e2e-explorer, or set CHROMIUM=/path/to/chromium)");
        return;
    };
    let mut fixture = Fixture::new();
    let data = tempfile::tempdir().expect("data dir");
    let (child, address) = spawn_node(fixture.dir.path(), &data.path().join("node"));
    let _node = Node(child);
    fixture.source.change_status("s2", Status::Revoked, at("2025-09-01T00:00:00Z"), "closed").unwrap();
    let (two, jws) = fixture.build_next(86_400);
    let request = [
        format!(
            "PUT /registries/{}/snapshots/2 HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             {SNAPSHOT_JWS_HEADER}: {jws}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            fixture.encoded_authority(),
            two.bytes().len()
        )
        .into_bytes(),
        two.bytes().to_vec(),
    ]
    .concat();
    // Published once the page has had time to open its stream on snapshot 1.
    let target = address.clone();
    let publisher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        exchange(&target, &request).expect("publish").0
    });
    let url = format!("http://{address}/#{}", fragment(&[("registry", &fixture.authority), ("live.until", "2")]));
    let dom = run_chromium(&browser, &["--dump-dom"], &url);
    assert_eq!(publisher.join().expect("publisher"), 201);
    assert!(dom.contains(r#"data-ready="true""#), "the page did not finish loading:\n{dom}");
    let live = dom.split(r#"id="live-events""#).nth(1).unwrap_or_else(|| panic!("no live panel:\n{dom}"));
    assert!(live.contains(r#"data-sequence="2""#) && live.contains("Snapshot 2"), "snapshot 2 did not appear:\n{dom}");
    assert!(live.contains("1 change") && live.contains("modified") && live.contains("revoked"), "{dom}");
    assert!(!live.contains(r#"data-sequence="1""#), "the feed starts after the sequence listed:\n{dom}");
}

#[test]
fn the_explorer_shows_a_did_webvh_version_history_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium binary found (run scripts/e2e-explorer, or set CHROMIUM=/path/to/chromium)");
        return;
    };
    // The HTTPS origin runs on a runtime of its own, alive for the whole test.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let ca = TestCa::new();
    let origin = runtime.block_on(Origin::start(&ca));
    let key = || ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
    let (update, key_a, key_b) = (key(), key(), key());
    let place = format!("issuer.test%3A{}", origin.port());
    let parameters = json!({"updateKeys": [multikey(&update)]});
    let created = time::macros::datetime!(2025-01-01 0:00 UTC);
    let mut log = LogBuilder::create(&place, parameters, |did| document(did, &[&key_a]), created, &update);
    let did = log.did();
    log.update(json!({}), Some(document(&did, &[&key_b])), time::macros::datetime!(2025-06-01 0:00 UTC), &update);
    log.deactivate(time::macros::datetime!(2025-09-01 0:00 UTC), &update);
    let body = String::from_utf8(log.log()).expect("log text");
    origin.set("/.well-known/did.jsonl", OriginReply::Document { body, headers: Vec::new() });

    let data = tempfile::tempdir().expect("data dir");
    let ca_file = ca.write_pem(data.path());
    let config = format!(
        "[resolver]\nmethods = [\"key\", \"jwk\", \"web\", \"webvh\"]\n[web]\nextra_ca_file = {ca_file:?}\n\
         allow_private_addresses = true\nhost_overrides = {{ \"issuer.test\" = \"127.0.0.1\" }}\n"
    );
    let (child, address) = spawn_node_with(&config, &data.path().join("node"));
    let _node = Node(child);

    let dom = run_chromium(&browser, &["--dump-dom"], &format!("http://{address}/#{}", fragment(&[("resolve", &did)])));
    assert!(dom.contains(r#"data-ready="true""#), "the page did not finish loading:\n{dom}");
    assert!(dom.contains(&format!("{did} is deactivated (HTTP 410).")), "a deactivation is no failure:\n{dom}");
    let history = dom.split(r#"id="resolve-history""#).nth(1).unwrap_or_else(|| panic!("no history:\n{dom}"));
    assert!(history.contains("3 verified versions"), "{history}");
    let body = history.split("<tbody>").nth(1).and_then(|rows| rows.split("</tbody>").next()).expect("table body");
    let rows: Vec<&str> = body.split("<tr").skip(1).collect();
    assert_eq!(rows.len(), 3, "{body}");
    let expected = [
        (1, "2025-01-01T00:00:00Z", Some(&key_a), false),
        (2, "2025-06-01T00:00:00Z", Some(&key_b), false),
        (3, "2025-09-01T00:00:00Z", None, true),
    ];
    for (row, (number, time, assertion_key, deactivated)) in rows.iter().zip(expected) {
        assert!(row.contains(&format!("<td>{number}</td>")), "version {number}: {row}");
        let version_id = log.version_id(number);
        assert!(row.contains(&format!(r#"title="{version_id}""#)), "the full versionId on hover: {row}");
        assert!(!row.contains(&format!(">{version_id}<")), "the versionId is shortened: {row}");
        assert!(row.contains(&format!(">{time}</time>")), "version {number}: {row}");
        assert!(row.contains(&format!(r#"title="{}""#, multikey(&update))) != (number == 3), "update keys: {row}");
        if let Some(key) = assertion_key {
            assert!(row.contains(&format!(r#"title="{}""#, multikey(key))), "assertion key of {number}: {row}");
        }
        assert_eq!(row.contains(r#"class="deactivated""#), deactivated, "version {number}: {row}");
        assert_eq!(row.contains(">deactivated</span>"), deactivated, "version {number}: {row}");
    }

    // A credential its key A signed in March 2025 (version 1 in force; the DID deactivated since): the verify panel's
    // issuer row names the version it was checked against.
    let method = document(&did, &[&key_a])["verificationMethod"][0]["id"].as_str().expect("method id").to_owned();
    let issuer = Issuer::of(&key_a, &did, &method);
    let mut badge = issuer.badge();
    badge["validFrom"] = json!("2025-03-01T00:00:00Z");
    let url = format!("http://{address}/#{}", fragment(&[("verify", &issuer.sign(&badge).to_string())]));
    let dom = run_chromium(&browser, &["--dump-dom"], &url);
    let row = check_row(&dom, "issuer");
    assert!(row.contains("validFrom 2025-03-01T00:00:00Z"), "{row}");
    assert!(row.contains(&format!(r#"title="{}""#, log.version_id(1))), "{row}");
    assert!(row.contains("no — updated 2025-09-01T00:00:00Z") && row.contains("yes, at 2025-09-01T00:00:00Z"), "{row}");
    assert!(row.contains("<code>issuer_deactivated</code>"), "the deactivation warning is in the row: {row}");
    drop(origin);
}
