"""Fixtures for host tests: a Debian bookworm minbase root made with debootstrap from the
mirror this machine's apt already uses, cached under .ci-cache/ (gitignored), copied per
host role and provisioned with the role's rendered script inside a chroot.

Needs root (chroot) and debootstrap. Outside CI a machine without them skips the host
tests with the reason; under CI (CI=true) that is a failure, never a skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from components.hosts import RenderedHost
from tcenter.core.stackfiles import PROJECT_ROOT

SUITE = Path(__file__).resolve().parent / "suite" / "host_checks.py"
CACHE = PROJECT_ROOT / ".ci-cache" / "hosts"
SUITE_NAME = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip on a developer machine, fail in CI: the host suite must never be skipped there."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"host tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


# --- apt sources of this machine ---------------------------------------------------------

@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def machine_apt_sources(etc_apt: Path = Path("/etc/apt")) -> list[AptSource]:
    """Debian sources as apt reads them: sources.list (one-line) and sources.list.d/*.list
    and *.sources (deb822). Only `deb` entries; disabled files are not read."""
    sources: list[AptSource] = []
    one_line = [etc_apt / "sources.list", *sorted((etc_apt / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            line = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()  # type: ignore[assignment]
            if len(line) >= 4 and line[0] == "deb":
                sources.append(AptSource(line[1].rstrip("/"), (line[2],), tuple(line[3:])))
    for path in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes").lower() != "no":
                for uri in fields.get("uris", "").split():
                    sources.append(AptSource(uri.rstrip("/"), tuple(fields.get("suites", "").split()),
                                             tuple(fields.get("components", "").split())))
    return sources


def bookworm_sources(sources: list[AptSource]) -> list[AptSource]:
    return [s for s in sources if any(suite.startswith(SUITE_NAME) for suite in s.suites)]


def main_mirror(sources: list[AptSource]) -> str:
    """The archive debootstrap fetches from: the source carrying the plain suite."""
    for source in sources:
        if SUITE_NAME in source.suites and "main" in source.components:
            return source.uri
    return DEFAULT_MIRROR


def chroot_sources_list(sources: list[AptSource]) -> str:
    lines = [f"deb [signed-by={KEYRING}] {s.uri} {' '.join(x for x in s.suites if x.startswith(SUITE_NAME))} "
             f"{' '.join(s.components)}" for s in sources]
    return "\n".join(lines or [f"deb [signed-by={KEYRING}] {DEFAULT_MIRROR} {SUITE_NAME} main"]) + "\n"


# --- the debootstrap root ------------------------------------------------------------------

def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, capture_output=True, text=True, **kwargs)


def chroot(root: Path, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run(["chroot", str(root), *command], env={"PATH": CHROOT_PATH, "LC_ALL": "C", **(env or {})})


@pytest.fixture(scope="session")
def debootstrap_root() -> Path:
    """A bookworm minbase root with this machine's bookworm sources and fresh package
    lists; built once, then reused from .ci-cache/hosts/ (delete it to rebuild)."""
    require(os.geteuid() == 0, "host tests need root to chroot into the debootstrap root")
    require(shutil.which("debootstrap") is not None, "debootstrap is not installed (apt-get install debootstrap)")
    require(shutil.which("chroot") is not None, "chroot is not available")
    sources = bookworm_sources(machine_apt_sources())
    mirror = main_mirror(sources)
    sources_list = chroot_sources_list(sources)
    key = hashlib.sha256(f"{mirror}\n{sources_list}".encode()).hexdigest()[:12]
    root = CACHE / f"bookworm-minbase-{key}"
    if (root / ".tc-complete").exists():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another pytest on this machine may be building it too
        if not (root / ".tc-complete").exists():
            build_root(root, mirror, sources_list)
    return root


def mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    with open("/proc/mounts") as mounts:
        points = [line.split()[1].replace("\\040", " ") for line in mounts]
    return sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True)


def remove_tree(path: Path) -> None:
    """rm -rf that never descends into a mounted /proc or /sys (debootstrap mounts them
    inside the target while it runs and may leave them behind when it fails)."""
    for point in mounts_under(path):
        unmounted = run(["umount", point])
        assert unmounted.returncode == 0, f"{point} is still mounted; not removing {path}: {unmounted.stderr}"
    shutil.rmtree(path, ignore_errors=True)


def build_root(root: Path, mirror: str, sources_list: str) -> None:
    building = CACHE / f".building-{os.getpid()}"
    remove_tree(building)
    made = run(["debootstrap", "--variant=minbase", SUITE_NAME, str(building), mirror])
    if made.returncode != 0:
        remove_tree(building)
    assert made.returncode == 0, f"debootstrap from {mirror} failed:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"
    (building / "etc/apt/sources.list").write_text(sources_list)
    updated = chroot(building, "apt-get", "update", "-q")
    assert updated.returncode == 0, updated.stdout[-3000:] + updated.stderr[-3000:]
    (building / ".tc-complete").write_text(f"mirror {mirror}\n{sources_list}")
    remove_tree(root)
    building.rename(root)


# --- provisioning a copy per role ----------------------------------------------------------

def machine_kernel_state() -> dict[str, str]:
    """The CI machine's own kernel state that a host provisioning would change."""
    keys = ["kernel.sysrq", "kernel.kptr_restrict", "kernel.dmesg_restrict", "net.ipv4.ip_forward"]
    state = {key: run(["sysctl", "-n", key]).stdout.strip() for key in keys}
    if shutil.which("nft"):
        state["nft tables"] = run(["nft", "list", "tables"]).stdout
    if shutil.which("auditctl"):
        state["audit rules"] = run(["auditctl", "-l"]).stdout
    return state


@dataclass
class ProvisionedRoot:
    role: str
    path: Path
    rendered: RenderedHost
    log: str
    machine_before: dict[str, str]
    machine_after: dict[str, str]

    def run_suite(self, tmp_dir: Path, expectations: dict | None = None) -> "SuiteResult":
        """The testinfra suite against this root, in a pytest of its own (as on a deployed host)."""
        expectations_file = tmp_dir / f"{self.path.name}-expectations.json"
        expectations_file.write_text(json.dumps(expectations or self.rendered.expectations()))
        report = tmp_dir / f"{self.path.name}-junit.xml"
        result = run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
             f"--junitxml={report}", str(SUITE), f"--hosts={self.path}", "--connection=chroot"],
            cwd=PROJECT_ROOT, env={**os.environ, "TC_HOST_EXPECTATIONS": str(expectations_file)},
        )
        return SuiteResult.parse(result, report)


@dataclass
class SuiteResult:
    returncode: int
    output: str
    outcomes: dict[str, str]  # test name (with parameters) -> passed | failed | skipped

    @classmethod
    def parse(cls, result: subprocess.CompletedProcess, report: Path) -> "SuiteResult":
        outcomes: dict[str, str] = {}
        if report.exists():
            for case in ElementTree.parse(report).getroot().iter("testcase"):
                kinds = {child.tag for child in case}
                # testinfra adds the host to each test's parameters; the suite's own names are kept.
                name = re.sub(r"(\[|-)\w+://[^\]]*\]", lambda m: "" if m.group(1) == "[" else "]", case.get("name", ""))
                outcomes[name] = ("failed" if kinds & {"failure", "error"}
                                                  else "skipped" if "skipped" in kinds else "passed")
        return cls(result.returncode, result.stdout + result.stderr, outcomes)

    def failed(self) -> list[str]:
        return sorted(name for name, outcome in self.outcomes.items() if outcome == "failed")


APT_ARCHIVES = "var/cache/apt/archives"


def provision(base: Path, destination: Path, role: str, rendered: RenderedHost) -> ProvisionedRoot:
    """Copy the base root, install the rendered script where cloud-init would, run it
    inside a chroot (no mode forced: the script must detect the chroot itself)."""
    remove_tree(destination)
    copied = run(["cp", "-a", str(base), str(destination)])
    assert copied.returncode == 0, copied.stderr
    debs = CACHE / "apt-archives"  # downloaded packages, kept between runs
    debs.mkdir(parents=True, exist_ok=True)
    for deb in debs.glob("*.deb"):
        shutil.copy2(deb, destination / APT_ARCHIVES / deb.name)
    script = destination / "usr/local/sbin/tc-provision-host"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(rendered.provision_script)
    script.chmod(0o700)
    before = machine_kernel_state()
    result = chroot(destination, "/usr/local/sbin/tc-provision-host")
    after = machine_kernel_state()
    for deb in (destination / APT_ARCHIVES).glob("*.deb"):
        if not (debs / deb.name).exists():
            shutil.copy2(deb, debs / deb.name)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"provisioning of role {role} failed (rc {result.returncode}):\n{log[-5000:]}"
    return ProvisionedRoot(role, destination, rendered, log, before, after)


@pytest.fixture(scope="session")
def provisioned(debootstrap_root) -> Callable[[str, RenderedHost], ProvisionedRoot]:
    """`provisioned(label, rendered)`: the base root provisioned with `rendered`.

    Kept under .ci-cache/hosts/provisioned-<label>-<digest>, where the digest covers the
    base root and the exact script, so a rerun with unchanged templates and config reuses
    the root (and the log and machine state recorded when the script ran) instead of
    installing again; any change to the script provisions afresh. TC_HOST_FRESH=1 forces it.
    """
    fresh = os.environ.get("TC_HOST_FRESH", "") not in ("", "0")
    made_this_session: set[str] = set()

    def make(label: str, rendered: RenderedHost) -> ProvisionedRoot:
        digest = hashlib.sha256(f"{debootstrap_root.name}\n{rendered.provision_script}".encode()).hexdigest()[:12]
        path = CACHE / f"provisioned-{label}-{digest}"
        record = CACHE / f"provisioned-{label}-{digest}.json"
        with open(CACHE / f".lock-{label}", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (fresh and label not in made_this_session) or not record.exists():
                stale = re.compile(rf"^provisioned-{re.escape(label)}-[0-9a-f]{{12}}(\.json)?$")
                for old in CACHE.iterdir():
                    if stale.match(old.name):
                        remove_tree(old) if old.is_dir() else old.unlink()
                root = provision(debootstrap_root, path, label, rendered)
                record.write_text(json.dumps({"log": root.log, "machine_before": root.machine_before,
                                              "machine_after": root.machine_after}))
                made_this_session.add(label)
        saved = json.loads(record.read_text())
        return ProvisionedRoot(label, path, rendered, saved["log"], saved["machine_before"], saved["machine_after"])

    return make
