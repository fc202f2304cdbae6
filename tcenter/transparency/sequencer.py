"""The sequencer: the signers' release records in, the log's entries, tiles and checkpoints out.

Runs on the sequencer host (`tcenter log sequence --config /etc/tc-sequencer/sequencer.json`,
started by `tc-sequencer.timer`). One run:

 1. opens the log at its published checkpoint (`TransparencyLog`: the right edge from the tiles);
 2. **recovers** a batch a crash left unpublished: entry bundles are written before anything
    else of a batch, so entries beyond the checkpoint's size are read back from them and
    re-appended first, exactly as they were; every file of that batch is then byte-identical
    to what is already there (create-only writes succeed on identical bytes) and a checkpoint
    the log had already signed for that tree is published as it is;
 3. lists the records (`release-records/<class>/<pool>/<job>/<name>.json` in the audit archive,
    each written once by its class's signer) and turns each new one into a `release` entry
    (`releases.release_entry_from_envelope` of the envelope the record carries, checked against
    the record and its path); a record that does not check is reported and never logged;
 4. skips entries already in the log (their leaf hashes, from the level-0 tiles, cached in the
    state file and re-read past the cache), appends the rest in batches (sorted by record path);
 5. merges the organizations' verified cosignatures of the published size
    (`cosignatures/<org>/<size>`) into the checkpoint (compare-and-swap: If-Match).

Re-running is always safe: nothing is logged twice, a crash at any point is recovered by the
next run, and nothing ever overwrites a tile, bundle or signed checkpoint (the storage refuses:
the log cannot fork through the sequencer). The checkpoint is the one object replaced, and
only with If-Match on the ETag the run read, so two sequencers cannot both publish.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cosignature import CosignatureVerifier, parse_witness_key
from .cosigned import organization_lines
from .entries import decode_entry, encode_entry
from .errors import Malformed, StorageError, TlogError
from .log import Storage, TransparencyLog
from .merkle import HASH_SIZE, leaf_hash, tree_hash
from .note import Signer, Verifier, split_note
from .releases import release_entry_from_envelope
from .tiles import ENTRIES, TILE_HEIGHT, TILE_WIDTH, Tile, decode_entry_bundle
from .witness import write_atomically

STATE_VERSION = 1
DEFAULT_BATCH = 1024
MAX_RECORD_BYTES = 1 << 20


# --- configuration (the file components/transparency.py renders onto the host) ---------------

@dataclass(frozen=True)
class SequencerConfig:
    origin: str
    region: str
    log_bucket: str
    signing_key: str
    record_bucket: str
    record_prefix: str
    witness_keys: Mapping[str, tuple[str, ...]]
    state_directory: str
    batch_size: int = DEFAULT_BATCH

    @classmethod
    def from_json(cls, data: Any, source: str = "the sequencer config") -> SequencerConfig:
        if not isinstance(data, dict):
            raise Malformed(f"{source}: not a JSON object")
        required = ("origin", "region", "log-bucket", "signing-key", "release-record-bucket", "release-record-prefix",
                    "state-directory")
        missing = [k for k in required if not isinstance(data.get(k), str) or not data[k]]
        if missing:
            raise Malformed(f"{source}: missing or empty {', '.join(missing)}")
        keys = data.get("witness-keys", {})
        if not isinstance(keys, dict) or not all(isinstance(v, list) and all(isinstance(k, str) for k in v)
                                                 for v in keys.values()):
            raise Malformed(f"{source}: witness-keys is {{organization: [witness vkey, ...]}}")
        for vkeys in keys.values():
            for vkey in vkeys:
                parse_witness_key(vkey)  # Malformed names the key
        batch = data.get("batch-size", DEFAULT_BATCH)
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 65536:
            raise Malformed(f"{source}: batch-size must be an integer from 1 to 65536")
        prefix = data["release-record-prefix"]
        return cls(data["origin"], data["region"], data["log-bucket"], data["signing-key"],
                   data["release-record-bucket"], prefix if prefix.endswith("/") else prefix + "/",
                   {org: tuple(v) for org, v in sorted(keys.items())}, data["state-directory"], batch)

    @classmethod
    def load(cls, path: str | Path) -> SequencerConfig:
        try:
            raw = Path(path).read_bytes()
        except OSError as e:
            raise Malformed(f"cannot read the sequencer config {path}: {e.strerror}") from None
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise Malformed(f"the sequencer config {path} is not JSON ({e})") from None
        return cls.from_json(data, str(path))

    def witnesses(self) -> dict[str, list[CosignatureVerifier]]:
        return {org: [parse_witness_key(k) for k in keys] for org, keys in self.witness_keys.items()}


# --- records ---------------------------------------------------------------------------------

def entry_from_record(path: str, data: bytes) -> bytes:
    """The entry bytes of the release record at `path` (relative to the record prefix:
    `<class>/<pool>/<job>/<name>.json`). The entry comes from the provenance envelope the
    record carries; the record's own fields and its path must agree with it (the path's class
    is the one whose signer alone may write there)."""
    parts = path.split("/")
    if len(parts) != 4 or not parts[3].endswith(".json"):
        raise Malformed(f"{path}: a release record is <class>/<pool>/<job>/<name>.json")
    signing_class, pool, _, name = parts[0], parts[1], parts[2], parts[3][:-len(".json")]
    if len(data) > MAX_RECORD_BYTES:
        raise Malformed(f"{path}: larger than {MAX_RECORD_BYTES} bytes")
    try:
        record = json.loads(data)
        envelope = base64.b64decode(record["envelope"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Malformed(f"{path}: not a release record with the provenance envelope (base64)") from None
    if hashlib.sha256(envelope).hexdigest() != record.get("envelopeSha256"):
        raise Malformed(f"{path}: the envelope it carries does not have its envelopeSha256")
    entry = release_entry_from_envelope(envelope)
    expected = {"class": signing_class, "pool": pool, "name": name, "sha256": record.get("sha256"),
                "keyId": record.get("keyId"), "builders": sorted(set(record.get("builders") or []))}
    differ = sorted(k for k, v in expected.items() if entry[k] != v)
    if differ:
        raise Malformed(f"{path}: the record and its provenance disagree on {', '.join(differ)}")
    return encode_entry(entry)


# --- the sequencer ---------------------------------------------------------------------------

@dataclass
class SequenceResult:
    recovered: int = 0
    appended: int = 0
    size: int = 0
    checkpoints: list[int] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    merged: tuple[str, ...] = ()


class Sequencer:
    """Appends the records of `records` (a listable storage over the record prefix) to the log
    in `log_storage`; `signer`/`verifier` are the log's key (KMS on the host), `witnesses` the
    organizations' keys whose cosignatures it merges, `state_path` its cache (optional)."""

    def __init__(self, log_storage: Storage, records: Storage, origin: str, signer: Signer, verifier: Verifier,
                 witnesses: Mapping[str, Sequence[CosignatureVerifier]] | None = None, state_path: str | Path | None = None,
                 batch_size: int = DEFAULT_BATCH):
        for storage, what in ((log_storage, "the log"), (records, "the records")):
            if not callable(getattr(storage, "list", None)):
                raise StorageError(f"the sequencer lists {what}: {storage!r} cannot")
        self.storage = log_storage
        self.records = records
        self.origin = origin
        self.signer = signer
        self.verifier = verifier
        self.witnesses = {org: list(keys) for org, keys in (witnesses or {}).items()}
        self.state_path = None if state_path is None else Path(state_path)
        self.batch_size = batch_size

    def run(self) -> SequenceResult:
        result = SequenceResult()
        log = TransparencyLog(self.storage, self.origin, self.signer, self.verifier)
        recovered = self.unpublished(log)
        if recovered:
            log.append(recovered)
            result.recovered = len(recovered)
            result.checkpoints.append(log.size)
        ordered, known = self._state(log)
        logged = {bytes(ordered[i:i + HASH_SIZE]) for i in range(0, len(ordered), HASH_SIZE)}
        pending: list[bytes] = []
        pending_leaves: set[bytes] = set()
        for path in self.records.list(""):
            cached = known.get(path)
            if cached is not None and (cached.startswith("rejected") or bytes.fromhex(cached) in logged):
                if cached.startswith("rejected"):
                    result.rejected.append((path, cached.removeprefix("rejected: ")))
                continue
            data = self.records.get(path)
            if data is None:
                continue
            try:
                entry = entry_from_record(path, data)
            except TlogError as e:
                known[path] = f"rejected: {e}"
                result.rejected.append((path, str(e)))
                continue
            leaf = leaf_hash(entry)
            known[path] = leaf.hex()
            if leaf in logged or leaf in pending_leaves:
                continue
            pending.append(entry)
            pending_leaves.add(leaf)
        for start in range(0, len(pending), self.batch_size):
            batch = pending[start:start + self.batch_size]
            log.append(batch)
            hashes = [leaf_hash(e) for e in batch]
            logged.update(hashes)
            ordered += b"".join(hashes)
            result.appended += len(batch)
            result.checkpoints.append(log.size)
        result.merged = self.merge_cosignatures(log)
        result.size = log.size
        self._save(log, bytes(ordered), known)
        return result

    # --- crash recovery ---

    def unpublished(self, log: TransparencyLog) -> list[bytes]:
        """The entries of a batch whose bundles were written but whose checkpoint was not
        (a crash), in order; empty when there is none."""
        size = log.size
        n, offset = size >> TILE_HEIGHT, size % TILE_WIDTH
        entries: list[bytes] = []
        while True:
            full = self.storage.get(Tile(ENTRIES, n).path)
            if full is not None:
                bundle = decode_entry_bundle(full)
            else:
                prefix = Tile(ENTRIES, n, 1).path[:-1]
                widths = [int(p[len(prefix):]) for p in self.storage.list(prefix)  # type: ignore[attr-defined]
                          if p[len(prefix):].isdigit()]
                widths = [w for w in widths if w > offset]
                if not widths:
                    break
                width = max(widths)
                bundle = decode_entry_bundle(self.storage.get(Tile(ENTRIES, n, width).path) or b"", width)
            if offset:
                edge = self.storage.get(Tile(ENTRIES, n, offset).path)
                if edge is None or decode_entry_bundle(edge, offset) != bundle[:offset]:
                    raise StorageError(f"the entry bundle {n} beyond the checkpoint does not continue the published "
                                       "one: the log's storage holds something the sequencer did not write")
            for entry in bundle[offset:]:
                decode_entry(entry)  # only the sequencer writes bundles; anything else is for an operator
            entries += bundle[offset:]
            if full is None:
                break
            n, offset = n + 1, 0
        return entries

    # --- what is logged already ---

    def _read_state(self) -> dict[str, Any] | None:
        if self.state_path is None:
            return None
        try:
            data = json.loads(self.state_path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION or data.get("origin") != self.origin:
            return None
        return data

    def _state(self, log: TransparencyLog) -> tuple[bytearray, dict[str, str]]:
        """The log's leaf hashes in order and the records seen: the cache, if its tree is a
        prefix of the log's, extended from the level-0 tiles past it; else rebuilt from the tiles."""
        cached = self._read_state()
        leaves = bytearray()
        start = 0
        records: dict[str, str] = {}
        if cached is not None:
            try:
                size = int(cached["size"])
                root = base64.b64decode(cached["rootHash"], validate=True)
                hashes = bytes.fromhex(cached["leaves"])
                if 0 <= size <= log.size and len(hashes) == size * HASH_SIZE and \
                        tree_hash(size, log.reader(size)) == root:
                    records = {str(k): str(v) for k, v in dict(cached["records"]).items()}
                    for value in records.values():  # a leaf hash in hex, or why the record was rejected
                        if not value.startswith("rejected") and len(bytes.fromhex(value)) != HASH_SIZE:
                            raise ValueError("not a leaf hash")
                    leaves = bytearray(hashes)
                    start = size
            except (KeyError, TypeError, ValueError, TlogError):
                leaves, start, records = bytearray(), 0, {}
        leaves += b"".join(self._leaf_hashes(log, start))
        return leaves, records

    def _leaf_hashes(self, log: TransparencyLog, start: int) -> list[bytes]:
        reader = log.reader()
        out: list[bytes] = []
        n = start >> TILE_HEIGHT
        while (n << TILE_HEIGHT) < log.size:
            width = min(TILE_WIDTH, log.size - (n << TILE_HEIGHT))
            data = reader.tile(Tile(0, n, width))
            first = max(start - (n << TILE_HEIGHT), 0)
            out += [data[i * HASH_SIZE:(i + 1) * HASH_SIZE] for i in range(first, width)]
            n += 1
        return out

    def _save(self, log: TransparencyLog, hashes: bytes, records: dict[str, str]) -> None:
        if self.state_path is None or len(hashes) != log.size * HASH_SIZE:
            return
        data = {"version": STATE_VERSION, "origin": self.origin, "size": log.size,
                "rootHash": base64.b64encode(log.root_hash).decode(), "leaves": hashes.hex(),
                "records": dict(sorted(records.items()))}
        write_atomically(self.state_path, (json.dumps(data, sort_keys=True) + "\n").encode())

    # --- cosignatures ---

    def merge_cosignatures(self, log: TransparencyLog) -> tuple[str, ...]:
        """Merge the organizations' verified cosignatures of the published size into the
        checkpoint (the organizations whose lines it now carries that it did not before)."""
        current = log.checkpoint()
        if current is None or not self.witnesses:
            return ()
        found = organization_lines(self.storage, log.size, self.witnesses, current)
        have = {s.line for s in split_note(current)[1]}
        new = {org: [line for line in lines if line not in have] for org, lines in found.items()}
        new = {org: lines for org, lines in new.items() if lines}
        if new:
            log.add_cosignatures([line for org in sorted(new) for line in new[org]])
        return tuple(sorted(new))
