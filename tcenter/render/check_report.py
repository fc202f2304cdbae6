"""`tcenter check` results for people and for CI: text, JSON, SARIF 2.1.0 (GitHub code
scanning and every SARIF viewer) and JUnit XML (CI test reports).

SARIF: one run per plan; every rule of the kit is a reportingDescriptor (id, name, help, the
Security Hub / CIS / checkov controls it matches as properties); one result per violation,
its logical location the resource's URN, its physical location the stack file (the kit
declares resources in code, so the stack's config is where a reviewer acts)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Sequence

from .. import __version__
from ..core.planview import resource_key
from ..guardrails.model import Rule, Violation

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "tcenter check"


def _type_of(urn: str) -> str:
    """The resource's own type token (the last of the URN's type chain)."""
    return resource_key(urn).rsplit("::", 1)[0].rsplit("$", 1)[-1]


def _rule_name(rule: Rule) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]+", rule.id) if part)


def as_text(stack: str, resources: int, rules: Sequence[Rule], violations: Sequence[Violation], width: int = 100) -> str:
    """Lines of at most WIDTH, broken at spaces only: a URN longer than a line stands alone on its own."""
    from ..core.output import wrap

    if not violations:
        return "\n".join(wrap(f"{stack}: {resources} resources, {len(rules)} rules, no violations", width, "  ")) + "\n"
    lines: list[str] = []
    for v in violations:
        lines += wrap(f"{v.rule} [{v.control}]", width, indent="    ", first=f"{stack}: ")
        lines += wrap(v.urn, width, indent="    ", first="  resource: ")
        lines += wrap(v.message, width, indent="    ", first="  ")
    broken = sorted({v.rule for v in violations})
    lines += wrap(f"{len(violations)} violation(s) of {len(broken)} rule(s): {', '.join(broken)}", width, indent="  ",
                  first=f"{stack}: ")
    return "\n".join(lines) + "\n"


def as_json(stack: str, environment: str, resources: int, rules: Sequence[Rule],
            violations: Sequence[Violation]) -> str:
    return json.dumps({
        "format": "tcenter-check", "version": 1, "tool": {"name": TOOL, "version": __version__},
        "stack": stack, "environment": environment, "resources": resources,
        "result": "violations" if violations else "passes",
        "rules": [{"id": r.id, "control": r.control, "references": r.references, "description": r.description}
                  for r in rules],
        "violations": [{"rule": v.rule, "control": v.control, "urn": v.urn, "type": _type_of(v.urn),
                        "name": v.resource_name, "message": v.message} for v in violations],
    }, indent=2, sort_keys=True) + "\n"


def _descriptor(rule: Rule) -> dict[str, Any]:
    references = rule.references
    tags = ["security", "infrastructure-as-code", *(f"{catalogue}:{ref}" for catalogue, refs in sorted(references.items())
                                                     for ref in refs)]
    first = rule.description.split(". ")[0].rstrip(".") + "."
    return {
        "id": rule.id,
        "name": _rule_name(rule),
        "shortDescription": {"text": first},
        "fullDescription": {"text": rule.description},
        "help": {"text": f"{rule.description} Controls: {rule.control}.",
                 "markdown": f"{rule.description}\n\nControls: {rule.control}. See docs/review.md (`tcenter check`)."},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": tags, "controls": references, "security-severity": "8.0"},
    }


def as_sarif(stack: str, stack_file: str, rules: Sequence[Rule], violations: Sequence[Violation]) -> str:
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [{
        "ruleId": v.rule,
        "ruleIndex": index[v.rule],
        "level": "error",
        "message": {"text": f"{v.resource_name}: {v.message}"},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": stack_file}, "region": {"startLine": 1}},
            "logicalLocations": [{"fullyQualifiedName": v.urn, "name": v.resource_name, "kind": "resource"}],
        }],
        "partialFingerprints": {"tcenterViolation/v1": f"{v.rule}:{resource_key(v.urn)}:{v.message}"},
    } for v in violations if v.rule in index]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL, "version": __version__, "semanticVersion": __version__,
                                "rules": [_descriptor(r) for r in rules]}},
            "automationDetails": {"id": f"tcenter-check/{stack}/"},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, sort_keys=True) + "\n"


def as_junit(stack: str, rules: Sequence[Rule], violations: Sequence[Violation]) -> str:
    """One test case per rule; a rule with violations fails, its failure lists them all."""
    failing = {rule.id: [v for v in violations if v.rule == rule.id] for rule in rules}
    suites = ET.Element("testsuites", name=TOOL, tests=str(len(rules)),
                        failures=str(sum(1 for v in failing.values() if v)), errors="0")
    suite = ET.SubElement(suites, "testsuite", name=f"{TOOL} {stack}", tests=str(len(rules)),
                          failures=str(sum(1 for v in failing.values() if v)), errors="0", skipped="0")
    for rule in rules:
        case = ET.SubElement(suite, "testcase", classname=f"tcenter.check.{stack}", name=rule.id)
        found = failing[rule.id]
        if found:
            failure = ET.SubElement(case, "failure", type=rule.control,
                                    message=f"{len(found)} violation(s) of {rule.id}")
            failure.text = "\n".join(f"{v.urn}: {v.message}" for v in found)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
