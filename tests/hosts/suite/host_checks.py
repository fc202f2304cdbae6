"""The testinfra suite for a provisioned transparency center host, any role.

Run it against a debootstrap root (CI, tests/hosts/test_host_roles.py does this):

    TC_HOST_EXPECTATIONS=build.json pytest tests/hosts/suite/host_checks.py \
        --hosts=/path/to/root --connection=chroot

or unchanged against a deployed host (docs/build-hosts.md):

    TC_HOST_EXPECTATIONS=build.json pytest tests/hosts/suite/host_checks.py --hosts=ssh://builder-1

`TC_HOST_EXPECTATIONS` is a JSON file written from the role's rendered profile
(`python -m tests.hosts.roles --role build ...`). Checks of what only a booted host has
(running services, listening sockets, loaded firewall and audit rules, live sysctls) run
only when the host is not a chroot; everything on disk is checked everywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

EXPECTATIONS_ENV = "TC_HOST_EXPECTATIONS"
TIME_SYNC = "169.254.169.123"
SSH_DAEMON_PATHS = ("/usr/sbin/sshd", "/usr/sbin/dropbear")


def load_expectations() -> dict:
    path = os.environ.get(EXPECTATIONS_ENV)
    if not path:
        raise pytest.UsageError(f"set {EXPECTATIONS_ENV} to the role's expectations JSON (python -m tests.hosts.roles --role ...)")
    return json.loads(Path(path).read_text())


EXPECTED = load_expectations()


def pytest_generate_tests(metafunc):  # per-item parameters, so a failure names the item
    for name, key in (("expected_file", "files"), ("expected_user", "users"), ("enabled_unit", "enabled_units"),
                      ("masked_unit", "masked_units"), ("removed_package", "removed_packages"),
                      ("environment_unit", "environment_units")):
        if name in metafunc.fixturenames:
            items = EXPECTED[key]
            ids = [item["path"] if "path" in item else item["name"] if isinstance(item, dict) else item for item in items]
            metafunc.parametrize(name, items, ids=ids)
    if "package" in metafunc.fixturenames:
        metafunc.parametrize("package", sorted(EXPECTED["packages"].items()), ids=sorted(EXPECTED["packages"]))


@pytest.fixture(scope="module")
def booted(host) -> bool:
    """False inside a chroot: nothing runs there, and the kernel is the CI machine's."""
    return host.backend.NAME != "chroot"


def file_text(host, path: str) -> str:
    f = host.file(path)
    assert f.exists, f"{path} is missing"
    return f.content_string


# --- packages ---------------------------------------------------------------------------

def test_package_installed_at_pinned_version(host, package):
    name, version = package
    installed = host.package(name)
    assert installed.is_installed, f"{name} is not installed"
    if version:
        assert installed.version == version, f"{name} {installed.version} is not the pinned {version}"
        assert name in host.check_output("apt-mark showhold").split(), f"{name} is not held at its pin"


def test_removed_package_is_absent(host, removed_package):
    assert not host.package(removed_package).is_installed


# --- files: owner, mode, content ----------------------------------------------------------

def test_file_owner_mode_and_content(host, expected_file):
    f = host.file(expected_file["path"])
    assert f.exists and f.is_file, f"{expected_file['path']} is missing"
    assert (f.user, f.group) == (expected_file["owner"], expected_file["group"])
    assert f.mode == int(expected_file["mode"], 8), f"mode {oct(f.mode)} != {expected_file['mode']}"
    assert hashlib.sha256(f.content).hexdigest() == expected_file["sha256"], "content differs from the rendered file"


def test_no_file_of_the_center_is_world_writable(host):
    for item in EXPECTED["files"]:
        assert not host.file(item["path"]).mode & 0o002, item["path"]


def test_provisioning_left_no_policy_rc_d_behind(host):
    assert not host.file("/usr/sbin/policy-rc.d").exists, "services would never start on the booted host"


# --- services -------------------------------------------------------------------------

def unit_state(host, unit: str) -> str:
    return host.run("systemctl is-enabled %s", unit).stdout.strip()


def test_unit_enabled(host, booted, enabled_unit):
    assert unit_state(host, enabled_unit) == "enabled"
    if booted:
        assert host.service(enabled_unit).is_running


def test_unit_masked(host, masked_unit):
    link = host.file(f"/etc/systemd/system/{masked_unit}")
    assert link.is_symlink and link.linked_to == "/dev/null", f"{masked_unit} is not masked"


def test_timers_start_a_written_oneshot_service_as_a_role_user(host):
    """A role's timer (the sequencer's) starts a service the profile wrote, once per firing
    (Type=oneshot), as one of the role's locked users, and is itself started by timers.target."""
    users = {user["name"] for user in EXPECTED["users"]}
    written = {f["path"] for f in EXPECTED["files"]}
    for timer in (unit for unit in EXPECTED["enabled_units"] if unit.endswith(".timer")):
        text = file_text(host, f"/etc/systemd/system/{timer}")
        named = re.search(r"^Unit=(\S+)$", text, re.M)
        service = named.group(1) if named else timer.removesuffix(".timer") + ".service"
        assert f"/etc/systemd/system/{service}" in written, f"{timer} starts {service}, which the role does not write"
        body = file_text(host, f"/etc/systemd/system/{service}")
        user = re.search(r"^User=(\S+)$", body, re.M)
        assert user and user.group(1) in users, f"{service} does not run as one of {sorted(users)}"
        assert re.search(r"^Type=oneshot$", body, re.M), f"{service} is not a oneshot service"
        assert re.search(r"^WantedBy=timers\.target$", text, re.M), f"{timer} is not started by timers.target"


def test_no_ssh_daemon(host, booted):
    for path in SSH_DAEMON_PATHS:
        assert not host.file(path).exists, f"{path} is installed"
    if booted:
        listening = [str(s) for s in host.socket.get_listening_sockets()]
        assert not [s for s in listening if s.endswith(":22")], listening


def test_nothing_listens_on_the_network(host, booted):
    if not booted:
        pytest.skip("a chroot shares the CI machine's network namespace; checked on booted hosts")
    listening = [str(s) for s in host.socket.get_listening_sockets() if str(s).startswith(("tcp://", "udp://"))]
    exposed = [s for s in listening if not re.match(r"^(tcp|udp)://(127\.0\.0\.\d+|::1|\[::1\]):", s)]
    assert exposed == []


# --- host firewall --------------------------------------------------------------------------

def nft_rules(host) -> str:
    return file_text(host, "/etc/nftables.conf")


def test_firewall_drops_everything_by_default(host):
    rules = nft_rules(host)
    assert "flush ruleset" in rules
    for chain in ("input", "forward", "output"):
        body = re.search(rf"chain {chain} \{{(.*?)\n  \}}", rules, re.S)
        assert body, f"no {chain} chain"
        assert f"hook {chain} priority filter; policy drop;" in body.group(1), f"{chain} does not drop by default"


def test_firewall_egress_only_to_the_allow_list(host):
    output = re.search(r"chain output \{(.*?)\n  \}", nft_rules(host), re.S).group(1)
    accepts = [line.strip() for line in output.splitlines() if line.strip().endswith("accept") or " accept " in line]
    allowed_prefixes = ("oif \"lo\"", "ct state established,related", "udp sport 68 udp dport 67")
    for rule in accepts:
        if rule.startswith(allowed_prefixes):
            continue
        destinations = re.search(r"ip daddr \{ ([^}]*) \}", rule)
        assert destinations, f"egress rule without a destination: {rule}"
        for cidr in destinations.group(1).split(", "):
            assert cidr not in ("0.0.0.0/0", "0.0.0.0") and not cidr.endswith("/0"), f"egress to anywhere: {rule}"
        assert re.search(r"(tcp|udp) dport \{ [\d, ]+ \}", rule), f"egress rule without ports: {rule}"
    joined = "\n".join(accepts)
    assert f"ip daddr {{ {TIME_SYNC} }} udp dport {{ 123 }} accept" in joined, "no Amazon Time Sync"
    assert "tcp dport { 443 } accept" in joined, "no HTTPS to the endpoints"


def test_firewall_ruleset_parses(host, booted):
    if booted:
        loaded = host.check_output("nft list ruleset")
        assert "table inet tc_host" in loaded and "policy drop" in loaded
    else:
        result = host.run("nft --check --file /etc/nftables.conf")
        if result.rc != 0 and ("Operation not permitted" in result.stderr or "Protocol not supported" in result.stderr):
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(f"CI must check the ruleset, but this kernel cannot: {result.stderr.strip()}")
            pytest.skip(f"this kernel cannot check nftables rulesets: {result.stderr.strip()}")
        assert result.rc == 0, result.stderr


# --- audit, time, kernel ----------------------------------------------------------------------

def audit_rules(host) -> str:
    """Every rules file on the host, not only the expected ones: augenrules loads them all."""
    paths = host.check_output("find /etc/audit/rules.d -name '*.rules' | sort").split()
    return "\n".join(file_text(host, path) for path in paths)


def test_auditd_records_every_exec_and_privileged_file_changes(host, booted):
    rules = audit_rules(host)
    for arch in ("b64", "b32"):
        assert re.search(rf"^-a always,exit -F arch={arch} -S execve", rules, re.M), f"no exec rule for {arch}"
    for path in ("/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/nftables.conf", "/etc/audit/"):
        assert re.search(rf"^-w {re.escape(path)} -p wa", rules, re.M), f"changes to {path} are not audited"
    assert re.search(r"^-e 2$", rules, re.M), "audit rules are not locked"
    if booted:
        assert "execve" in host.check_output("auditctl -l")


def test_time_comes_only_from_the_amazon_time_sync_service(host, booted):
    conf = file_text(host, "/etc/chrony/chrony.conf")
    sources = re.findall(r"^(server|pool|peer)\s+(\S+)", conf, re.M)
    assert sources == [("server", TIME_SYNC)], sources
    if booted:
        assert TIME_SYNC in host.check_output("chronyc -n sources")


def test_kernel_hardening(host, booted):
    conf = file_text(host, "/etc/sysctl.d/60-tc-hardening.conf")
    for setting in ("net.ipv4.ip_forward = 0", "kernel.kptr_restrict = 2", "kernel.unprivileged_bpf_disabled = 1"):
        assert setting in conf
    if booted:
        assert host.sysctl("net.ipv4.ip_forward") == 0


# --- users: locked, no sudo ------------------------------------------------------------------

def test_role_user_is_locked_without_sudo(host, expected_user):
    user = host.user(expected_user["name"])
    assert user.exists
    assert user.shell in ("/usr/sbin/nologin", "/bin/false")
    assert user.home == expected_user["home"]
    assert not {"sudo", "adm", "wheel", "root"} & set(user.groups), user.groups
    shadow = host.check_output("getent shadow %s", expected_user["name"]).split(":")
    assert shadow[1].startswith(("!", "*")), "the password is not locked"
    assert not host.run("su -s /bin/sh -c 'sudo -n true' %s", expected_user["name"]).succeeded


def test_no_sudo_for_anyone(host):
    assert not host.exists("sudo")
    sudoers_d = host.file("/etc/sudoers.d")
    if sudoers_d.exists:
        assert [f for f in sudoers_d.listdir() if f != "README"] == []


# --- reproducible builds ----------------------------------------------------------------------

def test_login_shells_get_the_reproducible_build_environment(host):
    for name, value in sorted(EXPECTED["environment"].items()):
        assert host.check_output("env -i bash -lc 'echo ${%s}'" % name) == value, name


def test_service_gets_the_reproducible_build_environment(host, environment_unit):
    unit = file_text(host, f"/etc/systemd/system/{environment_unit}")
    for name, value in sorted(EXPECTED["environment"].items()):
        assert f"Environment={name}={value}" in unit.splitlines(), f"{environment_unit} lacks {name}"
