//! A standalone local HTTPS origin for load scripts: serves `COUNT` did:web documents at `/u/<i>/did.json` for the
//! DIDs `did:web:issuer.test%3A<PORT>:u:<i>` (cacheable for an hour) with a throwaway CA whose PEM it writes to
//! `CA_FILE`. Runs until killed. Loopback only.
//!
//! Run: `cargo run --release --example did_web_origin -- PORT CA_FILE [COUNT]`

#[path = "../tests/support/origin.rs"]
mod origin;

use origin::{Origin, Reply, TestCa};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: did_web_origin PORT CA_FILE [COUNT]";
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect(usage);
    let ca_file = args.next().expect(usage);
    let count: usize = args.next().map(|c| c.parse().expect(usage)).unwrap_or(1000);
    let ca = TestCa::new();
    std::fs::write(&ca_file, ca.pem()).expect("write CA file");
    let origin = Origin::start_on(&ca, port).await;
    for i in 0..count {
        let did = format!("did:web:issuer.test%3A{port}:u:{i}");
        let document = serde_json::json!({
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "verificationMethod": [{"id": format!("{did}#key-1"), "type": "Multikey", "controller": did,
                "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}],
            "assertionMethod": [format!("{did}#key-1")]
        });
        origin.set(&format!("/u/{i}/did.json"), Reply::json_with(&document, &[("cache-control", "max-age=3600")]));
    }
    eprintln!("did:web origin on 127.0.0.1:{} with {count} documents; CA in {ca_file}", origin.port());
    std::future::pending::<()>().await;
}
