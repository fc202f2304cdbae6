"""`tcenter witness`, pulling: over HTTP(S) from the published log (a local HTTP server on
127.0.0.1 here, free port, requests counted) or from a bucket; the consistency proof comes from
the log's tiles; a fork or a rollback is refused with exit 20 and both signed checkpoints kept;
re-runs and a restored machine never upload a second, different cosignature."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tcenter.cli import main
from tcenter.core.errors import ExitCode
from tcenter.transparency.cosigned import cosignature_path, parse_lines, verified_lines
from tcenter.transparency.errors import StorageError
from tcenter.transparency.log import CHECKPOINT, LocalDirectoryStorage, TransparencyLog
from tcenter.transparency.s3 import HttpsStorage
from tcenter.transparency.witness import Witness
from tcenter.transparency.witnessing import run_witness

from .flow_kit import make_keys
from .test_sequencer import synthetic_entries

ORIGIN = "log.example/zurich"
REQUEST_BUDGET = 200


class Served:
    def __init__(self, root: Path, url: str):
        self.root = root
        self.url = url
        self.requests: list[str] = []


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    """A log directory served read-only over HTTP on 127.0.0.1 (a stand-in for the CDN)."""
    root = tmp_path / "published"
    root.mkdir()
    served = Served(root, "")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            served.requests.append(self.path)
            assert len(served.requests) <= REQUEST_BUDGET, "request budget exceeded"
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def keys(tmp_path):
    return make_keys(tmp_path / "keys", ORIGIN)


def witness_cmd(keys, tmp_path, log: str, upload: Path, org: str = "org-a", state: str = "state"):
    return ["witness", "--org", org, "--key", str(keys.witness_key_files[org]), "--log", log, "--log-key", keys.log_vkey,
            "--upload", str(upload), "--state-dir", str(tmp_path / state)]


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cosigns_over_https_with_a_proof_from_the_tiles(served, keys, tmp_path, capsys):
    log = TransparencyLog(LocalDirectoryStorage(served.root), ORIGIN, keys.log, keys.log.verifier())
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    log.append(synthetic_entries(3))
    code, out, err = run(witness_cmd(keys, tmp_path, served.url, uploads), capsys)
    assert code == 0 and "at size 3 (last cosigned 0)" in out, (out, err)
    log.append(synthetic_entries(600, start=3))
    code, out, err = run(witness_cmd(keys, tmp_path, served.url, uploads), capsys)
    assert code == 0 and "at size 603 (last cosigned 3)" in out, (out, err)
    fetched = [p for p in served.requests if p.startswith("/tile/")]
    assert fetched and len(fetched) <= 6, fetched  # the tiles of one consistency proof, not the log
    line = (uploads / cosignature_path("org-a", 603)).read_bytes()
    assert verified_lines(log.checkpoint(), parse_lines(line), [keys.witnesses["org-a"].verifier()])
    code, out, _ = run(witness_cmd(keys, tmp_path, served.url, uploads), capsys)
    assert code == 0 and out.startswith("unchanged") and (uploads / cosignature_path("org-a", 603)).read_bytes() == line


def test_a_rollback_is_refused_with_both_checkpoints(served, keys, tmp_path, capsys):
    log = TransparencyLog(LocalDirectoryStorage(served.root), ORIGIN, keys.log, keys.log.verifier())
    log.append(synthetic_entries(5))
    older = log.checkpoint()
    log.append(synthetic_entries(5, start=5))
    assert run(witness_cmd(keys, tmp_path, served.url, tmp_path), capsys)[0] == 0
    (served.root / CHECKPOINT).write_bytes(older)  # the log (or a cache) serves an older tree
    code, out, err = run(witness_cmd(keys, tmp_path, served.url, tmp_path), capsys)
    assert code == ExitCode.EQUIVOCATION and "rollback" in err
    evidence = json.loads(Path(out.split("evidence: ")[1].strip()).read_text())
    assert evidence["kind"] == "RollbackError" and evidence["offeredCheckpoint"] == older.decode()
    assert evidence["cosignedCheckpoint"].startswith(f"{ORIGIN}\n10\n")
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert state["logs"][ORIGIN]["size"] == 10  # the refusal changed nothing


def test_two_roots_for_one_size_are_a_fork(keys, tmp_path, capsys):
    real, other = tmp_path / "real", tmp_path / "other"
    TransparencyLog(LocalDirectoryStorage(real), ORIGIN, keys.log, keys.log.verifier()).append(synthetic_entries(4))
    TransparencyLog(LocalDirectoryStorage(other), ORIGIN, keys.log, keys.log.verifier()).append(
        synthetic_entries(4, start=100))
    (tmp_path / "up").mkdir()
    assert run(witness_cmd(keys, tmp_path, str(real), tmp_path / "up"), capsys)[0] == 0
    code, out, err = run(witness_cmd(keys, tmp_path, str(other), tmp_path / "up"), capsys)
    assert code == ExitCode.EQUIVOCATION and "two different roots for size 4" in err
    assert len(list((tmp_path / "state" / "evidence").iterdir())) == 1


def test_a_restored_witness_keeps_its_earlier_upload(keys, tmp_path):
    log_dir = tmp_path / "log"
    log = TransparencyLog(LocalDirectoryStorage(log_dir), ORIGIN, keys.log, keys.log.verifier())
    log.append(synthetic_entries(2))
    storage = LocalDirectoryStorage(log_dir)
    signer = keys.witnesses["org-a"]
    first = Witness(tmp_path / "a" / "state.json", signer, {ORIGIN: [keys.log.verifier()]})
    run_witness(first, "org-a", storage.get, [keys.log.verifier()], ORIGIN, storage)  # a plain fetch callable
    uploaded = storage.get(cosignature_path("org-a", 2))
    signer._clock = lambda: 2_000_000_000  # later: the new cosignature has another timestamp
    restored = Witness(tmp_path / "b" / "state.json", signer, {ORIGIN: [keys.log.verifier()]})
    done = run_witness(restored, "org-a", storage, [keys.log.verifier()], ORIGIN, storage)
    assert done.cosigned and storage.get(cosignature_path("org-a", 2)) == uploaded
    # Another key's line in org-a's prefix is not this witness's upload: refused, never overwritten.
    shutil.rmtree(tmp_path / "b")
    other = keys.witnesses["org-b"]
    impostor = Witness(tmp_path / "b" / "state.json", other, {ORIGIN: [keys.log.verifier()]})
    with pytest.raises(StorageError, match="not this witness's cosignature"):
        run_witness(impostor, "org-a", storage, [keys.log.verifier()], ORIGIN, storage)


def test_the_https_reader_is_strict_about_where_it_reads(served):
    assert HttpsStorage(served.url).get("checkpoint") is None  # 404: not there
    with pytest.raises(StorageError, match="https://"):
        HttpsStorage("http://transparency.example/log/")
    with pytest.raises(StorageError, match="read-only"):
        HttpsStorage(served.url).put("tile/0/000", b"x", create_only=True)
