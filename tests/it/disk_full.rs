//! A full data directory (issue 7): the real binary runs with its data directory on an 8 MiB tmpfs, mounted in a
//! user and mount namespace of its own (`unshare`), beside a hosted registry and a local did:web origin. The test
//! fills the tmpfs through `/proc/<pid>/root` and checks that publishing is refused with a precise 507 while every
//! read keeps working, then frees the space: the same publish succeeds, the did:web cache stores again without a
//! restart, and a restart serves the new snapshot.
//! Where unprivileged namespaces are not allowed, the test prints `SKIPPED: <reason>` and passes.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::origin::{Origin, Reply, TestCa};
use crate::support::process::exchange;
use crate::support::registry::{add_schools, Fixture, BADGE, UNIVERSITY};
use serde_json::{json, Value};

/// Mounts the tmpfs on `$DATA`, then runs the node up to three times in a row (each later run is a restart),
/// announcing each run's process id.
const WRAPPER: &str = r#"mount -t tmpfs -o size=8m tmpfs "$DATA" || exit 97
for run in 1 2 3; do
  "$NODE" serve --listen 127.0.0.1:0 --config "$CONFIG" --data-dir "$DATA" &
  echo "node-pid=$!" >&2
  wait $!
done"#;

/// The wrapper in its namespace and the node it runs; dropping it kills both.
struct NamespacedNode {
    wrapper: Child,
    node_pid: u32,
    address: String,
    lines: mpsc::Receiver<String>,
    data: PathBuf,
}

impl NamespacedNode {
    /// Starts the wrapper; `Err` says why namespaces cannot be used here.
    fn start(config: &Path, data: &Path) -> Result<NamespacedNode, String> {
        let mut wrapper = Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount", "sh", "-c", WRAPPER])
            .env("DATA", data)
            .env("CONFIG", config)
            .env("NODE", env!("CARGO_BIN_EXE_trustnode"))
            .env("TRUSTNODE_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot run unshare: {error}"))?;
        let stderr = BufReader::new(wrapper.stderr.take().ok_or("no stderr")?);
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut node = NamespacedNode { wrapper, node_pid: 0, address: String::new(), lines, data: data.to_owned() };
        match node.next_run() {
            Some(()) => Ok(node),
            None => {
                let said: Vec<String> = node.lines.try_iter().collect();
                Err(format!("the node did not start in a user+mount namespace: {}", said.join(" | ")))
            }
        }
    }

    /// Waits for the next run's process id and listen address.
    fn next_run(&mut self) -> Option<()> {
        self.node_pid = self.wait_for_line("node-pid=")?.parse().ok()?;
        let line = self.wait_for_line("address=")?;
        self.address = line.trim().trim_matches(|c: char| !c.is_ascii_digit() && c != '.' && c != ':').to_owned();
        Some(())
    }

    /// The rest of the first log line (within 30 s) that contains `marker`, after the marker.
    fn wait_for_line(&self, marker: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let line = self.lines.recv_timeout(left).ok()?;
            if let Some((_, rest)) = line.split_once(marker) {
                return Some(rest.to_owned());
            }
        }
        None
    }

    /// The data directory as the namespace sees it (the tmpfs), reached through the wrapper's root.
    fn tmpfs_path(&self, name: &str) -> PathBuf {
        let inside = self.data.strip_prefix("/").unwrap_or(&self.data);
        PathBuf::from(format!("/proc/{}/root", self.wrapper.id())).join(inside).join(name)
    }

    /// Stops the node as SIGTERM does; the wrapper then starts the second run.
    fn restart(&mut self) {
        signal(self.node_pid, "TERM");
        assert!(self.next_run().is_some(), "the node did not restart");
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        exchange(&self.address, request.as_bytes()).unwrap()
    }

    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        let mut request = format!("{request}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        request.extend_from_slice(body);
        exchange(&self.address, &request).unwrap()
    }

    /// The value of the metric series `series` (name and labels, as exposed).
    fn metric(&self, series: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics");
        String::from_utf8_lossy(&body)
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }
}

impl Drop for NamespacedNode {
    fn drop(&mut self) {
        let _ = self.wrapper.kill();
        signal(self.node_pid, "KILL");
        let _ = self.wrapper.wait();
    }
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status();
}

/// Writes to `path` until the file system refuses: in large chunks, then smaller ones down to single bytes, so not
/// even the last page has room left.
fn fill(path: &Path) {
    let mut filler = std::fs::File::create(path).expect("create the filler");
    for chunk in [1usize << 16, 512, 1] {
        let bytes = vec![0u8; chunk];
        while filler.write_all(&bytes).is_ok() {}
    }
    let _ = filler.sync_all();
}

fn did(origin: &Origin, n: usize) -> String {
    format!("did:web:issuer.test%3A{}:u:{n}", origin.port())
}

fn json_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_data_directory_refuses_publishing_precisely_and_keeps_serving_reads() {
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    for n in 0..200 {
        let document = json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did(&origin, n)});
        origin.set(&format!("/u/{n}/did.json"), Reply::json_with(&document, &[("cache-control", "max-age=3600")]));
    }
    let mut fixture = Fixture::new();
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let config = base.path().join("node.toml");
    std::fs::write(
        &config,
        format!(
            "[publishing]\nenabled = true\n[[registries]]\nsource = {:?}\n[web]\nextra_ca_file = {:?}\nallow_private_addresses = true\n\
             host_overrides = {{ \"issuer.test\" = \"127.0.0.1\" }}\n",
            fixture.dir.path(),
            ca.write_pem(base.path()),
        ),
    )
    .unwrap();
    let mut node = match NamespacedNode::start(&config, &data) {
        Ok(node) => node,
        Err(reason) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
    };
    let authority = fixture.encoded_authority();
    let latest = format!("/registries/{authority}/snapshots/latest");
    let (status, one) = node.get(&latest);
    assert_eq!(status, 200);

    let filler = node.tmpfs_path("filler");
    fill(&filler);

    // Publishing: a precise 507, nothing stored, the old snapshot still served.
    let (two, jws) = fixture.edit_and_build(|source| add_schools(source, 200));
    let put_path = format!("/registries/{authority}/snapshots/2");
    let headers = [("content-type", "application/json"), ("registry-snapshot-jws", jws.as_str())];
    let (status, body) = node.send("PUT", &put_path, &headers, two.bytes());
    assert_eq!(status, 507, "{}", String::from_utf8_lossy(&body));
    let problem = json_body(&body);
    assert_eq!(problem["type"], "urn:trustnode:problem:data-directory-full", "{problem}");
    assert_eq!(problem["title"], "Insufficient Storage", "{problem}");
    assert_eq!(node.get(&latest), (200, one.clone()), "the previous snapshot is still served");
    assert_eq!(node.get(&format!("/registries/{authority}/snapshots/2")).0, 404);

    // Reads keep working: did:web from the origin although the cache cannot store, did:key, TRQP, listings.
    let mut resolved = 0;
    let started = Instant::now();
    while node.metric(r#"trustnode_did_web_cache_events_total{event="store_failed"}"#).unwrap_or(0.0) < 1.0 {
        assert!(started.elapsed() < Duration::from_secs(20), "no cache write failed after {resolved} resolutions");
        let (status, body) = node.get(&format!("/1.0/identifiers/{}", did(&origin, resolved)));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(json_body(&body)["didDocument"]["id"], did(&origin, resolved));
        resolved += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = node.get(&format!("/1.0/identifiers/{}", did(&origin, resolved)));
    assert_eq!((status, json_body(&body)["didDocument"]["id"].clone()), (200, json!(did(&origin, resolved))));
    let did_key = "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    assert_eq!(node.get(did_key).0, 200);
    let question = json!({"entity_id": UNIVERSITY, "authority_id": fixture.authority, "action": "issue",
        "resource": BADGE});
    let (status, body) =
        node.send("POST", "/authorization", &[("content-type", "application/json")], question.to_string().as_bytes());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(json_body(&body).get("authorized").is_some());
    assert_eq!(node.get("/registries").0, 200);
    assert_eq!(node.get(&format!("/registries/{authority}/snapshots/1")), (200, one.clone()));
    assert_eq!(node.get("/readyz").0, 200, "a node that still answers reads stays ready");

    // A restart while the disk is still full comes up and answers; did:web from the origin.
    node.restart();
    assert_eq!(node.get("/readyz").0, 200, "a node restarted on a full disk starts");
    let (status, body) = node.get(&format!("/1.0/identifiers/{}", did(&origin, resolved)));
    assert_eq!((status, json_body(&body)["didDocument"]["id"].clone()), (200, json!(did(&origin, resolved))));
    assert_eq!(node.get(&latest), (200, one.clone()));

    // Space again: the same publish succeeds, and a restart comes up at the new snapshot.
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = node.send("PUT", &put_path, &headers, two.bytes());
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    assert_eq!(node.get(&latest), (200, two.bytes().to_vec()));

    // The did:web cache recovers without a restart: a resolution is stored again, so asking twice is a hit.
    let again = format!("/1.0/identifiers/{}", did(&origin, resolved));
    let started = Instant::now();
    loop {
        let (status, body) = node.get(&again);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        if json_body(&body)["didResolutionMetadata"]["cache"]["hit"] == true {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(45), "the did:web cache stores nothing after space returned");
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!("the did:web cache stored again {:?} after space returned", started.elapsed());
    // Operators see the recovery: the metrics count the reopen (as `/1.0/cache` does, `reopens`).
    let reopened = node.metric(r#"trustnode_did_web_cache_events_total{event="reopened"}"#).unwrap_or(0.0);
    assert!(reopened >= 1.0, "the reopen is counted in the metrics");
    node.restart();
    assert_eq!(node.get("/readyz").0, 200);
    assert_eq!(node.get(&latest), (200, two.bytes().to_vec()), "the restarted node serves the new snapshot");
    let (status, body) = node.get(&format!("/1.0/identifiers/{}", did(&origin, resolved + 1)));
    assert_eq!((status, json_body(&body)["didDocument"]["id"].clone()), (200, json!(did(&origin, resolved + 1))));
    let stored: Vec<String> = std::fs::read_dir(node.tmpfs_path("registries"))
        .unwrap()
        .flat_map(|authority| std::fs::read_dir(authority.unwrap().path()).unwrap())
        .map(|file| file.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!stored.iter().any(|name| name.starts_with(".tmp-")), "temp files left behind: {stored:?}");
    eprintln!("did:web resolutions answered before a cache write failed: {}", resolved + 1);
}
