"""Every host role, provisioned by its rendered script in a debootstrap root, passes the
testinfra suite; a deliberately broken provisioning fails it where it is broken; the
script never touches the CI machine's kernel; and what CI tests is what BuildFleet deploys."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import subprocess

import pytest
import yaml

from components import hosts

from .conftest import AptSource, chroot_sources_list, machine_apt_sources, main_mirror, bookworm_sources
from .roles import ROLES, build_values, render_build

host = pytest.mark.host


@host
@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLES))
def test_provisioned_role_passes_the_host_suite(provisioned, tmp_path, role):
    root = provisioned(role, ROLES[role]())
    assert "mode: image" in root.log, "the script did not detect the chroot"
    result = root.run_suite(tmp_path)
    assert result.returncode == 0 and result.failed() == [], result.output[-6000:]
    passed = [name for name, outcome in result.outcomes.items() if outcome == "passed"]
    assert len(passed) >= 25, f"the suite ran too few checks: {result.outcomes}"


def broken_build_host() -> hosts.RenderedHost:
    """The build role rendered from a deliberately bad configuration: a debugging egress
    rule to anywhere, SSH left unmasked, sudo installed, a world-writable agent unit."""
    values = build_values()
    good = hosts.build_profile(values)
    anywhere = hosts.EgressRule("debugging: reach the internet", ("0.0.0.0/0",), "tcp", (443,))
    bad_firewall = hosts.render_template(
        "files/nftables.conf.j2", {"egress": hosts.egress_rules(values.network, [anywhere], ("root", values.build_user))})
    files = []
    for f in good.files:
        if f.path == "/etc/nftables.conf":
            f = dataclasses.replace(f, content=bad_firewall)
        elif f.path == f"/etc/systemd/system/{hosts.BUILD_AGENT_UNIT}":
            f = dataclasses.replace(f, mode="0666")
        files.append(f)
    bad = dataclasses.replace(good, files=tuple(files), masked_units=(), removed_packages=(),
                              packages={**good.packages, "sudo": ""})
    return hosts.render_host(bad)


@host
@pytest.mark.slow
def test_the_suite_catches_a_broken_provisioning(provisioned, tmp_path):
    expected = render_build().expectations()  # what a correct builder looks like
    root = provisioned("build-broken", broken_build_host())
    result = root.run_suite(tmp_path, expectations=expected)
    assert result.returncode != 0
    failed = set(result.failed())
    must_fail = {
        "test_firewall_egress_only_to_the_allow_list",
        "test_file_owner_mode_and_content[/etc/nftables.conf]",
        f"test_file_owner_mode_and_content[/etc/systemd/system/{hosts.BUILD_AGENT_UNIT}]",
        "test_no_file_of_the_center_is_world_writable",
        "test_unit_masked[ssh.service]",
        "test_unit_masked[ssh.socket]",
        "test_unit_masked[sshd.service]",
        "test_removed_package_is_absent[sudo]",
        "test_no_sudo_for_anyone",
    }
    assert must_fail <= failed, f"not caught: {sorted(must_fail - failed)}\n{result.output[-4000:]}"
    # ... and nothing else: the suite points at what is broken, not at everything.
    assert failed == must_fail, sorted(failed - must_fail)
    assert result.outcomes["test_package_installed_at_pinned_version[gcc-12]"] == "passed"


@host
@pytest.mark.slow
def test_the_suite_catches_a_broken_analysis_cell(provisioned, tmp_path):
    """Issue 28: a cell rendered with a way out (egress to anywhere), SSH left unmasked and its
    one-job unit world-writable fails the suite where it is broken."""
    from components.analysis import CELL_UNIT

    from .roles import render_analysis

    good = render_analysis()
    anywhere = hosts.EgressRule("debugging: reach the internet", ("0.0.0.0/0",), "tcp", (443,))
    network = hosts.HostNetwork("10.40.0.0/16", "10.40.240.0/20", ("52.95.0.0/16",))
    files = []
    for f in good.profile.files:
        if f.path == "/etc/nftables.conf":
            f = dataclasses.replace(f, content=hosts.render_template(
                "files/nftables.conf.j2", {"egress": hosts.egress_rules(network, [anywhere])}))
        elif f.path == f"/etc/systemd/system/{CELL_UNIT}":
            f = dataclasses.replace(f, mode="0666")
        files.append(f)
    bad = hosts.render_host(dataclasses.replace(good.profile, files=tuple(files), masked_units=()))
    root = provisioned("analysis-broken", bad)
    result = root.run_suite(tmp_path, expectations=good.expectations())
    failed = set(result.failed())
    must_fail = {"test_firewall_egress_only_to_the_allow_list", "test_file_owner_mode_and_content[/etc/nftables.conf]",
                 f"test_file_owner_mode_and_content[/etc/systemd/system/{CELL_UNIT}]",
                 "test_no_file_of_the_center_is_world_writable", "test_unit_masked[ssh.service]"}
    assert result.returncode != 0 and must_fail <= failed, (sorted(must_fail - failed), result.output[-3000:])


@host
@pytest.mark.slow
def test_provisioning_in_a_chroot_leaves_the_machine_alone(provisioned):
    root = provisioned("build", render_build())
    assert "image mode: nothing started" in root.log
    assert root.machine_after == root.machine_before
    assert not (root.path / "usr/sbin/policy-rc.d").exists()


# --- fast checks, no root needed --------------------------------------------------------------

def test_ci_tests_exactly_the_script_buildfleet_deploys(declared):
    """The suite's build role is rendered like BuildFleet renders the dev products pool."""
    run = declared("dev")
    # The first builder of the pool (each builder is its own identity; the suite renders builder 1).
    instance = [i for i in run.by_type("aws:ec2/instance:Instance")
                if "BuildFleet" in i.urn and i.inputs["tags"]["pool"] == "products"][0]
    cloud_config = yaml.safe_load(gzip.decompress(base64.b64decode(instance.inputs["userDataBase64"])))
    deployed = cloud_config["write_files"][0]["content"]
    assert deployed == render_build("dev").provision_script


def test_ci_tests_exactly_the_cell_analysiscells_deploys(declared):
    """The suite's analysis role is rendered like AnalysisCells renders the dev europe cells (issue 28)."""
    from .roles import render_analysis

    run = declared("dev")
    (template,) = [t for t in run.by_type("aws:ec2/launchTemplate:LaunchTemplate")
                   if "AnalysisCells" in t.urn and t.inputs["tags"]["customer-region"] == "europe"]
    cloud_config = yaml.safe_load(gzip.decompress(base64.b64decode(template.inputs["userData"])))
    assert cloud_config["write_files"][0]["content"] == render_analysis("dev", region="europe").provision_script


def test_script_detects_a_chroot_and_refuses_unknown_modes(tmp_path):
    script = tmp_path / "provision.sh"
    script.write_text(render_build().provision_script)
    result = subprocess.run(["bash", str(script)], env={"PATH": "/usr/bin:/bin", "TC_PROVISION_MODE": "bogus"},
                            capture_output=True, text=True)
    assert result.returncode == 2 and "must be image or host" in result.stderr
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


def test_apt_sources_are_read_from_both_formats(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("# comment\ndeb [arch=amd64] http://mirror.example/debian/ bookworm main contrib\n")
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://deb.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n\n"
        "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n")
    (tmp_path / "sources.list.d" / "other.sources.disabled").write_text("Types: deb\nURIs: http://x\nSuites: sid\nComponents: main\n")
    sources = bookworm_sources(machine_apt_sources(tmp_path))
    assert sources == [AptSource("http://mirror.example/debian", ("bookworm",), ("main", "contrib")),
                       AptSource("http://deb.example/debian-security", ("bookworm-security",), ("main",))]
    assert main_mirror(sources) == "http://mirror.example/debian"
    assert "http://deb.example/debian-security bookworm-security main" in chroot_sources_list(sources)


def test_missing_host_tooling_fails_in_ci_and_skips_elsewhere(monkeypatch):
    from .conftest import require

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: debootstrap"):
        require(False, "debootstrap is not installed")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="debootstrap"):
        require(False, "debootstrap is not installed")
    require(True, "never raised")


@host
@pytest.mark.slow
def test_host_mode_applies_firewall_sysctl_audit_and_starts_units(provisioned, tmp_path):
    """On a booted host the script applies what image mode leaves alone. Run in a copy of
    the provisioned root with nft, sysctl, systemctl and augenrules replaced by recorders,
    so the CI machine's kernel stays untouched."""
    from .conftest import chroot, remove_tree, run

    rendered = render_build()
    base = provisioned("build", rendered)
    root = tmp_path / "booted"
    assert run(["cp", "-a", str(base.path), str(root)]).returncode == 0
    try:
        stubs = root / "opt/recorders"
        stubs.mkdir(parents=True)
        for tool in ("nft", "sysctl", "systemctl", "augenrules"):
            (stubs / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> /var/log/recorded-calls\n')
            (stubs / tool).chmod(0o755)
        result = chroot(root, "/usr/local/sbin/tc-provision-host",
                        env={"TC_PROVISION_MODE": "host", "PATH": "/opt/recorders:/usr/sbin:/usr/bin:/sbin:/bin"})
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        calls = (root / "var/log/recorded-calls").read_text().splitlines()
        assert "host provisioned" in result.stderr
        assert calls.index("nft -c -f /etc/nftables.conf") < calls.index("systemctl restart nftables.service")
        assert "sysctl --quiet --system" in calls and "augenrules --load" in calls
        for unit in rendered.profile.masked_units:
            assert f"systemctl stop {unit}" in calls
        for unit in rendered.profile.enabled_units:
            assert any(call in calls for call in (f"systemctl restart {unit}", f"systemctl start {unit}")), unit
        assert calls.index("systemctl restart nftables.service") < calls.index(f"systemctl restart {hosts.BUILD_AGENT_UNIT}")
    finally:
        remove_tree(root)


@host
@pytest.mark.slow
def test_the_cells_job_runner_starts_on_the_images_python_and_boto3(provisioned):
    """The runner a cell installs (tests/analysis runs it against moto with the test's Python)
    runs under the image's python3 and Debian's boto3, reads the rendered config and, with no
    credentials, stops at its first AWS call: one line, exit 6 (AWS failed), no traceback."""
    from components.analysis import CELL_CONFIG, CELL_RUNNER

    from .roles import render_analysis

    root = provisioned("analysis", render_analysis())
    done = subprocess.run(
        ["chroot", str(root.path), "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED=true",
         "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
         CELL_RUNNER, "--config", CELL_CONFIG, "--one-job", "--wait-seconds", "1", "--workdir", "/tmp"],
        capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (6, "tc-cell-run: AWS: Unable to locate credentials\n"), (done.stdout, done.stderr)
