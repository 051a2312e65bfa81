//! A standalone local HTTPS origin for load scripts, with a throwaway CA whose PEM it writes to `CA_FILE`. For each
//! `i < COUNT` it serves two did:web documents: `/u/<i>/did.json` for `did:web:<HOST>%3A<PORT>:u:<i>`, cacheable for
//! an hour, and `/cold/<i>/did.json` for `did:web:<HOST>%3A<PORT>:cold:<i>` with `Cache-Control: no-store`, so
//! every resolution of it goes to the origin. HOST is `issuer.test` unless given (the certificate is also valid for
//! `localhost`). With `--plain` as the last argument it speaks plain HTTP instead (for peers that fetch
//! `localhost` without TLS) and still writes the unused CA file. Runs until killed. Loopback only.
//!
//! Run: `cargo run --release -p trustnode-bench --bin did_web_origin -- PORT CA_FILE [COUNT] [HOST] [--plain]`

#[path = "../../../tests/it/support/origin.rs"]
mod origin;

use origin::{Origin, Reply, TestCa};

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
    let scheme = if plain { "http" } else { "https" };
    eprintln!("did:web origin {scheme}://127.0.0.1:{} for {host} with 2 × {count} documents", origin.port());
    std::future::pending::<()>().await;
}
