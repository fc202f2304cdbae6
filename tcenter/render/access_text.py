"""Effective access as people read it: per principal, a table of assets by access class with
a header row, conditions as numbered notes below it, and who may become which role. Fits the
text width (tokens such as ARNs and condition values are never split)."""

from __future__ import annotations

from typing import Any

from ..analysis.access import CLASSES
from ..core.output import fit_table, wrap


def _short(key: str) -> str:
    return key.split(":role/")[-1] if ":role/" in key else key


def _breakable(text: str, room: int) -> str:
    """A `key=value` token longer than ROOM may break after its `=` (the value, an ARN, stays whole)."""
    return " ".join(token.replace("=", "= ", 1) if len(token) > room and "=" in token else token
                    for token in text.split(" "))


def render_text(result: dict[str, Any], width: int) -> str:
    lines: list[str] = []
    trusted = []
    for key, entry in result["principals"].items():
        if entry["via"]:
            trusted.append([_short(key.rsplit(" (as ", 1)[0]), _short(entry["via"]), "; ".join(entry["notes"]) or ""])
            continue
        if not entry["access"]:
            continue
        notes: list[str] = []
        rows = []
        for asset, row in entry["access"].items():
            cells = []
            for cls in CLASSES:
                text = row.get(cls, "")
                if text.startswith("if "):
                    notes.append(text[3:])
                    text = f"if [{len(notes)}]"
                cells.append(text)
            rows.append([asset, *cells])
        lines.append(f"{_short(key)} ({entry['kind']})")
        lines += ["  " + line for line in fit_table(["asset", *CLASSES], rows, width - 2)]
        for number, condition in enumerate(notes, 1):
            # a condition's values are listed with commas: a line may break after each one
            indent = " " * (6 + len(str(number)))
            lines += wrap(_breakable(condition.replace(",", ", "), width - len(indent)), width, indent=indent,
                          first=f"  [{number}] ")
        for note in entry["notes"]:
            lines += wrap(note, width, indent="        ", first="  note: ")
        lines.append("")
    if trusted:
        lines.append("who may become a role (and then has its access above)")
        lines += ["  " + line for line in fit_table(["principal", "as the role", "only if"], trusted, width - 2)]
        lines.append("")
    for asset, reason in sorted(result.get("not_evaluable", {}).items()):
        lines += wrap(reason, width, indent="  ", first=f"note: {asset}: ")
    if not lines:
        lines = ["no principal has access to these assets (nothing matches the filters)"]
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(result: dict[str, Any]) -> str:
    lines = ["| principal | asset | " + " | ".join(CLASSES) + " |", "|" + "---|" * (2 + len(CLASSES))]
    notes = []
    for key, entry in result["principals"].items():
        name = _short(key)
        if entry["via"]:
            condition = "; ".join(entry["notes"])
            lines.append(f"| {_md(name)} → {_md(_short(entry['via']))} | (as the role{': ' + _md(condition) if condition else ''}) |"
                         + " |" * len(CLASSES))
            continue
        for asset, row in entry["access"].items():
            lines.append(f"| {_md(name)} | {_md(asset)} | " + " | ".join(_md(row.get(c, "")) for c in CLASSES) + " |")
        notes += [f"> {_md(name)}: {_md(note)}" for note in entry["notes"]]
    notes += [f"> {asset}: {reason}" for asset, reason in sorted(result.get("not_evaluable", {}).items())]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"
