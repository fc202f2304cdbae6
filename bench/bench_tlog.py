"""The transparency log at 1,000,000 entries: append (time, bytes on disk), proof generation, and
what a client pays to verify one entry, from tiles and from an offline tlog-proof.

    .venv/bin/python bench/bench_tlog.py [--entries 1000000] [--batch 4096] [--no-fsync] [--dir DIR]

Entries are canonical `release` entries (~520 bytes, like the ones the signer will log). The log
is a LocalDirectoryStorage (fsync per file unless --no-fsync) in a temporary directory. The
client side reads files through a counting `fetch(path)`: the bytes are what it would download.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcenter.transparency import entries as E  # noqa: E402
from tcenter.transparency import merkle  # noqa: E402
from tcenter.transparency.checkpoint import open_checkpoint  # noqa: E402
from tcenter.transparency.cosignature import CosignatureSigner, WitnessPolicy, check_policy  # noqa: E402
from tcenter.transparency.log import LocalDirectoryStorage, TransparencyLog  # noqa: E402
from tcenter.transparency.note import Ed25519Signer  # noqa: E402
from tcenter.transparency.proof import verify_inclusion_bundle  # noqa: E402
from tcenter.transparency.tiles import TileHashReader  # noqa: E402
from tcenter.transparency.witness import Witness  # noqa: E402

ORIGIN = "transparency-center.example/log"


def release(i: int) -> bytes:
    h = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
    return E.canonical_json({
        "type": "release", "class": "products", "name": f"product-{i}.tar", "sha256": h,
        "envelopeSha256": h[::-1], "sourceRevision": h[:40], "sourceTree": h[24:], "pool": "products",
        "builders": ["products-1", "products-2"],
        "keyId": "arn:aws:kms:eu-central-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"})


def disk_usage(root: Path) -> tuple[int, int, int]:
    files = size = blocks = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            st = os.stat(os.path.join(dirpath, name))
            files += 1
            size += st.st_size
            blocks += st.st_blocks * 512
    return files, size, blocks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--no-fsync", action="store_true")
    parser.add_argument("--dir", help="where to make the temporary log directory")
    parser.add_argument("--reuse", metavar="LOG_DIR",
                        help="measure proofs and clients on a log this script built before (--keep), skip the append")
    parser.add_argument("--keep", metavar="LOG_DIR", help="build the log in LOG_DIR and keep it (for --reuse)")
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()

    log_key = Ed25519Signer.from_seed(ORIGIN, hashlib.sha256(b"bench log").digest())
    witnesses = {org: CosignatureSigner.from_seed(f"witness.{org}.example", hashlib.sha256(org.encode()).digest())
                 for org in ("org-a", "org-b", "org-c")}
    policy = WitnessPolicy(2, {org: [w.verifier()] for org, w in witnesses.items()})

    t = time.perf_counter()
    data = [release(i) for i in range(args.entries)]
    make_s = time.perf_counter() - t
    t = time.perf_counter()
    merkle.leaf_hashes(data)
    leaf_s = time.perf_counter() - t

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(args.reuse or args.keep or Path(tmp) / "log")
        storage = LocalDirectoryStorage(root, fsync=not args.no_fsync)
        tlog = TransparencyLog(storage, ORIGIN, log_key, log_key.verifier())
        append_s = float("nan")
        if not args.reuse:
            if tlog.size:
                raise SystemExit(f"{root} already holds a log; use --reuse")
            t = time.perf_counter()
            for start in range(0, args.entries, args.batch):
                tlog.append(data[start:start + args.batch])
            append_s = time.perf_counter() - t
            # two of three organizations cosign the final checkpoint, merged into it
            lines = [Witness(Path(tmp) / f"{org}.json", w, {ORIGIN: [log_key.verifier()]}).cosign(tlog.checkpoint()).line
                     for org, w in list(witnesses.items())[:2]]
            tlog.add_cosignatures(lines)
        elif tlog.size != args.entries:
            raise SystemExit(f"{root} holds {tlog.size} entries, not --entries {args.entries}")
        batches = (args.entries + args.batch - 1) // args.batch
        files, size, blocks = disk_usage(root)
        entry_bytes = sum(len(e) for e in data)

        rnd = random.Random(1)
        picks = [rnd.randrange(args.entries) for _ in range(1000)]
        fresh = TransparencyLog(storage, ORIGIN, log_key, log_key.verifier())
        t = time.perf_counter()
        bundles = [fresh.prove(i) for i in picks]
        prove_ms = (time.perf_counter() - t) * 1000 / len(picks)
        t = time.perf_counter()
        for old in picks[:200]:
            fresh.consistency_proof(old + 1)
        consistency_ms = (time.perf_counter() - t) * 1000 / 200

        # the client, from tiles: checkpoint + witness policy, entry bundle, authenticated leaf
        # hash, and (belt and braces) an inclusion proof computed from the tiles and verified
        # (with_bundle: it fetches the entry from its bundle; without: it has the entry already,
        # e.g. it rebuilt the release entry from the release it holds, and needs tiles only)
        def client(index: int, with_bundle: bool) -> tuple[float, int, int, int]:
            fetched = [0, 0]
            bundles_seen: list[bytes] = []

            def fetch(path: str) -> bytes | None:
                got = storage.get(path)
                if got is not None:
                    fetched[0] += len(got)
                    fetched[1] += 1
                    if path.startswith("tile/entries/"):
                        bundles_seen.append(got)
                return got

            start, cpu = time.perf_counter(), time.process_time()
            raw = fetch("checkpoint")
            signed = open_checkpoint(raw, log_key.verifier())
            check_policy(raw, policy)
            reader = TileHashReader(signed.size, signed.root_hash, fetch)
            if with_bundle:
                entry = reader.entry(index)
            else:
                entry = data[index]
                (leaf,) = reader.read_hashes([merkle.stored_hash_index(0, index)])
                if leaf != merkle.leaf_hash(entry):
                    raise SystemExit("bench: entry not in the log")
            proof = merkle.prove_inclusion(signed.size, index, reader)
            merkle.verify_inclusion(merkle.leaf_hash(entry), index, signed.size, proof, signed.root_hash)
            elapsed = (time.perf_counter() - start) * 1000
            cpu_ms = (time.process_time() - cpu) * 1000
            gzipped = fetched[0] + sum(len(gzip.compress(b, 6)) - len(b) for b in bundles_seen)  # outside the timing
            return elapsed, fetched[0], fetched[1], gzipped, cpu_ms

        # The benchmark holds a million entries in memory; a client holds none. Freeze them out of
        # the garbage collector so its full collections do not land inside a client's timing.
        gc.collect()
        gc.freeze()
        runs = {mode: [client(i, mode) for i in picks[:args.clients]] for mode in (False, True)}

        encoded = [(data[i], b.encode()) for i, b in zip(picks[:args.clients], bundles)]
        t = time.perf_counter()
        for entry, bundle in encoded:
            verify_inclusion_bundle(entry, bundle, log_key.verifier(), policy)
        bundle_ms = (time.perf_counter() - t) * 1000 / len(encoded)
        bundle_bytes = statistics.mean(len(b) for _, b in encoded)

    n = args.entries
    print(f"transparency log benchmark: {n:,} entries (avg {entry_bytes / n:.0f} bytes), batches of {args.batch} "
          f"({batches} checkpoints), {'no fsync' if args.no_fsync else 'fsync per file'}, Python {sys.version.split()[0]}")
    print(f"  {'what':<58} {'figure':>22}")
    rows = [
        ("leaf hashes of all entries, in memory", f"{leaf_s:.2f} s ({n / leaf_s / 1e6:.2f} M/s)"),
        (f"append {n:,} entries to disk (tiles, bundles, checkpoints)", f"{append_s:.1f} s ({n / append_s:,.0f}/s)"),
        ("bytes on disk: file sizes / allocated", f"{size / 1e6:.0f} MB / {blocks / 1e6:.0f} MB"),
        ("  of which entry payload", f"{entry_bytes / 1e6:.0f} MB in {files:,} files"),
        ("tlog-proof generation (log side, from tiles on disk)", f"{prove_ms:.3f} ms"),
        ("consistency proof generation", f"{consistency_ms:.3f} ms"),
    ]
    for mode, label in ((False, "client, tiles only"), (True, "client, tiles + entry bundle")):
        ms = sorted(r[0] for r in runs[mode])
        cpu = sorted(r[4] for r in runs[mode])
        rows += [
            (f"{label}: wall time per entry (cold, median/p95)", f"{statistics.median(ms):.2f} / {ms[int(len(ms) * .95) - 1]:.2f} ms"),
            (f"{label}: CPU time per entry (median/p95)", f"{statistics.median(cpu):.2f} / {cpu[int(len(cpu) * .95) - 1]:.2f} ms"),
            (f"{label}: bytes fetched (median/max)",
             f"{statistics.median(r[1] for r in runs[mode]) / 1024:.1f} / {max(r[1] for r in runs[mode]) / 1024:.1f} KiB"),
            (f"{label}: objects fetched (median/max)",
             f"{statistics.median(r[2] for r in runs[mode]):.0f} / {max(r[2] for r in runs[mode])}"),
        ]
        if mode:
            rows.append((f"{label}: bytes with gzip'd bundle (median)",
                         f"{statistics.median(r[3] for r in runs[mode]) / 1024:.1f} KiB"))
    rows += [
        ("client from a tlog-proof (offline): time per entry", f"{bundle_ms:.2f} ms"),
        ("client from a tlog-proof (offline): bundle size", f"{bundle_bytes:.0f} bytes"),
    ]
    for what, figure in rows:
        print(f"  {what:<58} {figure:>22}")
    print("  (make the entries in memory: %.1f s, not counted)" % make_s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
