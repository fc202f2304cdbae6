"""Host provisioning rendered from templates/ with jinja2 (StrictUndefined), for every host
role of the center.

A host is described by a `HostProfile`: the shared hardening every role gets
(`base_profile`: no SSH daemon, no sudo, auditd rules, nftables egress allow-list,
chrony to the Amazon Time Sync Service, kernel hardening) plus what its role adds
(`build_profile` here; the signing and reviewer components add `signer` and
`workstation` the same way, with `HostProfile.extend`). `render_host` turns a profile
into the provisioning script, the cloud-init user data that runs it, and the
expectations the testinfra suite (tests/hosts/) checks a provisioned host against.

Nothing here reads stack config or declares a resource: values come from the validated
config, and a missing template variable fails the render (StrictUndefined).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import gzip
import json
import hashlib
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import shlex

import jinja2

from .awsfacts import HTTPS

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

AMAZON_TIME_SYNC = "169.254.169.123"
"""The Amazon Time Sync Service, link-local on every instance; no route needed."""
AMAZON_DNS_LINK_LOCAL = "169.254.169.253"
INSTANCE_METADATA = "169.254.169.254"

USER_DATA_LIMIT_BYTES = 16384
"""EC2 refuses user data larger than 16 KiB (before base64)."""

BASE_PACKAGES = ("auditd", "ca-certificates", "chrony", "nftables", "systemd")
"""Unpinned: they come with the pinned AMI. Toolchains are pinned per role."""
REMOVED_PACKAGES = ("openssh-server", "sudo", "telnet", "rsh-client")
"""No SSH daemon (SSM Session Manager only) and no sudo on any host of the center."""
MASKED_UNITS = ("ssh.service", "ssh.socket", "sshd.service")
BASE_ENABLED_UNITS = ("auditd.service", "chrony.service", "nftables.service")


class RenderError(ValueError):
    """A template could not be rendered from the values given (missing or bad value)."""


@dataclass(frozen=True)
class HostFile:
    path: str
    content: str
    mode: str = "0644"
    owner: str = "root"
    group: str = "root"


@dataclass(frozen=True)
class HostUser:
    """A locked, password-less system user with no shell and no sudo."""

    name: str
    home: str
    comment: str


@dataclass(frozen=True)
class EgressRule:
    """One nftables egress allowance: TCP/UDP to `destinations` on `ports`."""

    comment: str
    destinations: tuple[str, ...]
    protocol: str
    ports: tuple[int, ...]
    users: tuple[str, ...] = ()
    """When set, only processes of these users (nft `meta skuid`) may use the rule."""


@dataclass(frozen=True)
class HostNetwork:
    """Where a host may send packets. Everything else is dropped by its nftables."""

    vpc_cidr: str
    endpoints_cidr: str
    s3_cidrs: tuple[str, ...]

    @property
    def dns_resolver(self) -> str:
        """The Amazon-provided DNS server: the VPC's base address plus two."""
        return str(ipaddress.IPv4Network(self.vpc_cidr).network_address + 2)


@dataclass(frozen=True)
class HostProfile:
    role: str
    packages: Mapping[str, str]
    """Debian package -> exact version ("" for the AMI's version)."""
    removed_packages: tuple[str, ...]
    files: tuple[HostFile, ...]
    users: tuple[HostUser, ...]
    enabled_units: tuple[str, ...]
    masked_units: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)
    """Environment every login shell (/etc/profile.d) and `environment_units` get."""
    environment_units: tuple[str, ...] = ()

    def extend(
        self,
        role: str,
        *,
        packages: Mapping[str, str] = {},
        files: Iterable[HostFile] = (),
        users: Iterable[HostUser] = (),
        enabled_units: Iterable[str] = (),
        masked_units: Iterable[str] = (),
        environment: Mapping[str, str] = {},
        environment_units: Iterable[str] = (),
    ) -> "HostProfile":
        """The shared hardening plus a role's additions. A role may add, never remove."""
        files = tuple(files)
        clash = sorted({f.path for f in files} & {f.path for f in self.files})
        if clash:
            raise RenderError(f"role {role} would overwrite shared hardening files {clash}")
        return dataclasses.replace(
            self,
            role=role,
            packages=dict(sorted({**self.packages, **packages}.items())),
            files=tuple(sorted(self.files + files, key=lambda f: f.path)),
            users=tuple(sorted(self.users + tuple(users), key=lambda u: u.name)),
            enabled_units=tuple(sorted(set(self.enabled_units) | set(enabled_units))),
            masked_units=tuple(sorted(set(self.masked_units) | set(masked_units))),
            environment=dict(sorted({**self.environment, **environment}.items())),
            environment_units=tuple(sorted(set(self.environment_units) | set(environment_units))),
        )


@dataclass(frozen=True)
class RenderedHost:
    profile: HostProfile
    provision_script: str
    user_data: str

    def expectations(self) -> dict[str, Any]:
        """What a correctly provisioned host of this profile looks like: read by the
        testinfra suite (tests/hosts/suite), the same on a chroot or a deployed host."""
        p = self.profile
        return {
            "role": p.role,
            "packages": dict(p.packages),
            "removed_packages": list(p.removed_packages),
            "files": [
                {"path": f.path, "mode": f.mode, "owner": f.owner, "group": f.group,
                 "sha256": hashlib.sha256(f.content.encode()).hexdigest()}
                for f in p.files
            ],
            "users": [{"name": u.name, "home": u.home} for u in p.users],
            "enabled_units": list(p.enabled_units),
            "masked_units": list(p.masked_units),
            "environment": dict(p.environment),
            "environment_units": list(p.environment_units),
        }


def gzip_bytes(text: str) -> bytes:
    """Deterministic (mtime 0) gzip: the same text gives the same bytes, so plans stay byte-identical."""
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def user_data_base64(user_data: str) -> str:
    """What EC2 is given: the cloud-config gzip-compressed, base64. cloud-init recognises gzip by
    its magic bytes; EC2's 16 KiB limit counts the bytes before base64."""
    return base64.b64encode(gzip_bytes(user_data)).decode()


def user_data_text(encoded: str) -> str:
    """The cloud-config text of user data as EC2 holds it (gzip-compressed or plain), from base64:
    how a reviewer reads a host's user data (docs/build-hosts.md)."""
    raw = base64.b64decode(encoded)
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()


@functools.cache
def environment() -> jinja2.Environment:
    """One environment per process, so each template is compiled once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)  # a YAML double-quoted scalar
    env.filters["shell_quote"] = shlex.quote
    return env


def render_template(name: str, values: Mapping[str, Any]) -> str:
    """Render one template; a missing variable raises RenderError naming it."""
    try:
        return environment().get_template(name).render(**values)
    except jinja2.UndefinedError as error:
        raise RenderError(f"template {name}: {error.message}") from None
    except jinja2.TemplateNotFound as error:
        raise RenderError(f"no template {error.name} under {TEMPLATES_DIR}") from None


def egress_rules(network: HostNetwork, extra: Sequence[EgressRule] = (), metadata_users: Sequence[str] = ("root",)) -> list[EgressRule]:
    """The egress allow-list every host shares, then the role's `extra` rules."""
    return [
        EgressRule("Amazon Time Sync Service", (AMAZON_TIME_SYNC,), "udp", (123,)),
        EgressRule("Amazon-provided DNS", (network.dns_resolver, AMAZON_DNS_LINK_LOCAL), "udp", (53,)),
        EgressRule("Amazon-provided DNS over TCP", (network.dns_resolver, AMAZON_DNS_LINK_LOCAL), "tcp", (53,)),
        EgressRule("instance metadata (IMDSv2): role credentials for the agents only",
                   (INSTANCE_METADATA,), "tcp", (80,), users=tuple(metadata_users)),
        EgressRule("interface endpoints of the endpoints zone", (network.endpoints_cidr,), "tcp", (HTTPS,)),
        EgressRule("S3 through the gateway endpoint (the S3 prefix list)", tuple(sorted(network.s3_cidrs)), "tcp", (HTTPS,)),
        *extra,
    ]


def base_profile(network: HostNetwork, extra_egress: Sequence[EgressRule] = (), metadata_users: Sequence[str] = ("root",)) -> HostProfile:
    """The hardening every host role shares."""
    if not network.s3_cidrs:
        raise RenderError("the S3 prefix list CIDRs are empty: hosts could not reach S3 through the gateway endpoint")
    rules = egress_rules(network, extra_egress, metadata_users)
    files = (
        HostFile("/etc/nftables.conf", render_template("files/nftables.conf.j2", {"egress": rules}), mode="0755"),
        HostFile("/etc/audit/rules.d/50-tc-hardening.rules", render_template("files/audit.rules.j2", {}), mode="0640"),
        HostFile("/etc/audit/rules.d/99-tc-finalize.rules", "## Lock the rules until reboot\n-e 2\n", mode="0640"),
        HostFile("/etc/chrony/chrony.conf", render_template("files/chrony.conf.j2", {"time_server": AMAZON_TIME_SYNC})),
        HostFile("/etc/sysctl.d/60-tc-hardening.conf", render_template("files/sysctl.conf.j2", {})),
        HostFile("/etc/systemd/journald.conf.d/60-tc.conf", "[Journal]\nStorage=persistent\nForwardToSyslog=no\n"),
    )
    return HostProfile(
        role="base",
        packages={name: "" for name in BASE_PACKAGES},
        removed_packages=REMOVED_PACKAGES,
        files=tuple(sorted(files, key=lambda f: f.path)),
        users=(),
        enabled_units=BASE_ENABLED_UNITS,
        masked_units=MASKED_UNITS,
    )


def render_host(profile: HostProfile) -> RenderedHost:
    """The provisioning script and the cloud-init user data that runs it."""
    for f in profile.files:
        if not f.content.endswith("\n") or "TC_FILE_" in f.content:
            raise RenderError(f"{f.path}: file content must end with a newline and never contain the TC_FILE_ marker")
    values = {"profile": profile, "packages": profile.packages, "files": profile.files, "users": profile.users,
              "removed_packages": profile.removed_packages, "enabled_units": profile.enabled_units,
              "masked_units": profile.masked_units, "environment": profile.environment}
    script = render_template("provision-host.sh.j2", values)
    user_data = render_template("cloud-init.yaml.j2", {"role": profile.role, "provision_script": script})
    delivered = len(gzip_bytes(user_data))
    if delivered > USER_DATA_LIMIT_BYTES:
        raise RenderError(f"user data of role {profile.role} is {delivered} bytes compressed; EC2 allows {USER_DATA_LIMIT_BYTES}")
    return RenderedHost(profile=profile, provision_script=script, user_data=user_data)


# --- the build role -------------------------------------------------------------------

BUILD_AGENT_UNIT = "tc-build-agent.service"
TCENTER = "/usr/local/bin/tcenter"
"""The kit's `tcenter`, which the sequencer's and signers' image installs (pinned to the
reviewed commit): the sequencer runs `tcenter log sequence`, a signer `tcenter log release-proof`."""
BUILD_HOME = "/var/lib/tc-build"


@dataclass(frozen=True)
class BuildHostValues:
    """What a builder needs to know, all from the validated config and the network plan."""

    stack: str
    pool: str
    builder: str
    """This host's builder identity; it writes under `<pool>/<builder>/` only."""
    purpose: str
    region: str
    source_mirror_bucket: str
    artifacts_bucket: str
    source_date_epoch: int
    toolchain: Mapping[str, str]
    build_user: str
    network: HostNetwork


SOURCE_VERIFIER = TEMPLATES_DIR / "files" / "build" / "tc-verify-source.py"
"""Installed verbatim on builders; tests/unit/test_source_verification.py runs it against git."""


def build_profile(values: BuildHostValues) -> HostProfile:
    """Shared hardening plus the build role: locked build user, pinned toolchain,
    reproducible-build environment and the build agent unit."""
    env = {
        "SOURCE_DATE_EPOCH": str(values.source_date_epoch),
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
    }
    template_values = {"v": values, "env": env, "home": BUILD_HOME, "agent_unit": BUILD_AGENT_UNIT}
    files = [
        HostFile("/etc/profile.d/tc-reproducible-build.sh",
                 render_template("files/build/reproducible-build.sh.j2", template_values)),
        HostFile("/etc/tc-build/build.env", render_template("files/build/build.env.j2", template_values)),
        HostFile("/etc/tc-build/toolchain.lock", render_template("files/build/toolchain.lock.j2", template_values)),
        HostFile("/usr/local/lib/tc-build/tc-build-agent", render_template("files/build/tc-build-agent.sh.j2", template_values),
                 mode="0755"),
        HostFile("/usr/local/lib/tc-build/tc-verify-source", SOURCE_VERIFIER.read_text(), mode="0755"),
        HostFile(f"/etc/systemd/system/{BUILD_AGENT_UNIT}", render_template("files/build/tc-build-agent.service.j2", template_values)),
    ]
    base = base_profile(values.network, metadata_users=("root", values.build_user))
    return base.extend(
        "build",
        packages={**{name: "" for name in ("curl", "python3")}, **dict(values.toolchain)},
        files=files,
        users=[HostUser(values.build_user, BUILD_HOME, "transparency center build agent (locked, no sudo)")],
        enabled_units=[BUILD_AGENT_UNIT],
        environment=env,
        environment_units=[BUILD_AGENT_UNIT],
    )
