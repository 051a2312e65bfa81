//! A standalone local HTTPS origin for load scripts, with a throwaway CA whose PEM it writes to `CA_FILE`. For each
//! `i < COUNT` it serves two did:web documents: `/u/<i>/did.json` for `did:web:<HOST>%3A<PORT>:u:<i>`, cacheable for
//! an hour, and `/cold/<i>/did.json` for `did:web:<HOST>%3A<PORT>:cold:<i>` with `Cache-Control: no-store`, so
//! every resolution of it goes to the origin. HOST is `issuer.test` unless given (the certificate is also valid for
//! `localhost`). It also serves one did:webvh log of three versions (ttl one hour) at `/vh/did.jsonl`, made with a
//! fixed key, and writes its DID to `CA_FILE.webvh` (the SCID depends on the port). With `--plain` as the last
//! argument it speaks plain HTTP instead (for peers that fetch `localhost` without TLS) and still writes the unused
//! CA file. Runs until killed. Loopback only.
//!
//! Run: `cargo run --release -p trustnode-bench --bin did_web_origin -- PORT CA_FILE [COUNT] [HOST] [--plain]`

#[path = "../../../tests/it/support/origin.rs"]
mod origin;

use origin::{Origin, Reply, TestCa};
use trustnode_webvh::author::{self, LogBuilder};

/// A did:webvh log at `place` of three versions (create, add a key, drop the first), signed by fixed keys.
fn webvh_log(place: &str) -> LogBuilder {
    let (first, second) =
        (ed25519_dalek::SigningKey::from_bytes(&[7; 32]), ed25519_dalek::SigningKey::from_bytes(&[8; 32]));
    let created = time::OffsetDateTime::now_utc() - time::Duration::hours(3);
    let parameters = serde_json::json!({"updateKeys": [author::multikey(&first)], "ttl": 3600});
    let mut log = LogBuilder::create(place, parameters, |did| author::document(did, &[&first]), created, &first);
    let did = log.did();
    log.update(
        serde_json::json!({}),
        Some(author::document(&did, &[&first, &second])),
        created + time::Duration::hours(1),
        &first,
    );
    log.update(
        serde_json::json!({}),
        Some(author::document(&did, &[&second])),
        created + time::Duration::hours(2),
        &first,
    );
    log
}

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let plain = args.last().is_some_and(|last| last == "--plain");
    if plain {
        args.pop();
    }
    let mut args = args.into_iter();
    let usage = "usage: did_web_origin PORT CA_FILE [COUNT] [HOST] [--plain]";
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect(usage);
    let ca_file = args.next().expect(usage);
    let count: usize = args.next().map(|c| c.parse().expect(usage)).unwrap_or(1000);
    let host = args.next().unwrap_or_else(|| "issuer.test".to_owned());
    let ca = TestCa::new();
    std::fs::write(&ca_file, ca.pem()).expect("write CA file");
    let origin = if plain { Origin::start_plain_on(port).await } else { Origin::start_on(&ca, port).await };
    for i in 0..count {
        for (segment, cache_control) in [("u", "max-age=3600"), ("cold", "no-store")] {
            let did = format!("did:web:{host}%3A{port}:{segment}:{i}");
            let document = serde_json::json!({
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "verificationMethod": [{"id": format!("{did}#key-1"), "type": "Multikey", "controller": did,
                    "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}],
                "assertionMethod": [format!("{did}#key-1")]
            });
            let reply = Reply::json_with(&document, &[("cache-control", cache_control)]);
            origin.set(&format!("/{segment}/{i}/did.json"), reply);
        }
    }
    let log = webvh_log(&format!("{host}%3A{port}:vh"));
    origin
        .set("/vh/did.jsonl", Reply::Document { body: String::from_utf8(log.log()).expect("UTF-8"), headers: vec![] });
    std::fs::write(format!("{ca_file}.webvh"), log.did()).expect("write the did:webvh DID");
    let scheme = if plain { "http" } else { "https" };
    eprintln!("did:web origin {scheme}://127.0.0.1:{} for {host} with 2 × {count} documents", origin.port());
    std::future::pending::<()>().await;
}
