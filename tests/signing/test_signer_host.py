"""The signer host image: what CI provisions and checks with the testinfra suite
(tests/hosts, role `signer`) is byte for byte what SigningService deploys, and the signing
script it installs is the one tests/signing runs."""

from __future__ import annotations

import json

import pytest
import yaml

from components.config.signing import SIGNING_CLASSES
from components import hosts
from components.signing import SIGNER_SCRIPT
from tests.hosts.roles import render_signer


def deployed_scripts(run) -> dict[str, str]:
    scripts = {}
    for instance in run.by_type("aws:ec2/instance:Instance"):
        signing_class = (instance.inputs.get("tags") or {}).get("signing-class")
        if signing_class:
            cloud_config = yaml.safe_load(hosts.user_data_text(instance.inputs["userDataBase64"]))
            (entry,) = [f for f in cloud_config["write_files"] if f["path"] == "/usr/local/sbin/tc-provision-host"]
            scripts[signing_class] = entry["content"]
    return scripts


@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
def test_ci_tests_exactly_the_signer_script_signing_service_deploys(declared, stack):
    scripts = deployed_scripts(declared(stack))
    assert sorted(scripts) == sorted(SIGNING_CLASSES)
    for signing_class, deployed in scripts.items():
        assert deployed == render_signer(stack, signing_class=signing_class).provision_script


@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
def test_signer_image_expectations_cover_the_signing_files(stack):
    rendered = render_signer(stack)
    expectations = rendered.expectations()
    assert expectations["role"] == "signer"
    files = {f["path"]: f for f in expectations["files"]}
    script = files["/usr/local/lib/tc-signer/sign-release"]
    assert script["mode"] == "0755" and script["owner"] == "root"
    import hashlib
    assert script["sha256"] == hashlib.sha256(SIGNER_SCRIPT.read_text().encode()).hexdigest()
    assert "/etc/tc-signer/signer.json" in files and "/usr/local/bin/tc-sign-release" in files
    assert [u["name"] for u in expectations["users"]] == ["tc-signer"]
    assert "openssh-server" in expectations["removed_packages"]
    signer_config = json.loads(next(f.content for f in rendered.profile.files if f.path == "/etc/tc-signer/signer.json"))
    assert "{digest_file}" in signer_config["sign-command"]


@pytest.mark.parametrize("stack", ["dev", "zurich-prod"])
def test_rendered_sign_wrapper_is_valid_bash_and_names_only_its_class(tmp_path, stack):
    import subprocess

    for signing_class in SIGNING_CLASSES:
        rendered = render_signer(stack, signing_class=signing_class)
        (wrapper,) = [f for f in rendered.profile.files if f.path == "/usr/local/bin/tc-sign-release"]
        path = tmp_path / f"{signing_class}.sh"
        path.write_text(wrapper.content)
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        other = next(c for c in SIGNING_CLASSES if c != signing_class)
        assert f"releases/{signing_class}/" in wrapper.content and f"releases/{other}/" not in wrapper.content
        assert len(hosts.gzip_bytes(rendered.user_data)) <= 16384  # EC2 counts the gzip-compressed bytes


def test_the_signer_image_pins_the_libraries_the_tests_ran():
    """sign-release imports these on the host; the pins are the versions these tests used."""
    from importlib.metadata import version

    from components.signing import SIGNER_PYTHON_REQUIREMENTS

    for requirement in SIGNER_PYTHON_REQUIREMENTS:
        name, _, pinned = requirement.partition("==")
        assert version(name) == pinned, f"{name}: tested with {version(name)}, image pins {pinned}"
    files = {f.path: f.content for f in render_signer("dev").profile.files}
    assert files["/usr/local/lib/tc-signer/requirements.txt"].split() == list(SIGNER_PYTHON_REQUIREMENTS)
