"""`tcenter verify` over real releases made by the real signer script, with real P-384 keys
standing in for the products and AV database keys: the untouched release verifies, and
every entry of the tamper corpus fails with its own reason and exit code."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from securesystemslib.dsse import Envelope

from tcenter.cli import main
from tcenter.supply import verify as verify_module
from tests.signing.release_kit import ARTIFACT, COMMIT, KEY_ID, builder_outputs, make_key, openssl_backend, publish_builders, sign

pytestmark = pytest.mark.skipif(not os.environ.get("CI") and (shutil.which("openssl") is None), reason="(never skipped under CI) needs the openssl command as the stand-in signing backend")


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    publish_builders(folder)
    return {name: make_key(folder, name) for name in ("products", "av-databases", "intruder")}


@pytest.fixture(scope="module")
def signed(tmp_path_factory, keys) -> Path:
    """A pristine release directory; each test copies it before tampering."""
    root = tmp_path_factory.mktemp("signed")
    assert sign(root, builder_outputs(root, ARTIFACT, ARTIFACT), openssl_backend(keys["products"])).returncode == 0
    other = b"another product\n"
    result = sign(root, builder_outputs(root / "other", other, other), openssl_backend(keys["products"]),
                  release_dir=root / "other-release")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def release(tmp_path, signed) -> Path:
    shutil.copytree(signed / "release", tmp_path / "release", ignore=shutil.ignore_patterns(".sign-release-*"))
    return tmp_path / "release" / "product.tar"


def verdict(capsys, release, keys, *extra, expect="products") -> tuple[int, str]:
    code = main(["verify", str(release), "--class", expect, "--key", f"products={keys['products']['public']}",
                     "--key", f"av-databases={keys['av-databases']['public']}", *extra,
                 *([] if "--log-key" in extra else ["--no-log"])])  # the log's check: tests/transparency
    return code, capsys.readouterr().out


def resign(release: Path, private: Path, change) -> None:
    """Rewrite the statement with `change` and sign the envelope again with `private`."""
    path = Path(f"{release}.intoto.json")
    envelope = json.loads(path.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    change(statement)
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    dsse = Envelope(payload=payload, payload_type=envelope["payloadType"], signatures={})
    key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    signature = key.sign(dsse.pae(), ec.ECDSA(hashes.SHA384()))
    envelope["payload"] = base64.b64encode(payload).decode()
    envelope["signatures"] = [{"keyid": KEY_ID, "sig": base64.b64encode(signature).decode()}]
    path.write_text(json.dumps(envelope))


def builders_of(statement) -> list[dict]:
    return [b for b in statement["predicate"]["runDetails"]["byproducts"] if "annotations" in b]


def test_the_untouched_release_verifies(capsys, release, keys):
    code, out = verdict(capsys, release, keys, "--source-rev", COMMIT, "--pool", "products")
    assert code == 0, out
    assert out.startswith("VERIFIED product.tar") and "products-1, products-2" in out and COMMIT in out


def test_resigning_with_the_real_key_and_no_change_still_verifies(capsys, release, keys):
    """The corpus below fails for what it changes, not because the test helper re-signs."""
    resign(release, keys["products"]["private"], lambda statement: None)
    assert verdict(capsys, release, keys)[0] == 0


def flip_byte(release, keys):
    data = bytearray(release.read_bytes())
    data[len(data) // 2] ^= 0x01
    release.write_bytes(bytes(data))


def other_releases_envelope(release, keys):
    shutil.copyfile(release.parent.parent / "other-release" / "product.tar.intoto.json", f"{release}.intoto.json")


def same_builder_twice(release, keys):
    def change(statement):
        first = builders_of(statement)[0]
        statement["predicate"]["runDetails"]["byproducts"] = [first, dict(first, name="products-1/again")]
    resign(release, keys["products"]["private"], change)


def builder_outside_the_pool(release, keys):
    def change(statement):
        builders_of(statement)[1]["annotations"]["builderIdentity"] = "av-databases-1"
    resign(release, keys["products"]["private"], change)


def av_database_key_on_a_product(release, keys):
    root = release.parent.parent / "av-signed"
    result = sign(root, builder_outputs(root, ARTIFACT, ARTIFACT), openssl_backend(keys["av-databases"]))
    assert result.returncode == 0, result.stderr
    for suffix in (".sig", ".intoto.json", ".cdx.json"):
        shutil.copyfile(root / "release" / f"product.tar{suffix}", f"{release}{suffix}")


def unsigned_envelope(release, keys):
    path = Path(f"{release}.intoto.json")
    envelope = json.loads(path.read_text())
    envelope["signatures"] = []
    path.write_text(json.dumps(envelope))


def resigned_envelope(release, keys):
    def change(statement):
        statement["predicate"]["buildDefinition"]["externalParameters"]["source"]["commit"] = "0" * 40
    resign(release, keys["intruder"]["private"], change)


def missing_sbom(release, keys):
    Path(f"{release}.cdx.json").unlink()


def changed_sbom(release, keys):
    path = Path(f"{release}.cdx.json")
    path.write_text(path.read_text().replace("make", "rnake"))


CORPUS = {
    "flipped byte in the release": (flip_byte, (), verify_module.RELEASE_SIGNATURE, "does not verify"),
    "envelope of another release": (other_releases_envelope, (), verify_module.SUBJECT, "not this file"),
    "same builder identity twice": (same_builder_twice, (), verify_module.BUILDERS, "counted twice"),
    "builder outside the pool": (builder_outside_the_pool, (), verify_module.BUILDERS, "outside pool"),
    "AV database key on a product": (av_database_key_on_a_product, (), verify_module.WRONG_KEY_CLASS, "av-databases key"),
    "unsigned envelope": (unsigned_envelope, (), verify_module.ENVELOPE_SIGNATURE, "not signed"),
    "re-signed envelope": (resigned_envelope, (), verify_module.ENVELOPE_SIGNATURE, "re-signed"),
    "other source revision": (lambda r, k: None, ("--source-rev", "1" * 40), verify_module.SOURCE_REVISION, "not the reviewed"),
    "missing SBOM": (missing_sbom, (), verify_module.SBOM, "missing"),
    "changed SBOM": (changed_sbom, (), verify_module.SBOM, "digest differs"),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_tampered_release_fails_with_its_own_reason(capsys, release, keys, signed, case):
    shutil.copytree(signed / "other-release", release.parent.parent / "other-release",
                    ignore=shutil.ignore_patterns(".sign-release-*"))
    tamper, extra, expected_code, reason = CORPUS[case]
    tamper(release, keys)
    code, out = verdict(capsys, release, keys, *extra)
    assert code == expected_code, out
    assert out.startswith("NOT VERIFIED product.tar: ") and reason in out, out


def test_every_failure_class_has_its_own_exit_code():
    codes = [verify_module.RELEASE_SIGNATURE, verify_module.WRONG_KEY_CLASS, verify_module.ENVELOPE_SIGNATURE,
             verify_module.SUBJECT, verify_module.BUILDERS, verify_module.SOURCE_REVISION, verify_module.SBOM]
    assert len(set(codes)) == len(codes) and not set(codes) & {0, 1, 2, 3, 64}
    assert {code for _, _, code, _ in CORPUS.values()} == set(codes)


def test_an_av_database_verifies_only_as_an_av_database(capsys, tmp_path, keys):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT, pool="av"), openssl_backend(keys["av-databases"]),
                  pool="av", signing_class="av-databases")
    assert result.returncode == 0, result.stderr
    release = tmp_path / "release" / "product.tar"
    assert verdict(capsys, release, keys, expect="av-databases")[0] == 0
    assert verdict(capsys, release, keys, expect="products")[0] == verify_module.WRONG_KEY_CLASS


def test_bad_input_is_one_line_exit_3_or_64(capsys, release, keys, tmp_path):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n")
    assert main(["verify", str(release), "--class", "products", "--key", f"products={not_pem}"]) == 3
    assert "not a PEM public key" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "absent"), "--class", "products",
                     "--key", f"products={keys['products']['public']}", "--no-log"]) == 3
    capsys.readouterr()
    # The transparency log is checked unless --no-log says otherwise, before any file is read.
    assert main(["verify", str(tmp_path / "absent"), "--class", "products", "--key", f"products={keys['products']['public']}"]) == 64
    err = capsys.readouterr().err
    assert "--log-key" in err and "--no-log" in err and len(err.strip().splitlines()) == 1
    assert main(["verify", str(release), "--class", "products", "--key", f"products={keys['products']['public']}",
                 "--no-log", "--log-key", "x+00000000+AAAA"]) == 64
    assert main(["verify", str(release), "--class", "products", "--key", f"products={keys['products']['public']}",
                 "--log-key", "not a key"]) == 3
    assert main(["verify", str(release), "--class", "products", "--key", f"av-databases={keys['av-databases']['public']}"]) == 64
    assert main(["verify", str(release), "--class", "products", "--key", f"nope={not_pem}"]) == 64
    Path(f"{release}.intoto.json").write_text("{")
    assert main(["verify", str(release), "--class", "products", "--key", f"products={keys['products']['public']}",
                 "--no-log"]) == 3
    assert "Traceback" not in capsys.readouterr().err


def test_a_customer_verifies_the_file_with_openssl_alone(release, keys):
    import subprocess

    result = subprocess.run(["openssl", "dgst", "-sha384", "-verify", str(keys["products"]["public"]),
                             "-signature", f"{release}.sig", str(release)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # ... and the envelope too: its signature is over DSSE's PAE of the payload (docs/releases.md).
    envelope = json.loads(Path(f"{release}.intoto.json").read_text())
    payload = base64.b64decode(envelope["payload"])
    pae = b"DSSEv1 %d %b %d %b" % (len(envelope["payloadType"]), envelope["payloadType"].encode(), len(payload), payload)
    (release.parent / "pae.bin").write_bytes(pae)
    (release.parent / "envelope.sig").write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
    result = subprocess.run(["openssl", "dgst", "-sha384", "-verify", str(keys["products"]["public"]), "-signature",
                             str(release.parent / "envelope.sig"), str(release.parent / "pae.bin")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    statement = json.loads(payload)
    assert statement["subject"][0]["digest"]["sha256"] == hashlib.sha256(release.read_bytes()).hexdigest()
