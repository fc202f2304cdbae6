"""What `tcenter attest` found: findings by kind, the verdict, and the report as text,
markdown or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ..core.errors import ExitCode, InputError

KINDS = ("missing", "extra", "drifted", "violation", "unread", "unsupported")


@dataclass(frozen=True)
class Finding:
    kind: str
    type: str
    name: str
    message: str


@dataclass
class Report:
    stack: str
    findings: list[Finding] = field(default_factory=list)
    unattested_types: list[str] = field(default_factory=list)
    calls: int = 0
    seconds: float = 0.0

    @property
    def drift(self) -> list[Finding]:
        return [f for f in self.findings if f.kind in ("missing", "extra", "drifted", "violation")]

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    @property
    def exit_code(self) -> int:
        return int(ExitCode.DRIFT if self.drift else ExitCode.OK)


class AttestError(InputError):
    """The account could not be read at all."""


def as_json(report: Report) -> str:
    return json.dumps({
        "format": "transparency-center-attestation", "version": 1, "stack": report.stack,
        "result": "drift" if report.drift else "match", "exitCode": report.exit_code,
        "counts": {kind: len(report.of(kind)) for kind in KINDS},
        "findings": [asdict(f) for f in report.findings], "notAttested": report.unattested_types,
        "apiCalls": report.calls,
    }, indent=2, sort_keys=True) + "\n"


def render_markdown(report: Report) -> str:
    verdict = "**drift**" if report.drift else "**match**"
    lines = [f"## tcenter attest {report.stack}: {verdict}", "",
             " · ".join(f"{kind}: {len(report.of(kind))}" for kind in KINDS) + f" · API calls: {report.calls}", ""]
    if report.findings:
        lines += ["| class | type | resource | finding |", "|---|---|---|---|"]
        lines += [f"| {f.kind} | `{f.type}` | `{f.name}` | {f.message.replace('|', '/')} |" for f in report.findings]
        lines.append("")
    if report.unattested_types:
        lines.append("Not attested (declared, not read): " + ", ".join(f"`{t}`" for t in report.unattested_types))
    return "\n".join(lines) + "\n"


def render_terminal(report: Report, out: Any) -> None:
    for finding in report.findings:
        print(f"{finding.kind:11} {finding.type}  {finding.name}\n{'':11} {finding.message}", file=out)
    counts = ", ".join(f"{len(report.of(k))} {k}" for k in KINDS)
    verdict = "DRIFT" if report.drift else "matches the plan"
    print(f"{report.stack}: {verdict} ({counts}; {report.calls} API calls, {report.seconds:.1f} s)", file=out)
    if report.unattested_types:
        print(f"not attested: {', '.join(report.unattested_types)}", file=out)


