"""Collection rule sets: the lints refuse document collection, each problem is one line naming the
rule and the field, and the canonical bytes are the broker's."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from intake_broker.handler import canonical_json as broker_canonical
from intake_broker.handler import rules_from_bundle
from tcenter.intake import rules
from tests.intake.conftest import RULE_SET_PATH

BASE = yaml.safe_load(RULE_SET_PATH.read_text())


def variant(**rule_changes) -> dict:
    document = copy.deepcopy(BASE)
    document["rules"][0].update(rule_changes)
    return document


def problems(document: dict, context: rules.LintContext = rules.LintContext()) -> list[str]:
    with pytest.raises(rules.RuleSetError) as caught:
        rules.parse(document, "test", context)
    lines = [str(p) for p in caught.value.problems]
    assert "\n" not in str(caught.value), "a refusal is one line"
    return lines


def test_the_example_rule_set_passes_every_lint():
    rule_set = rules.load(RULE_SET_PATH, rules.LintContext())
    assert rules.lint(rule_set) == []
    assert len(rules.LINTS) >= 10 and len({name for name, _ in rules.LINTS}) == len(rules.LINTS)


@pytest.mark.parametrize("kind", sorted(rules.DOCUMENT_TYPES))
def test_every_document_type_is_refused(kind):
    found = problems(variant(fileTypes=["pe", kind]))
    assert found == [f"rule pe-heuristic-dropper: fileTypes: {kind!r} is a document type: documents are never collected"]


@pytest.mark.parametrize("kind", sorted(rules.ARCHIVE_TYPES))
def test_every_archive_type_is_refused(kind):
    assert any("archive type" in p and "pe-heuristic-dropper: fileTypes" in p for p in problems(variant(fileTypes=[kind])))


@pytest.mark.parametrize("kind", sorted(rules.MAIL_STORE_TYPES))
def test_every_mail_store_is_refused(kind):
    assert any("mail store" in p and "pe-heuristic-dropper: fileTypes" in p for p in problems(variant(fileTypes=[kind])))


@pytest.mark.parametrize("field", ["keywords", "contentMatches", "contains", "regex", "yara", "text_match"])
def test_keyword_and_content_matching_fields_are_refused_by_name(field):
    found = problems(variant(**{field: ["TOP SECRET", "classified"]}))
    assert found[0] == (f"rule pe-heuristic-dropper: {field}: keyword and content matching is never allowed: a rule "
                        "triggers on file types and detection names, not on what a file says (document collection)")


@pytest.mark.parametrize("detection", ["HEUR:Doc.Marker.Secret*", "Confidential-Project.*", "NOFORN", "Geheim.Akte*",
                                       "Trojan.Restricted.*"])
def test_detections_carrying_classification_keywords_are_refused(detection):
    found = problems(variant(detections=[detection]))
    assert any(p.startswith("rule pe-heuristic-dropper: detections:") and "classification keyword" in p for p in found)


@pytest.mark.parametrize("detection", ["*", "**", "?*", "free text with spaces", "x"])
def test_detections_must_be_names(detection):
    assert any("pe-heuristic-dropper: detections" in p for p in problems(variant(detections=[detection])))


@pytest.mark.parametrize("path", ["C:/Users/*/Documents/**", "**/*.docx", "**/Outlook/*.pst", "/home/*/mail/**", "*.zip"])
def test_paths_into_documents_or_mail_are_refused(path):
    assert any("pe-heuristic-dropper: paths" in p for p in problems(variant(paths=[path])))


def test_sizes_are_capped_by_the_stack_and_absolutely():
    found = problems(variant(maxBytes=2048), rules.LintContext(max_bytes=1024))
    assert found[0] == "rule pe-heuristic-dropper: maxBytes: 2048 exceeds the intake's cap of 1024 bytes"
    assert len(found) == len(BASE["rules"])  # every rule of the example asks for more than 1 KiB
    assert any("maxBytes" in p for p in problems(variant(maxBytes=rules.ABSOLUTE_MAX_BYTES + 1)))


@pytest.mark.parametrize("magic, what", [("504b0304", "ZIP"), ("d0cf11e0a1b11ae1", "OLE2"), ("25504446", "PDF"),
                                         ("2142444e", "PST"), ("504b", "ZIP")])
def test_configured_binary_types_cannot_be_documents(magic, what):
    document = copy.deepcopy(BASE)
    document["binaryTypes"].append({"name": "sneaky", "magic": magic, "description": "x"})
    assert any("binaryTypes[sneaky].magic" in p and what in p for p in problems(document))


def test_unknown_types_duplicate_ids_and_format_are_named():
    document = variant(fileTypes=["pe", "exe-ish"])
    document["rules"].append(copy.deepcopy(document["rules"][1]))
    found = problems(document)
    assert any("'exe-ish' is neither an executable" in p for p in found)
    assert any(p == "rule elf-heuristic-backdoor: id: appears twice: every rule id names one rule" for p in found)
    wrong = copy.deepcopy(BASE)
    wrong["format"] = "something-else"
    assert problems(wrong)[0].startswith("rule set: format: must be 'transparency-center-collection-rules'")


def test_model_errors_name_rule_and_field():
    assert problems(variant(maxBytes="big"))[0].startswith("rule pe-heuristic-dropper: maxBytes:")
    assert problems(variant(extra=1)) == ["rule pe-heuristic-dropper: extra: unknown field; remove it"]


def test_a_file_that_is_not_yaml_is_one_line(tmp_path: Path):
    bad = tmp_path / "r.yaml"
    bad.write_text("rules: [\n")
    with pytest.raises(rules.InputError) as caught:
        rules.load(bad)
    assert "\n" not in str(caught.value) and str(bad) in str(caught.value)


def test_the_digest_does_not_depend_on_formatting(tmp_path: Path):
    as_json = tmp_path / "r.json"
    as_json.write_text(json.dumps(BASE, indent=7))
    assert rules.digest(rules.load(as_json)) == rules.digest(rules.load(RULE_SET_PATH))
    reordered = dict(reversed(list(BASE.items())))
    assert rules.canonical_bytes(rules.parse(reordered)) == rules.canonical_bytes(rules.parse(BASE))


def test_the_broker_reads_the_digest_tcenter_publishes():
    rule_set = rules.parse(BASE)
    bundle = {"ruleSet": rules.as_document(rule_set), "digest": rules.digest(rule_set)}
    approved = rules_from_bundle(json.dumps(bundle).encode())
    assert approved.digest == rules.digest(rule_set)
    assert approved.max_bytes == {r.id: r.max_bytes for r in rule_set.rules}
    with pytest.raises(ValueError, match="is not the rule set's"):
        rules_from_bundle(json.dumps({**bundle, "digest": "sha256:" + "0" * 64}).encode())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**53, max_value=2**53) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_bytes_are_one_function_in_tcenter_and_the_broker(value):
    assert rules.canonical_json(value) == broker_canonical(value)
    assert json.loads(rules.canonical_json(value)) == value


def test_canonical_form_matches_rfc8785_examples():
    # RFC 8785 3.2.3: keys sorted by code unit, no white space, UTF-8 literals kept.
    assert rules.canonical_json({"b": 1, "a": [True, None], "é": "ü"}) == '{"a":[true,null],"b":1,"é":"ü"}'.encode()


def test_file_types_and_matching_rule():
    rule_set = rules.parse(BASE)
    assert rules.file_type(b"MZ\x90\x00", "x.bin", rule_set) == "pe"
    assert rules.file_type(b"\x7fELF\x02", "x", rule_set) == "elf"
    assert rules.file_type(b"dex\n035\x00", "classes.dex", rule_set) == "android-dex"
    assert rules.file_type(b"$a = 1", "run.PS1", rule_set) == "powershell"
    assert rules.file_type(b"PK\x03\x04", "report.docx", rule_set) is None
    assert rules.file_type(b"%PDF-1.7", "a.pdf", rule_set) is None
    script = rules.matching_rule(rule_set, "javascript", "HEUR:Trojan-Downloader.Script.Agent",
                                 "C:/Users/x/Downloads/a.js", 100)
    assert script is not None and script.id == "script-downloader"
    assert rules.matching_rule(rule_set, "javascript", "HEUR:Trojan-Downloader.Script.Agent", "D:/share/a.js", 100) is None
    assert rules.matching_rule(rule_set, "pe", "HEUR:Trojan-Dropper.Win32.X", "any", 33554433) is None
