"""The AV database repository at 10,000 targets: what one update check costs a customer's product,
when nothing changed and when one AV database changed, with and without hashed bins.

    .venv/bin/python bench/bench_tuf.py [--targets 10000] [--bins 0,4,6,8] [--checks 20]

For each bin setting it builds an `av-databases` repository (tcenter.distribution.repository:
python-tuf's Metadata API, consistent snapshots, online keys local P-256 stand-ins for KMS),
serves it from a local HTTP server on 127.0.0.1 (free port), bootstraps a client the way
`UpdateClient` does (ngclient, the client's size limits), then measures:

- nothing changed: a new Updater on the persisted metadata: refresh() (root N+1 is a 404, the
  timestamp has the same version) and get_targetinfo() of each AV database the product holds
  (--tracked, spread over the repository; their bins are cached from the first update);
- one AV database changed: the publisher replaces one of them (new content, new hashes), bumps
  its bin (or the role), the snapshot and the timestamp; the client refreshes, looks up every
  database it holds and downloads the changed one.

Bytes are counted on the server: request line and headers read, status line, headers and body
written. TUF only: the client's later checks fetch the release's provenance and .tlog-proof too
(about 2.5 KB and 1.4 KB: bench_tlog.py, docs/releases.md), once per installed update.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from tcenter.distribution.client import updater_config  # noqa: E402
from tcenter.distribution.keys import signer_from_pem  # noqa: E402
from tcenter.distribution.repository import Repository  # noqa: E402

CLASS = "av-databases"


def signer(label: str, holder: str):
    scalar = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (2**255) or 1
    pem = ec.derive_private_key(scalar, ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return signer_from_pem(pem, holder, label)


class Counting(http.server.ThreadingHTTPServer):
    def __init__(self, directory: Path):
        self.directory, self.bytes, self.requests = directory, 0, 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # noqa: ANN002
                pass

            def do_GET(self):  # noqa: N802
                server.requests += 1
                server.bytes += len(self.raw_requestline) + len(str(self.headers))
                path = (server.directory / self.path.lstrip("/")).resolve()
                if not path.is_relative_to(server.directory) or not path.is_file():
                    body, status = b"", 404
                else:
                    body, status = path.read_bytes(), 200
                head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                        f"Content-Length: {len(body)}\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
                self.wfile.write(head + body)
                server.bytes += len(head) + len(body)

        super().__init__(("127.0.0.1", 0), Handler)


def build(directory: Path, targets: int, bits: int) -> tuple[Repository, dict]:
    roots = [signer("root-a", "org-a"), signer("root-b", "org-b"), signer("root-vendor", "vendor")]
    online = {"snapshot": signer("snapshot", "vendor"), "timestamp": signer("timestamp", "vendor")}
    vendor = signer("vendor-av", "vendor")
    now = datetime.now(timezone.utc)
    repo = Repository.create(directory, CLASS, root_keys=[s.public_key for s in roots], root_threshold=2,
                             online_keys={r: s.public_key for r, s in online.items()}, class_keys=[vendor.public_key],
                             class_threshold=1, bins_bits=bits, now=now)
    repo.add_target("policy.json", b'{"type": "tcenter-distribution-policy"}\n')
    for i in range(targets):
        repo.add_target(f"{CLASS}/db-{i:05d}.bin", f"signature database {i} version 1\n".encode() * 8)
    for role in ("root", "targets"):
        repo.sign(role, roots[:2])
    repo.publish({CLASS: [vendor]}, online, now)
    return repo, {"online": online, "vendor": vendor}


def check(server: Counting, state: Path, root: bytes, paths: list[str], download: bool) -> tuple[int, int, float]:
    from tuf.ngclient import Updater

    url = f"http://127.0.0.1:{server.server_address[1]}/"
    before_bytes, before_requests = server.bytes, server.requests
    start = time.perf_counter()
    updater = Updater(str(state / "metadata"), f"{url}metadata/", str(state / "downloads"), f"{url}targets/",
                      config=updater_config(), bootstrap=root)
    updater.refresh()
    for path in paths:
        info = updater.get_targetinfo(path)
        assert info is not None, path
        if download and updater.find_cached_target(info) is None:
            updater.download_target(info)
    elapsed = time.perf_counter() - start
    return server.bytes - before_bytes, server.requests - before_requests, elapsed


def measure(targets: int, bits: int, checks: int, tracked: int, work: Path) -> dict:
    directory = work / f"bins-{bits}"
    t0 = time.perf_counter()
    repo, keys = build(directory, targets, bits)
    build_seconds = time.perf_counter() - t0
    server = Counting(directory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = (directory / "metadata" / "1.root.json").read_bytes()
        state = work / f"client-{bits}"
        # The product holds `tracked` databases, spread over the repository, and checks all of them.
        held = [f"{CLASS}/db-{(i * 7919) % targets:05d}.bin" for i in range(tracked)]
        first = check(server, state, root, held, download=True)
        unchanged, changed = [], []
        for _ in range(checks):
            unchanged.append(check(server, state, root, held, download=True))
        for n in range(checks):
            name = held[n % len(held)]
            repo.add_target(name, f"signature database {name} version {n + 2}\n".encode() * 8)
            repo.publish({CLASS: [keys["vendor"]]}, keys["online"])
            changed.append(check(server, state, root, held, download=True))
    finally:
        server.shutdown()
        server.server_close()
    sizes = {p.name: p.stat().st_size for p in (directory / "metadata").iterdir()}
    snapshot = max((p for p in sizes if p.endswith(".snapshot.json")), key=lambda p: int(p.split(".")[0]))
    roles = sorted(p for p in sizes if f".{CLASS}" in p)
    return {"bits": bits, "build": build_seconds, "first": first, "unchanged": unchanged, "changed": changed,
            "timestamp": sizes["timestamp.json"], "snapshot": sizes[snapshot],
            "role": max(sizes[p] for p in roles)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--bins", default="0,4,6,8", help="hashed-bin bit lengths to compare (0: no bins)")
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--tracked", type=int, default=10, help="AV databases the product holds and checks")
    parser.add_argument("--dir", help="where to make the temporary directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-tuf-", dir=args.dir))
    try:
        results = [measure(args.targets, int(b), args.checks, args.tracked, work) for b in args.bins.split(",")]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(rows, i):
        return statistics.median(r[i] for r in rows)

    def p95(rows, i):
        values = sorted(r[i] for r in rows)
        return values[min(len(values) - 1, int(0.95 * len(values)))]

    print(f"AV database repository, {args.targets:,} targets; a product holding {args.tracked} of them checks "
          f"{args.checks} times (bytes on the wire, HTTP headers included)")
    names = ["no bins" if r["bits"] == 0 else f"{2 ** r['bits']} bins" for r in results]
    header = " " * 44 + "".join(f"{name:>14}" for name in names)
    print(header)
    rows = [
        ("build + sign the repository (s)", lambda r: f"{r['build']:.1f}"),
        ("timestamp.json (bytes)", lambda r: f"{r['timestamp']:,}"),
        ("snapshot.json (bytes)", lambda r: f"{r['snapshot']:,}"),
        ("largest av-databases role/bin (bytes)", lambda r: f"{r['role']:,}"),
        ("first update (bytes)", lambda r: f"{r['first'][0]:,}"),
        ("nothing changed: bytes", lambda r: f"{med(r['unchanged'], 0):,.0f}"),
        ("nothing changed: requests", lambda r: f"{med(r['unchanged'], 1):.0f}"),
        ("nothing changed: ms (median)", lambda r: f"{1000 * med(r['unchanged'], 2):.1f}"),
        ("nothing changed: ms (p95)", lambda r: f"{1000 * p95(r['unchanged'], 2):.1f}"),
        ("one AV database changed: bytes", lambda r: f"{med(r['changed'], 0):,.0f}"),
        ("one AV database changed: requests", lambda r: f"{med(r['changed'], 1):.0f}"),
        ("one AV database changed: ms (median)", lambda r: f"{1000 * med(r['changed'], 2):.1f}"),
        ("one AV database changed: ms (p95)", lambda r: f"{1000 * p95(r['changed'], 2):.1f}"),
    ]
    for label, cell in rows:
        print(f"{label:44}" + "".join(f"{cell(r):>14}" for r in results))
    goal = all(med(r["unchanged"], 0) < 2048 for r in results)
    print(f"goal: nothing changed < 2 KB: {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
