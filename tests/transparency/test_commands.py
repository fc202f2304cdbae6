"""`tcenter log` offline commands, through a parser built with `register`."""

from __future__ import annotations

import argparse

import pytest

from tcenter.cli import main
from tcenter.core.errors import ExitCode, InputError, UsageError
from tcenter.transparency import commands
from tcenter.transparency.cosignature import CosignatureSigner
from tcenter.transparency.errors import PolicyNotMet
from tcenter.transparency.note import Ed25519Signer
from tcenter.transparency.witness import Witness

from .conftest import ORIGIN


def run(argv):
    parser = argparse.ArgumentParser(prog="tcenter")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_keygen_and_verify_proof(tmp_path, capsys, tlog, log_signer, witnesses):
    assert run(["log", "keygen", "witness.example/w", "--out", str(tmp_path / "w.key"), "--cosignature"]) == 0
    vkey = capsys.readouterr().out.strip()
    assert (tmp_path / "w.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(InputError):
        run(["log", "keygen", "witness.example/w", "--out", str(tmp_path / "w.key")])
    mine = CosignatureSigner.from_file(tmp_path / "w.key")
    assert mine.verifier().vkey == vkey

    tlog.append([b"entry 0", b"entry 1"])
    lines = [Witness(tmp_path / f"{i}.json", w, {ORIGIN: [log_signer.verifier()]}).cosign(tlog.checkpoint()).line
             for i, w in enumerate([mine, witnesses["org-b"][0]])]
    tlog.add_cosignatures(lines)
    (tmp_path / "entry").write_bytes(b"entry 1")
    (tmp_path / "p.tlog-proof").write_bytes(tlog.prove(1).encode())
    argv = ["log", "verify-proof", str(tmp_path / "entry"), str(tmp_path / "p.tlog-proof"),
            "--log-key", log_signer.verifier().vkey, "--witness", f"mine={vkey}",
            "--witness", f"org-b={witnesses['org-b'][0].verifier().vkey}"]
    assert run(argv) == 0
    assert "cosigned by mine, org-b" in capsys.readouterr().out
    with pytest.raises(PolicyNotMet):  # org-c is listed but did not cosign: 1 of 2
        run(argv[:-2] + ["--witness", f"org-c={witnesses['org-c'][0].verifier().vkey}"])
    with pytest.raises(UsageError):
        run(argv[:6])  # no witness keys at all
    assert isinstance(Ed25519Signer.from_file(tmp_path / "w.key"), Ed25519Signer)


def test_through_the_cli_a_failed_check_is_one_line_with_its_exit_code(tmp_path, capsys, tlog, log_signer, witnesses):
    tlog.append([b"entry 0", b"entry 1"])
    org_b = witnesses["org-b"][0]
    tlog.add_cosignatures([Witness(tmp_path / "b.json", org_b, {ORIGIN: [log_signer.verifier()]}).cosign(tlog.checkpoint()).line])
    (tmp_path / "p.tlog-proof").write_bytes(tlog.prove(1).encode())
    base = [str(tmp_path / "entry"), str(tmp_path / "p.tlog-proof"), "--log-key", log_signer.verifier().vkey,
            "--witness", f"org-b={org_b.verifier().vkey}"]
    (tmp_path / "entry").write_bytes(b"not the logged entry")
    assert main(["log", "verify-proof", *base, "--quorum", "1"]) == ExitCode.NOT_LOGGED
    (tmp_path / "entry").write_bytes(b"entry 1")
    org_c = f"org-c={witnesses['org-c'][0].verifier().vkey}"  # listed, did not cosign
    assert main(["log", "verify-proof", *base, "--witness", org_c, "--quorum", "2"]) == ExitCode.WITNESSES
    assert main(["log", "verify-proof", *base, "--quorum", "1"]) == ExitCode.OK
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 2 and "Traceback" not in err, err
