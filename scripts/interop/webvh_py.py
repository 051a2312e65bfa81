"""did:webvh logs made by the PyPI package did-webvh, then resolved by did-webvh itself, for trustnode's interop test.

    python webvh_py.py OUT_DIR DOMAIN     (run through scripts/webvh-interop py, which makes the venv)

DOMAIN is what follows the SCID in the DID: `issuer.test%3A8443`, or with a path, `issuer.test%3A8443:dids:a`.
Each scenario's DID ends with one more path segment, the scenario's name (`…:dids:a:update`), so that one origin can
serve every scenario's log at its own URL. For each scenario it writes OUT_DIR/<scenario>/did.jsonl (and
did-witness.json when the log has witnesses), then resolves every version with the library's resolver reading those
files (`resolve_did(..., local_history=...)`: it never fetches) into
OUT_DIR/<scenario>/resolution.<versionNumber>.json, and lists it all in OUT_DIR/manifest.json. Prints one
`RESULT {json}` line per scenario.

Keys come from fixed seeds and every entry is dated on a fixed clock, so two runs make the same logs. Any socket
to a host off loopback is refused before it opens, so a library that reaches for the network fails loudly here.
"""

import asyncio
import hashlib
import ipaddress
import json
import socket
import sys
from importlib.metadata import version
from pathlib import Path

from did_webvh.askar import AskarSigningKey, AskarVerifyingKey
from did_webvh.const import SCID_PLACEHOLDER
from did_webvh.core.hash_utils import DEFAULT_HASH, HashInfo
from did_webvh.core.proof import di_jcs_sign
from did_webvh.core.state import DocumentState
from did_webvh.provision import encode_verification_method, genesis_document, provision_did
from did_webvh.resolver import resolve_did


def _loopback(host) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


def _stay_on_loopback():
    """Refuses name lookups and connections off 127.0.0.0/8 and ::1 (the test is hermetic)."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            raise OSError(f"offline interop test: no lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded(real):
        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
                raise OSError(f"offline interop test: refusing to connect to {address[0]}")
            return real(sock, address)

        return connect

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = guarded(real_connect)
    socket.socket.connect_ex = guarded(real_connect_ex)


def key(name: str) -> AskarSigningKey:
    """An Ed25519 key from a fixed name (the seed is its SHA-256), so runs repeat."""
    seed = hashlib.sha256(f"trustnode webvh interop {name}".encode()).digest()
    return AskarSigningKey.from_secret_bytes("ed25519", seed)


def at(n: int) -> str:
    """Version n of a scenario is dated n minutes after a fixed instant (versionTime must increase)."""
    return f"2025-01-01T00:{n:02d}:00Z"


def next_key_hash(multikey: str) -> str:
    """The pre-rotation commitment to `multikey`, computed by the library (as its provisioning does)."""
    return HashInfo.from_name(DEFAULT_HASH).formatted_hash(multikey.encode("utf-8"))


def method(signer: AskarSigningKey, did: str) -> dict:
    """The document's verification method for `signer`, with the fragment the library derives from the key."""
    public = AskarVerifyingKey(signer.key)
    public.kid = ""  # no id of our own: the library names the method by a hash of its definition
    return encode_verification_method(public, did)


SERVICE = {"id": "#linked-domain", "type": "LinkedDomains", "serviceEndpoint": "https://issuer.test/"}


class Scenario:
    """One log being written: its states and its witness proofs."""

    def __init__(self, domain: str, signer: AskarSigningKey, params: dict | None = None):
        placeholder = f"did:webvh:{SCID_PLACEHOLDER}:{domain}"
        document = genesis_document(placeholder)
        document["verificationMethod"] = [method(signer, placeholder)]
        document["assertionMethod"] = [document["verificationMethod"][0]["id"]]
        state = provision_did(document, params={"updateKeys": [signer.multikey], **(params or {})}, timestamp=at(1))
        state.sign(signer, timestamp=state.timestamp)
        self.states = [state]
        self.witness_proofs: list[dict] = []

    @property
    def last(self) -> DocumentState:
        return self.states[-1]

    def update(self, signer: AskarSigningKey, *, methods=None, services=None, params=None, deactivate=False):
        """Appends the next entry, signed by `signer`; `methods` replaces the verification methods."""
        document = self.last.document_copy()
        did = document["id"]
        if methods is not None:
            document["verificationMethod"] = [method(k, did) for k in methods]
            document["assertionMethod"] = [document["verificationMethod"][0]["id"]]
            document["authentication"] = [method["id"] for method in document["verificationMethod"][1:]]
        if services is not None:
            document["service"] = services
        update = dict(params or {})
        if deactivate:
            update["deactivated"] = True
        n = len(self.states) + 1
        state = self.last.create_next(document, params_update=update, timestamp=at(n))
        state.sign(signer, timestamp=state.timestamp)
        self.states.append(state)

    def witness(self, witnesses: list[AskarSigningKey]):
        """Every witness signs the last entry's versionId (a did-witness.json entry)."""
        state = self.last
        proofs = [
            di_jcs_sign(
                {"versionId": state.version_id},
                w,
                purpose="assertionMethod",
                timestamp=state.timestamp,
                kid=f"did:key:{w.multikey}#{w.multikey}",
            )
            for w in witnesses
        ]
        self.witness_proofs.append({"versionId": state.version_id, "proof": proofs})


def scenarios() -> dict:
    """Each scenario makes its log for the DID's domain and path it is given."""
    a, b, c = key("update key a"), key("update key b"), key("update key c")
    witnesses = [key("witness 1"), key("witness 2")]

    def create(domain):
        return Scenario(domain, a)

    def update(domain):
        s = Scenario(domain, a)
        s.update(a, methods=[a, b], services=[SERVICE])
        return s

    def rotate_keys(domain):
        s = Scenario(domain, a)
        # A signs the entry that hands the update keys to B; B signs the next one.
        s.update(a, methods=[b], params={"updateKeys": [b.multikey]})
        s.update(b, services=[SERVICE])
        return s

    def pre_rotation(domain):
        s = Scenario(domain, a, {"nextKeyHashes": [next_key_hash(b.multikey)]})
        # With pre-rotation the entry is signed by the key it reveals, which must hash into the previous commitment.
        s.update(
            b,
            methods=[b],
            params={"updateKeys": [b.multikey], "nextKeyHashes": [next_key_hash(c.multikey)]},
        )
        return s

    def with_witnesses(domain):
        rule = {"threshold": 2, "witnesses": [{"id": f"did:key:{w.multikey}"} for w in witnesses]}
        s = Scenario(domain, a, {"witness": rule})
        s.witness(witnesses)
        s.update(a, services=[SERVICE])
        s.witness(witnesses)
        return s

    def deactivate(domain):
        s = Scenario(domain, a)
        s.update(a, services=[SERVICE])
        s.update(a, deactivate=True, params={"updateKeys": []})
        return s

    return {
        "create": create,
        "update": update,
        "rotate-keys": rotate_keys,
        "pre-rotation": pre_rotation,
        "witnesses": with_witnesses,
        "deactivate": deactivate,
    }


async def main(out_dir: Path, domain: str):
    manifest = {"library": {"name": "did-webvh", "version": version("did-webvh")}, "domain": domain, "scenarios": []}
    for name, make in scenarios().items():
        directory = out_dir / name
        directory.mkdir(parents=True, exist_ok=True)
        scenario = make(f"{domain}:{name}")
        log = directory / "did.jsonl"
        log.write_text("".join(state.history_json() + "\n" for state in scenario.states))
        if scenario.witness_proofs:
            (directory / "did-witness.json").write_text(json.dumps(scenario.witness_proofs, indent=2) + "\n")

        # Resolve from what was written (the resolver finds did-witness.json beside the log), not from memory.
        did = scenario.states[0].document_id
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        for number in range(1, len(entries) + 1):
            # did-webvh 1.0.1 drops a versionNumber given as an int (it reads only the query's string form).
            result = (await resolve_did(did, local_history=log, version_number=str(number))).serialize()
            text = json.dumps(result, indent=2) + "\n"
            (directory / f"resolution.{number}.json").write_text(text)
        entry = {
            "name": name,
            "did": did,
            "witnesses": bool(scenario.witness_proofs),
            "versions": [{"versionId": e["versionId"], "versionTime": e["versionTime"]} for e in entries],
        }
        manifest["scenarios"].append(entry)
        print("RESULT " + json.dumps(entry), flush=True)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: webvh_py.py OUT_DIR DOMAIN")
    _stay_on_loopback()
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
