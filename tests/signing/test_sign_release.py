"""The signer hosts' script (templates/signer/sign-release.py), run on real files with a
local openssl key standing in for the HSM or KMS: it signs only matching builder outputs,
records the agreeing builder identities in signed provenance, and writes nothing otherwise."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import os

import pytest

from components.signing import SIGNER_SCRIPT
from tests.signing.release_kit import ARTIFACT, BUILD_INFO, KEY_ID, builder_outputs, make_key, openssl_backend, sign

pytestmark = pytest.mark.skipif(not os.environ.get("CI") and (shutil.which("openssl") is None), reason="(never skipped under CI) needs the openssl command as the stand-in signing backend")

@pytest.fixture(scope="module")
def key(tmp_path_factory) -> dict[str, Path]:
    return make_key(tmp_path_factory.mktemp("key"), "signing")


def released(tmp_path: Path) -> list[str]:
    folder = tmp_path / "release"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def verify(public: Path, release: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "dgst", "-sha384", "-verify", str(public), "-signature", f"{release}.sig", str(release)],
                          capture_output=True, text=True)


BUNDLE = ["product.tar", "product.tar.cdx.json", "product.tar.intoto.json", "product.tar.sig"]


def statement_of(release: Path) -> dict:
    envelope = json.loads(Path(f"{release}.intoto.json").read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    return json.loads(base64.b64decode(envelope["payload"]))


def test_matching_outputs_are_signed_and_recorded(tmp_path, key):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), openssl_backend(key))
    assert result.returncode == 0, result.stderr
    assert released(tmp_path) == BUNDLE
    release = tmp_path / "release" / "product.tar"
    assert release.read_bytes() == ARTIFACT
    # The signature verifies with the public key, over the released bytes.
    assert verify(key["public"], release).returncode == 0
    statement = statement_of(release)
    expected = hashlib.sha256(ARTIFACT).hexdigest()
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["subject"] == [{"name": "product.tar", "digest": {"sha256": expected}}]
    definition = statement["predicate"]["buildDefinition"]
    assert definition["externalParameters"]["source"] == BUILD_INFO["source"]
    assert definition["externalParameters"]["buildCommand"] == BUILD_INFO["buildCommand"]
    assert definition["internalParameters"]["sourceDateEpoch"] == BUILD_INFO["sourceDateEpoch"]
    assert definition["internalParameters"]["toolchain"] == BUILD_INFO["toolchain"]
    byproducts = statement["predicate"]["runDetails"]["byproducts"]
    agreed = {b["annotations"]["builderIdentity"]: b["digest"]["sha256"] for b in byproducts if "annotations" in b}
    assert agreed == {"products-1": expected, "products-2": expected}
    sbom = (tmp_path / "release" / "product.tar.cdx.json").read_bytes()
    assert {"name": "product.tar.cdx.json", "digest": {"sha256": hashlib.sha256(sbom).hexdigest()},
            "mediaType": "application/vnd.cyclonedx+json"} in byproducts
    components = {c["name"]: c.get("version") for c in json.loads(sbom)["components"]}
    assert components == {**BUILD_INFO["toolchain"], BUILD_INFO["baseImage"]: None}


def test_the_same_inputs_give_the_same_provenance_bytes(tmp_path, key):
    payloads = []
    for run in ("a", "b"):
        outputs = builder_outputs(tmp_path / run, ARTIFACT, ARTIFACT)
        assert sign(tmp_path / run, outputs, openssl_backend(key)).returncode == 0
        release = tmp_path / run / "release" / "product.tar"
        payloads.append((json.loads(Path(f"{release}.intoto.json").read_text())["payload"],
                         Path(f"{release}.cdx.json").read_bytes()))
    assert payloads[0] == payloads[1]
    # ... and different inputs give different bytes (the check can fail).
    other = dict(BUILD_INFO, sourceDateEpoch=BUILD_INFO["sourceDateEpoch"] + 1)
    outputs = builder_outputs(tmp_path / "c", ARTIFACT, ARTIFACT, info=other)
    assert sign(tmp_path / "c", outputs, openssl_backend(key)).returncode == 0
    assert json.loads((tmp_path / "c" / "release" / "product.tar.intoto.json").read_text())["payload"] != payloads[0][0]


def test_builders_that_disagree_on_inputs_are_not_signed(tmp_path, key):
    outputs = builder_outputs(tmp_path, ARTIFACT, ARTIFACT)
    info_2 = Path(outputs[1].split("=", 1)[1]).parent / "build-info.json"
    info_2.write_text(json.dumps(dict(BUILD_INFO, baseImage="ami-0fedcba9876543210")))
    result = sign(tmp_path, outputs, openssl_backend(key))
    assert result.returncode == 4 and "disagree" in result.stderr
    assert released(tmp_path) == []


@pytest.mark.parametrize("labels", [["products-1", "products-1"], ["products-1", "av-1"], ["products-1", "i-0abc"]])
def test_only_distinct_identities_of_the_pool_count(tmp_path, key, labels):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT, names=labels), openssl_backend(key))
    assert result.returncode == 2, result.stderr
    assert released(tmp_path) == []


def test_the_configured_minimum_of_builders_is_enforced(tmp_path, key):
    outputs = builder_outputs(tmp_path, ARTIFACT, ARTIFACT)
    result = sign(tmp_path, outputs, openssl_backend(key), "--min-builders", "3")
    assert result.returncode == 2 and "at least 3" in result.stderr
    assert sign(tmp_path, outputs, openssl_backend(key), "--min-builders", "1").returncode == 2
    assert released(tmp_path) == []


def test_a_tampered_release_fails_verification(tmp_path, key):
    assert sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), openssl_backend(key)).returncode == 0
    release = tmp_path / "release" / "product.tar"
    release.write_bytes(ARTIFACT + b"backdoor")
    assert verify(key["public"], release).returncode != 0


def test_mismatching_outputs_are_not_signed(tmp_path, key):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT + b"\x00"), openssl_backend(key))
    assert result.returncode == 4
    assert "differ" in result.stderr
    # Both digests are named, so the operator sees which builder diverged.
    assert hashlib.sha256(ARTIFACT).hexdigest() in result.stderr
    assert hashlib.sha256(ARTIFACT + b"\x00").hexdigest() in result.stderr
    assert released(tmp_path) == []


def test_a_third_builder_that_differs_blocks_signing(tmp_path, key):
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT, b"other"), openssl_backend(key))
    assert result.returncode == 4 and released(tmp_path) == []


@pytest.mark.parametrize("present", [(True, False), (False, True), (False, False)])
def test_missing_builder_output_is_not_signed(tmp_path, key, present):
    contents = [ARTIFACT if here else None for here in present]
    result = sign(tmp_path, builder_outputs(tmp_path, *contents), openssl_backend(key))
    assert result.returncode == 3
    assert "missing" in result.stderr
    assert released(tmp_path) == []


def test_one_builder_cannot_vouch_for_itself(tmp_path, key):
    (spec,) = builder_outputs(tmp_path, ARTIFACT)
    assert sign(tmp_path, [spec], openssl_backend(key)).returncode == 2
    path = spec.split("=", 1)[1]
    result = sign(tmp_path, [spec, f"products-2={path}"], openssl_backend(key))
    assert result.returncode == 2 and "different files" in result.stderr
    assert released(tmp_path) == []


def test_failing_backend_leaves_nothing(tmp_path, key):
    missing_key = f"openssl pkeyutl -sign -inkey {tmp_path / 'no-such-key.pem'} -in {{digest_file}}"
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), missing_key)
    assert result.returncode == 5
    assert released(tmp_path) == []


def test_a_release_is_never_re_signed(tmp_path, key):
    outputs = builder_outputs(tmp_path, ARTIFACT, ARTIFACT)
    assert sign(tmp_path, outputs, openssl_backend(key)).returncode == 0
    before = (tmp_path / "release" / "product.tar.sig").read_bytes()
    result = sign(tmp_path, outputs, openssl_backend(key))
    assert result.returncode == 6
    assert (tmp_path / "release" / "product.tar.sig").read_bytes() == before


def test_base64_backend_output_as_kms_prints_it(tmp_path, key):
    """`aws kms sign --output text --query Signature` prints base64; the script decodes it."""
    command = f"sh -c 'openssl pkeyutl -sign -inkey {key['private']} -in \"$1\" | base64' sh {{digest_file}}"
    result = sign(tmp_path, builder_outputs(tmp_path, ARTIFACT, ARTIFACT), command, "--signature-encoding", "base64")
    assert result.returncode == 0, result.stderr
    assert verify(key["public"], tmp_path / "release" / "product.tar").returncode == 0


def test_config_file_supplies_host_defaults(tmp_path, key):
    config = tmp_path / "signer.json"
    config.write_text(json.dumps({"key-id": KEY_ID, "digest": "sha384", "sign-command": openssl_backend(key)}))
    args = [sys.executable, str(SIGNER_SCRIPT), "--config", str(config), "--name", "product.tar", "--release-version", "1.0", "--pool", "products",
            "--release-dir", str(tmp_path / "release"), *sum((["--builder", s] for s in builder_outputs(tmp_path, ARTIFACT, ARTIFACT)), [])]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert verify(key["public"], tmp_path / "release" / "product.tar").returncode == 0
