"""The sequencer: records become release entries, nothing is logged twice, a crash anywhere is
recovered by the next run without forking the log, bad records are reported and never logged,
cosignatures are merged only when they verify."""

from __future__ import annotations

import gzip
import base64
import json

import pytest

from tcenter.transparency.cosignature import CosignatureSigner
from tcenter.transparency.entries import decode_entry
from tcenter.transparency.errors import Malformed
from tcenter.transparency.log import CHECKPOINT, MemoryStorage, TransparencyLog
from tcenter.transparency.merkle import MemoryHashStore, leaf_hash
from tcenter.transparency.note import Ed25519Signer, split_note
from tcenter.transparency.releases import release_entry_bytes
from tcenter.transparency.sequencer import Sequencer, SequencerConfig, entry_from_record
from tcenter.transparency.witness import Witness
from tcenter.transparency.witnessing import run_witness

from .flow_kit import rendered_sequencer_config, seed, sign_release

ORIGIN = "log.example/zurich"


class Crash(Exception):
    pass


class CountingSigner:
    """The log key, counting how often it signs (KMS calls on the host)."""

    def __init__(self) -> None:
        self.inner = Ed25519Signer.from_seed(ORIGIN, seed("log"))
        self.name, self.key_id, self.sig_type = self.inner.name, self.inner.key_id, self.inner.sig_type
        self.calls = 0

    def sign(self, message: bytes) -> bytes:
        self.calls += 1
        return self.inner.sign(message)

    def verifier(self):
        return self.inner.verifier()


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """Three real releases (the signer script, openssl P-384): their records and envelopes."""
    root = tmp_path_factory.mktemp("releases")
    return [sign_release(root, f"job-{i}", content=f"release {i}\n".encode() * 300) for i in range(3)]


def records_of(*releases) -> MemoryStorage:
    storage = MemoryStorage()
    for release in releases:
        storage.put(release.record_path, release.record, create_only=True)
    return storage


def sequencer(log: MemoryStorage, records: MemoryStorage, signer=None, state=None, witnesses=None) -> Sequencer:
    signer = signer or CountingSigner()
    return Sequencer(log, records, ORIGIN, signer, signer.verifier(), witnesses or {}, state)


def test_the_rendered_host_config_is_what_the_sequencer_reads():
    config = SequencerConfig.from_json(rendered_sequencer_config())
    assert config.record_prefix == "release-records/" and config.state_directory == "/var/lib/tc-sequencer"
    assert config.signing_key.startswith("alias/tc/dev/transparency/") and set(config.witnesses()) == {"review-lab"}
    with pytest.raises(Malformed, match="log-bucket"):
        SequencerConfig.from_json({k: v for k, v in rendered_sequencer_config().items() if k != "log-bucket"})


def test_a_record_becomes_the_entry_its_envelope_says(releases):
    release = releases[0]
    entry = entry_from_record(release.record_path, release.record)
    assert entry == release_entry_bytes(release.envelope.read_bytes())
    fields = decode_entry(entry)
    assert (fields["class"], fields["pool"], fields["name"], fields["sha256"]) == (
        "products", "products", release.name, release.sha256())
    assert fields["envelopeSha256"] == release.envelope_sha256()


@pytest.mark.parametrize("change, message", [
    (lambda path, r: ("av-databases/" + path.split("/", 1)[1], r), "class"),          # a products record filed as AV
    (lambda path, r: (path.replace("product.tar.json", "other.tar.json"), r), "name"),
    (lambda path, r: (path, {**r, "sha256": "0" * 64}), "sha256"),
    (lambda path, r: (path, {**r, "envelopeSha256": "0" * 64}), "envelopeSha256"),
    (lambda path, r: (path, {**r, "builders": ["products-1"]}), "builders"),
    (lambda path, r: (path, {k: v for k, v in r.items() if k != "envelope"}), "envelope"),
])
def test_a_record_that_disagrees_with_its_envelope_is_rejected(releases, change, message):
    release = releases[0]
    path, record = change(release.record_path, json.loads(release.record))
    with pytest.raises(Malformed, match=message):
        entry_from_record(path, json.dumps(record).encode())


def test_logs_each_record_once_even_without_its_cache(releases, tmp_path):
    log, records = MemoryStorage(), records_of(*releases[:2])
    state = tmp_path / "state.json"
    first = sequencer(log, records, state=state).run()
    assert (first.appended, first.size, first.checkpoints) == (2, 2, [2])
    assert sequencer(log, records, state=state).run().appended == 0
    state.unlink()  # a new host: the cache is rebuilt from the log's tiles
    assert sequencer(log, records, state=state).run().appended == 0
    records.put(releases[2].record_path, releases[2].record, create_only=True)
    assert sequencer(log, records, state=state).run().appended == 1
    logged = TransparencyLog(log, ORIGIN, CountingSigner(), CountingSigner().verifier())
    # in the order of the record paths (job-0, job-1, then job-2 in a later run)
    assert [logged.entry(i) for i in range(3)] == [entry_from_record(r.record_path, r.record) for r in releases]


def test_a_stale_cache_is_not_trusted(releases, tmp_path):
    log, records = MemoryStorage(), records_of(releases[0])
    state = tmp_path / "state.json"
    sequencer(log, records, state=state).run()
    cached = json.loads(state.read_text())
    cached["rootHash"] = base64.b64encode(b"\0" * 32).decode()  # not the log's tree
    cached["leaves"] = ""
    cached["size"] = 0
    state.write_text(json.dumps(cached))
    assert sequencer(log, records, state=state).run().appended == 0
    cached = json.loads(state.read_text())
    cached["records"] = {path: "not hex" for path in cached["records"]}  # a damaged cache
    state.write_text(json.dumps(cached))
    assert sequencer(log, records, state=state).run().appended == 0


def test_bad_records_are_reported_and_never_logged(releases):
    log, records = MemoryStorage(), records_of(releases[0])
    records.put("products/products/job-x/broken.tar.json", b"{not json", create_only=True)
    done = sequencer(log, records).run()
    assert done.appended == 1 and [p for p, _ in done.rejected] == ["products/products/job-x/broken.tar.json"]


@pytest.mark.parametrize("crash_at", ["tile/entries/", "tile/0/", "checkpoints/", "checkpoint"])
def test_a_crash_anywhere_is_recovered_without_a_fork(releases, crash_at):
    log = MemoryStorage()
    sequencer(log, records_of(releases[0])).run()
    records = records_of(*releases[:2])
    real_put = log.put

    def crashing(path, data, create_only):
        if path.startswith(crash_at) and (crash_at != "checkpoint" or path == CHECKPOINT):
            raise Crash(path)
        real_put(path, data, create_only)

    log.put = crashing
    signer = CountingSigner()
    with pytest.raises(Crash):
        sequencer(log, records, signer=signer).run()
    log.put = real_put
    # Meanwhile a third release is recorded; the next run must first finish the crashed batch.
    records.put(releases[2].record_path, releases[2].record, create_only=True)
    again = CountingSigner()
    done = sequencer(log, records, signer=again).run()
    assert done.size == 3 and done.recovered + done.appended == 2
    # After the entry bundle was written, the crashed batch (job-1 alone) is finished first.
    assert done.recovered == (0 if crash_at == "tile/entries/" else 1)
    if crash_at == "checkpoint":  # checkpoints/2 was signed before the crash: published as it is
        assert done.recovered == 1 and again.calls == 1 and signer.calls == 1
    tree = MemoryHashStore()
    tlog = TransparencyLog(log, ORIGIN, again, again.verifier())
    for i in range(3):
        tree.append_leaf_hash(leaf_hash(tlog.entry(i)))
    signed = [int(path.split("/")[1]) for path in log.list("checkpoints/")]
    assert 1 in signed and 3 in signed
    for size in signed:  # every checkpoint the log ever signed is a prefix of the one tree
        assert tlog.signed_checkpoint(size).root_hash == tree.root(size)
    assert sequencer(log, records).run().appended == 0


def test_only_verified_cosignatures_are_merged(releases, tmp_path):
    log, records = MemoryStorage(), records_of(releases[0])
    witness_key = CosignatureSigner.from_seed("witness.org-a.example", seed("org-a"))
    impostor = CosignatureSigner.from_seed("witness.org-a.example", seed("not org-a"))
    organizations = {"org-a": [witness_key.verifier()]}
    seq = sequencer(log, records, witnesses=organizations)
    seq.run()
    verifier = CountingSigner().verifier()
    forged = Witness(tmp_path / "impostor.json", impostor, {ORIGIN: [verifier]})
    run_witness(forged, "org-a", log, [verifier], ORIGIN, log)  # an impostor's line in org-a's prefix
    assert seq.run().merged == ()
    assert len(split_note(log.get(CHECKPOINT))[1]) == 1  # the log's own signature only


def synthetic_entries(count: int, start: int = 0) -> list[bytes]:
    from tcenter.transparency.entries import encode_entry, release_entry

    return [encode_entry(release_entry(signing_class="products", name=f"r{i}.tar", sha256=f"{i:064x}",
                                       envelope_sha256=f"{i + 1:064x}", source_revision="a" * 40, source_tree="b" * 40,
                                       pool="products", builders=["products-1", "products-2"], key_id="k"))
            for i in range(start, start + count)]


def test_a_crashed_batch_across_several_bundles_is_read_back_whole():
    log = MemoryStorage()
    signer = CountingSigner()
    TransparencyLog(log, ORIGIN, signer, signer.verifier()).append(synthetic_entries(250))
    batch = synthetic_entries(300, start=250)
    real_put = log.put

    def crash_at_the_first_tile(path, data, create_only):
        if path.startswith("tile/0/"):
            raise Crash(path)
        real_put(path, data, create_only)

    log.put = crash_at_the_first_tile
    with pytest.raises(Crash):
        TransparencyLog(log, ORIGIN, signer, signer.verifier()).append(batch)
    log.put = real_put
    assert {"tile/entries/000", "tile/entries/001", "tile/entries/002.p/38"} <= set(log.list("tile/entries/"))
    seq = sequencer(log, MemoryStorage(), signer=signer)
    assert seq.unpublished(TransparencyLog(log, ORIGIN, signer, signer.verifier())) == batch
    done = seq.run()
    assert (done.recovered, done.appended, done.size) == (300, 0, 550)
    reopened = TransparencyLog(log, ORIGIN, signer, signer.verifier())
    assert reopened.entry(549) == batch[-1] and seq.unpublished(reopened) == []


def test_the_hosts_call_tcenter_with_arguments_it_takes():
    """The sequencer's unit and the signer's wrapper run commands this tcenter parses (the
    image installs the kit at the reviewed commit), with the files the hosts are given."""
    import re
    import shlex

    from components.hosts import TCENTER
    from tcenter.cli import build_parser
    from tests.hosts.roles import render_sequencer, render_signer

    sequencer_host = render_sequencer("zurich-prod")
    files = {f.path: f.content for f in sequencer_host.profile.files}
    (exec_start,) = re.findall(r"^ExecStart=(.+)$", files["/etc/systemd/system/tc-sequencer.service"], re.M)
    program, *argv = shlex.split(exec_start)
    args = build_parser().parse_args(argv)
    assert program == TCENTER and args.func.__name__ == "run_sequence" and args.config in files
    assert "tc-sequencer.timer" in sequencer_host.profile.enabled_units
    assert len(gzip.compress(sequencer_host.user_data.encode())) <= 16384  # EC2 counts the gzip-compressed bytes

    signer = render_signer("zurich-prod")
    files = {f.path: f.content for f in signer.profile.files}
    wrapper = files["/usr/local/bin/tc-sign-release"]
    call = re.search(rf"^\s*{re.escape(TCENTER)} (log release-proof .+?)\|\|", wrapper.replace("\\\n", " "), re.M | re.S)
    assert call is not None
    args = build_parser().parse_args(shlex.split(call.group(1).replace('"', "").replace("$pending/$name", "X")))
    assert args.func.__name__ == "run_release_proof" and args.config in files
    assert json.loads(files[args.config])["quorum"] == 2  # zurich-prod: k = 2 for products
