"""Collection rule sets: what a product may upload to the intake, and the lints that refuse
document collection (issue 27, docs/intake.md).

A rule set is a YAML or JSON file:

    format: transparency-center-collection-rules
    version: 3                       # increases with every published set
    description: ...
    binaryTypes:                     # configured binary types, beyond the built-in ones
      - {name: android-dex, magic: "6465780a", description: ...}
    rules:
      - id: pe-heuristic-dropper
        description: ...
        fileTypes: [pe]              # executable, script or configured binary types only
        detections: ["HEUR:Trojan-Dropper.Win32.*"]   # detection names that trigger an upload
        paths: ["C:/Users/*/Downloads/**"]             # optional host path globs
        maxBytes: 33554432

Its canonical bytes (sorted keys, no insignificant white space, UTF-8: RFC 8785 for these
values) are what reviewer organizations sign and what the published bundle's digest names;
the broker recomputes the same digest (functions/intake_broker/handler.py).

`lint(rule_set)` runs `LINTS`, an explicit list of small checks; each problem is one line that
names the rule id and the field.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from ..core.errors import InputError

FORMAT = "transparency-center-collection-rules"
ABSOLUTE_MAX_BYTES = 256 * 1024 * 1024
"""No rule may name a larger cap, whatever the stack (components/config/intake.MAX_SAMPLE_BYTES)."""

EXECUTABLE_TYPES: dict[str, tuple[str, ...]] = {
    "pe": ("4d5a",),                                                   # MZ
    "elf": ("7f454c46",),
    "macho": ("feedface", "feedfacf", "cefaedfe", "cffaedfe"),
}
"""Built-in executable types and their magic numbers (hex prefixes)."""

SCRIPT_TYPES: dict[str, tuple[str, ...]] = {
    "powershell": (".ps1", ".psm1"),
    "javascript": (".js", ".jse"),
    "vbscript": (".vbs", ".vbe"),
    "batch": (".bat", ".cmd"),
    "shell": (".sh",),
    "python": (".py",),
    "windows-script": (".wsf",),
    "html-application": (".hta",),
}
"""Built-in script types and their file name extensions."""

DOCUMENT_TYPES = frozenset({
    "doc", "docx", "docm", "dot", "dotx", "dotm", "xls", "xlsx", "xlsm", "xlsb", "xlt", "xltx", "ppt", "pptx",
    "pptm", "pps", "ppsx", "odt", "ods", "odp", "odg", "rtf", "pdf", "txt", "csv", "md", "tex", "pages", "numbers",
    "key", "wpd", "wps", "hwp", "xps", "oxps", "epub", "vsd", "vsdx", "one", "office", "document", "spreadsheet",
    "presentation", "text", "image", "jpg", "jpeg", "png", "gif", "tif", "tiff", "bmp", "heic",
})
ARCHIVE_TYPES = frozenset({
    "zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "zst", "cab", "iso", "img", "dmg", "vhd", "vhdx", "arj",
    "lzh", "ace", "archive",
})
MAIL_STORE_TYPES = frozenset({"eml", "msg", "pst", "ost", "mbox", "mbx", "nsf", "olm", "dbx", "emlx", "mail", "mailbox"})

FORBIDDEN_MAGIC: dict[str, str] = {
    "504b0304": "a ZIP container (Office Open XML documents, ODF, archives)",
    "d0cf11e0a1b11ae1": "an OLE2 compound file (Word, Excel, PowerPoint, Outlook .msg, .msi)",
    "25504446": "a PDF document",
    "7b5c727466": "an RTF document",
    "526172211a07": "a RAR archive",
    "377abcaf271c": "a 7-Zip archive",
    "1f8b": "a gzip stream",
    "425a68": "a bzip2 stream",
    "fd377a585a00": "an xz stream",
    "2142444e": "an Outlook PST/OST mail store",
    "46726f6d20": "an mbox mail store ('From ')",
    "ffd8ff": "a JPEG image",
    "89504e47": "a PNG image",
}
"""Magic prefixes of documents, archives, mail stores and images: no configured binary type may
start with (or be a prefix of) one of them."""

CONTENT_MATCH_FIELDS = frozenset({
    "keywords", "keyword", "contentmatches", "contentmatch", "contains", "text", "textmatch", "patterns", "pattern",
    "regex", "regexes", "strings", "yara", "content", "grep", "searchterms",
})
"""Field names of keyword or content matching: never accepted in a rule (lowercase, no separators)."""

CLASSIFICATION_MARKERS = (
    "secret", "confidential", "classified", "restricted", "noforn", "fouo", "official-sensitive", "internal-only",
    "eyes-only", "geheim", "vertraulich", "confidentiel", "riservato", "reservado", "kimitsu",
)
"""Words of document classification markings: a detection pattern carrying one is a keyword
search on documents in disguise (the 2014 incident), not a malware detection name."""

DOCUMENT_FOLDERS = ("outlook", "thunderbird", "/mail/", "appdata/local/microsoft/outlook", "/documents", "/desktop")
"""Host path fragments of mail stores and users' document folders."""

RULE_ID = r"^[a-z0-9][a-z0-9-]{2,62}$"
TYPE_NAME = r"^[a-z0-9][a-z0-9-]{0,31}$"
DETECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._/!@*?\[\]-]{2,127}$")
MAGIC_HEX = r"^(?:[0-9a-f]{2}){2,16}$"


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
                              strict=True)


class BinaryType(_Model):
    name: str = Field(pattern=TYPE_NAME)
    magic: str = Field(pattern=MAGIC_HEX, description="Lowercase hex prefix of the file's first bytes.")
    description: str = Field(min_length=1, max_length=500)


class CollectionRule(_Model):
    id: str = Field(pattern=RULE_ID)
    description: str = Field(min_length=1, max_length=1000)
    file_types: list[str] = Field(min_length=1, max_length=32)
    detections: list[str] = Field(min_length=1, max_length=256)
    paths: list[str] = Field(default_factory=list, max_length=64)
    max_bytes: int = Field(ge=1)


class RuleSet(_Model):
    format: str
    version: int = Field(ge=1)
    description: str = Field(default="", max_length=2000)
    binary_types: list[BinaryType] = Field(default_factory=list, max_length=32)
    rules: list[CollectionRule] = Field(min_length=1, max_length=1000)

    def rule(self, rule_id: str) -> CollectionRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True)
class Problem:
    rule: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"rule {self.rule}" if self.rule else "rule set"
        return f"{where}: {self.field}: {self.message}"


class RuleSetError(InputError):
    """A rule set that cannot be read or does not pass the lints; `problems` are one line each."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "; ".join(str(p) for p in problems)
        super().__init__(f"{source}: refused ({len(problems)} problem(s)): {lines}")


# --- canonical form ------------------------------------------------------------------------

def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant white space, UTF-8 (RFC 8785 for strings, integers, booleans,
    lists and objects, which is all a rule set holds). The broker has the same function."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def as_document(rule_set: RuleSet) -> dict[str, Any]:
    return rule_set.model_dump(by_alias=True, mode="json")


def canonical_bytes(rule_set: RuleSet) -> bytes:
    return canonical_json(as_document(rule_set))


def digest(rule_set: RuleSet) -> str:
    return "sha256:" + hashlib.sha256(canonical_bytes(rule_set)).hexdigest()


# --- reading -------------------------------------------------------------------------------

def _rule_of(raw: Any, index: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("rules"), list) and isinstance(index, int) \
            and index < len(raw["rules"]) and isinstance(raw["rules"][index], dict):
        rule_id = raw["rules"][index].get("id")
        return str(rule_id) if rule_id is not None else f"#{index}"
    return None


def _raw_problems(raw: Any) -> Iterator[Problem]:
    """Checks of the raw document that must speak before the model's generic messages."""
    if not isinstance(raw, dict):
        yield Problem(None, "(document)", "must be a mapping with format, version and rules")
        return
    if raw.get("format") != FORMAT:
        yield Problem(None, "format", f"must be {FORMAT!r} (got {raw.get('format')!r})")
    for index, rule in enumerate(raw.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        for key in rule:
            if re.sub(r"[^a-z]", "", str(key).lower()) in CONTENT_MATCH_FIELDS:
                yield Problem(_rule_of(raw, index), str(key),
                              "keyword and content matching is never allowed: a rule triggers on file types and "
                              "detection names, not on what a file says (document collection)")


def _without_content_fields(raw: Any) -> Any:
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        return raw
    rules_ = [{k: v for k, v in r.items() if re.sub(r"[^a-z]", "", str(k).lower()) not in CONTENT_MATCH_FIELDS}
              if isinstance(r, dict) else r for r in raw["rules"]]
    return {**raw, "rules": rules_}


def parse(raw: Any, source: str = "rule set", context: "LintContext | None" = None) -> RuleSet:
    """A RuleSet from a decoded document, or RuleSetError naming every problem. With `context`, the
    lints run too, so that one refusal names everything at once."""
    problems = list(_raw_problems(raw))
    try:
        rule_set = RuleSet.model_validate(_without_content_fields(raw))
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            location = detail["loc"]
            rule = _rule_of(raw, location[1]) if len(location) > 1 and location[0] == "rules" else None
            field = ".".join(str(p) for p in (location[2:] if rule is not None else location)) or "(rule)"
            message = "unknown field; remove it" if detail["type"] == "extra_forbidden" else detail["msg"]
            problems.append(Problem(rule, field, message))
        raise RuleSetError(source, problems) from None
    if context is not None:
        problems += lint(rule_set, context)
    if problems:
        raise RuleSetError(source, problems)
    return rule_set


def load(path: Path, context: "LintContext | None" = None) -> RuleSet:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the rule set ({error})") from None
    try:
        raw = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        first = str(error).splitlines()[0]
        raise InputError(f"{path}: not valid {'JSON' if str(path).endswith('.json') else 'YAML'} ({first})") from None
    return parse(raw, str(path), context)


# --- lints ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LintContext:
    max_bytes: int = ABSOLUTE_MAX_BYTES
    """The stack's sampleSize.maxBytes: no rule may ask for more than the intake accepts."""


def _lint_unique_ids(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    seen: set[str] = set()
    for rule in rule_set.rules:
        if rule.id in seen:
            yield Problem(rule.id, "id", "appears twice: every rule id names one rule")
        seen.add(rule.id)
    names = [t.name for t in rule_set.binary_types]
    for name in sorted({n for n in names if names.count(n) > 1}):
        yield Problem(None, f"binaryTypes[{name}]", "is defined twice")


def _lint_no_document_types(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    for rule in rule_set.rules:
        for kind in rule.file_types:
            if kind in DOCUMENT_TYPES:
                yield Problem(rule.id, "fileTypes", f"{kind!r} is a document type: documents are never collected")


def _lint_no_archives(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    for rule in rule_set.rules:
        for kind in rule.file_types:
            if kind in ARCHIVE_TYPES:
                yield Problem(rule.id, "fileTypes",
                              f"{kind!r} is an archive type: an archive may hold documents; archives are never collected")


def _lint_no_mail_stores(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    for rule in rule_set.rules:
        for kind in rule.file_types:
            if kind in MAIL_STORE_TYPES:
                yield Problem(rule.id, "fileTypes", f"{kind!r} is a mail store or message: mail is never collected")


def _allowed_types(rule_set: RuleSet) -> set[str]:
    return set(EXECUTABLE_TYPES) | set(SCRIPT_TYPES) | {t.name for t in rule_set.binary_types}


def _lint_known_types(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    allowed = _allowed_types(rule_set)
    refused = DOCUMENT_TYPES | ARCHIVE_TYPES | MAIL_STORE_TYPES
    for rule in rule_set.rules:
        for kind in rule.file_types:
            if kind not in allowed and kind not in refused:
                yield Problem(rule.id, "fileTypes",
                              f"{kind!r} is neither an executable, a script nor a configured binary type; "
                              f"allowed: {sorted(allowed)}")


def _lint_configured_types(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    builtin = set(EXECUTABLE_TYPES) | set(SCRIPT_TYPES)
    for binary in rule_set.binary_types:
        where = f"binaryTypes[{binary.name}]"
        if binary.name in DOCUMENT_TYPES | ARCHIVE_TYPES | MAIL_STORE_TYPES:
            yield Problem(None, f"{where}.name", "names a document, archive or mail store type")
        if binary.name in builtin:
            yield Problem(None, f"{where}.name", "is a built-in type; configure only other binary types")
        for magic, what in FORBIDDEN_MAGIC.items():
            if binary.magic.startswith(magic) or magic.startswith(binary.magic):
                yield Problem(None, f"{where}.magic", f"{binary.magic} matches {what}: not a binary type to collect")


def _lint_detections(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    for rule in rule_set.rules:
        for pattern in rule.detections:
            if not pattern.strip("*?"):
                yield Problem(rule.id, "detections",
                              f"{pattern!r} matches every detection: name the detections that trigger the rule")
            elif not DETECTION_NAME.match(pattern):
                yield Problem(rule.id, "detections",
                              f"{pattern!r} is not a detection name pattern (letters, digits and : . _ / ! @ - "
                              "with * ? [ ] wildcards; no spaces): rules trigger on named detections, not on text")


def _lint_no_keywords(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    for rule in rule_set.rules:
        for pattern in rule.detections + [rule.id]:
            flat = re.sub(r"[^a-z]", "", pattern.lower())
            for marker in CLASSIFICATION_MARKERS:
                if re.sub(r"[^a-z]", "", marker) in flat:
                    field = "id" if pattern == rule.id else "detections"
                    yield Problem(rule.id, field,
                                  f"{pattern!r} carries the classification keyword {marker!r}: a keyword search on "
                                  "documents, never a malware detection")
                    break


def _lint_paths(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    refused = DOCUMENT_TYPES | ARCHIVE_TYPES | MAIL_STORE_TYPES
    for rule in rule_set.rules:
        for glob in rule.paths:
            lowered = glob.lower().replace("\\", "/")
            extension = lowered.rsplit("/", 1)[-1].rsplit(".", 1)[-1] if "." in lowered.rsplit("/", 1)[-1] else ""
            if extension.strip("*?") in refused:
                yield Problem(rule.id, "paths", f"{glob!r} selects .{extension} files: documents, archives and mail "
                                                "are never collected")
            elif any(fragment in lowered for fragment in DOCUMENT_FOLDERS):
                yield Problem(rule.id, "paths", f"{glob!r} points into a mail store or a user's documents")


def _lint_size_caps(rule_set: RuleSet, context: LintContext) -> Iterator[Problem]:
    cap = min(context.max_bytes, ABSOLUTE_MAX_BYTES)
    for rule in rule_set.rules:
        if rule.max_bytes > cap:
            yield Problem(rule.id, "maxBytes", f"{rule.max_bytes} exceeds the intake's cap of {cap} bytes")


Lint = Callable[[RuleSet, LintContext], Iterable[Problem]]

LINTS: tuple[tuple[str, Lint], ...] = (
    ("unique-ids", _lint_unique_ids),
    ("no-document-types", _lint_no_document_types),
    ("no-archives", _lint_no_archives),
    ("no-mail-stores", _lint_no_mail_stores),
    ("known-types-only", _lint_known_types),
    ("configured-types-not-documents", _lint_configured_types),
    ("detections-are-names", _lint_detections),
    ("no-classification-keywords", _lint_no_keywords),
    ("paths-not-documents", _lint_paths),
    ("size-caps", _lint_size_caps),
)
"""Every lint, in order: a rule set takes effect only when none of them finds anything."""


def lint(rule_set: RuleSet, context: LintContext = LintContext()) -> list[Problem]:
    return [problem for _name, check in LINTS for problem in check(rule_set, context)]


def checked(rule_set: RuleSet, source: str, context: LintContext = LintContext()) -> RuleSet:
    problems = lint(rule_set, context)
    if problems:
        raise RuleSetError(source, problems)
    return rule_set


# --- what a file is, for the reference client ---------------------------------------------------

def file_type(head: bytes, name: str, rule_set: RuleSet) -> str | None:
    """The rule-set type of a file from its first bytes and name (None: not collectable)."""
    hexhead = head[:16].hex()
    for kind, magics in EXECUTABLE_TYPES.items():
        if any(hexhead.startswith(m) for m in magics):
            return kind
    for binary in rule_set.binary_types:
        if hexhead.startswith(binary.magic):
            return binary.name
    lowered = name.lower()
    for kind, extensions in SCRIPT_TYPES.items():
        if lowered.endswith(extensions):
            return kind
    return None


def matching_rule(rule_set: RuleSet, kind: str | None, detection: str, host_path: str, size: int) -> CollectionRule | None:
    """The first rule that lets a file of `kind` and `size`, detected as `detection` at `host_path`, be uploaded."""
    if kind is None:
        return None
    for rule in rule_set.rules:
        if kind not in rule.file_types or size > rule.max_bytes:
            continue
        if not any(fnmatch.fnmatchcase(detection, pattern) for pattern in rule.detections):
            continue
        normalized = host_path.replace("\\", "/")
        if rule.paths and not any(fnmatch.fnmatchcase(normalized, glob) for glob in rule.paths):
            continue
        return rule
    return None
