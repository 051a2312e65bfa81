"""Writes the fuzz targets' seed corpora from the project's test vectors and example registry.

    python3 fuzz/seeds.py OUT_DIR      (one folder per target under OUT_DIR)

Seeds are what the parsers see in production: method-specific ids of the did:key, did:jwk and did:web vectors (valid
and invalid), full DID URLs, Accept headers, TRQP bodies, the example registry's signed snapshots and their JWS,
the Bitstring Status List specification's example list and entries, the signed credentials of the RDF cryptosuites, and the did:webvh test suite's logs (with their witness files after
a NUL byte).
"""
import hashlib
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
vectors = root / "tests" / "vectors"
snapshots = root / "registry" / "example" / "snapshots"
out = pathlib.Path(sys.argv[1])


def seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def msid(did, method):
    return did[len(f"did:{method}:"):] if did.startswith(f"did:{method}:") else did


key_valid = json.loads((vectors / "didkey-valid.json").read_text())
key_invalid = json.loads((vectors / "didkey-invalid.json").read_text())
jwk = json.loads((vectors / "didjwk.json").read_text())
web = json.loads((vectors / "didweb.json").read_text())

dids = [v["did"] for v in key_valid + key_invalid] + [v["did"] for v in jwk["positive"] + jwk["negative"]]
dids += [v["did"] for v in web["positive"] + web["negative"]]
for did in dids:
    seed("did_url", did)
for suffix in ["/path/a?service=files&relativeRef=%2Fx#key-1", "?versionTime=2024-01-01T00:00:00Z", "#z6Mk%20"]:
    seed("did_url", dids[0] + suffix)
for did in [v["did"] for v in key_valid + key_invalid]:
    seed("did_key", msid(did, "key"))
for did in [v["did"] for v in jwk["positive"] + jwk["negative"]]:
    seed("did_jwk", msid(did, "jwk"))
for did in [v["did"] for v in web["positive"] + web["negative"]]:
    seed("did_web", msid(did, "web"))

for accept in [
    "application/did-resolution",
    'application/ld+json;profile="https://w3id.org/did-resolution"',
    "application/did+json;q=0.5, application/did-resolution;q=0.9, text/html",
    "text/uri-list", "*/*", "application/did+ld+json, application/did;q=0.1",
]:
    seed("accept", accept)

authority = json.loads((snapshots / "1.json").read_text())["authority_id"]
for body in [
    {"entity_id": "did:web:a.example", "authority_id": authority, "action": "issue", "resource": "diploma"},
    {"entity_id": "e", "authority_id": "a", "action": "x", "resource": "r", "context": {"time": "2025-01-01T00:00:00Z"}},
    {"entity_id": "", "authority_id": 1, "context": []},
]:
    seed("trqp_request", json.dumps(body))

for number in (1, 2):
    payload = (snapshots / f"{number}.json").read_bytes()
    jws = (snapshots / f"{number}.jws").read_bytes().strip()
    seed("snapshot", payload)
    seed("jcs", payload)
    seed("jws_verify", jws + b"\n" + payload)
for text in ['{"b":[1e21,1e-7,-0.0,0.1],"a":"\\u00e9\\ud83d\\ude00","\\ufb33":null,"\\ud83d\\ude00":true}', "9007199254740993"]:
    seed("jcs", text)

examples = json.loads((vectors / "credentials" / "bitstring-status-list-examples.json").read_text())
# The first byte picks the format (0: Bitstring Status List, 1: StatusList2021), see status_list.rs.
encoded = examples["statusListCredential"]["credentialSubject"]["encodedList"]
seed("status_list", b"\x00" + encoded.encode())
seed("status_list", b"\x01" + encoded[1:].encode())
seed("status_list", b"\x00" + json.dumps(examples["credentialStatus"]).encode())
seed("status_list", b"\x00" + json.dumps(examples["statusListCredential"]).encode())

# The RDF suites: signed credentials and a presentation of each RDF cryptosuite, whole, see credential_rdf.rs.
for signed in sorted((vectors / "credentials").glob("*rdfc*/signed*.json")) + sorted(
    (vectors / "credentials").glob("Ed25519Signature2020/signed*.json")
) + sorted((vectors / "credentials" / "dcc").glob("*.json")):
    seed("credential_rdf", signed.read_bytes())

# did:webvh: every log of the test-suite copy, its witness file (if any) after a NUL byte, as webvh_log.rs reads them.
for log in sorted((root / "crates" / "webvh" / "tests" / "vectors").glob("*/*/did.jsonl")):
    witness = log.with_name("did-witness.json")
    seed("webvh_log", log.read_bytes() + (b"\0" + witness.read_bytes() if witness.exists() else b""))
