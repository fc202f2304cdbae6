"""How commands print: one console factory, a progress line for long steps, and the one
way to write a result to a file or standard output."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, Iterator

WIDTH_WHEN_NOT_A_TERMINAL = 200
"""Files and CI logs: wide tables rather than wrapped cells."""


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    made = Console(stderr=stderr, highlight=False, soft_wrap=stderr)
    if not made.is_terminal:
        made.width = WIDTH_WHEN_NOT_A_TERMINAL
    return made


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A progress line on stderr for a long step (only on a terminal)."""
    err = console(stderr=True)
    if err.is_terminal:
        with err.status(message):
            yield
    else:
        yield


def write(text: str, output: str | None) -> None:
    """TEXT to the file OUTPUT (its folder made), or to standard output for None or '-'."""
    if output and output != "-":
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def one_line(message: str) -> str:
    """A multi-line message (a config error lists every problem) as the one line errors are."""
    first, *rest = [line.strip() for line in message.splitlines() if line.strip()] or ["error"]
    return " ".join([first, "; ".join(rest)]) if rest else first


def escape(text: str) -> str:
    """Text printed through rich, with its markup characters shown as they are."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


# --- text that fits ---------------------------------------------------------------------------

DEFAULT_WIDTH = 100
"""Columns of text output when COLUMNS is not set and standard output is not a terminal."""


def text_width() -> int:
    """COLUMNS when set; else the terminal's width; else 100. The same content then comes
    out whether it is printed, piped or written with -o in the same environment."""
    import os
    import shutil

    value = os.environ.get("COLUMNS", "")
    if value.isdigit() and int(value) >= 40:
        return int(value)
    if sys.stdout.isatty():
        return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def wrap(text: str, width: int, indent: str = "", first: str = "") -> list[str]:
    """TEXT in lines of at most WIDTH, broken at spaces only: a token (an ARN, a JSON value)
    is never split; one longer than the line stands alone on its line. FIRST starts the first
    line, INDENT the others."""
    lines: list[str] = []
    current, fresh = first, True
    for token in text.split():
        candidate = current + token if fresh else f"{current} {token}"
        if fresh and first.strip() and len(candidate) > width:  # the prefix alone, the token below it
            lines.append(first.rstrip())
            current, fresh = indent + token, False
        elif fresh or len(candidate) <= width:
            current, fresh = candidate, False
        else:
            lines.append(current)
            current = indent + token
    lines.append(current.rstrip())
    return lines


def fit_table(headers: list[str], rows: list[list[str]], width: int, gap: int = 2) -> list[str]:
    """A table with a header row in at most WIDTH columns: aligned when it fits; else cells
    wrapped at spaces (never inside a token); else one record per row, `header: value`."""
    columns = len(headers)
    cells = [headers, *rows]
    natural = [max(len(row[c]) for row in cells) for c in range(columns)]
    longest_token = [max((len(t) for row in cells for t in row[c].split()), default=0) for c in range(columns)]
    if sum(natural) + gap * (columns - 1) <= width:
        widths = natural
    elif sum(longest_token) + gap * (columns - 1) <= width:
        spare = width - gap * (columns - 1) - sum(longest_token)
        extra = [n - t for n, t in zip(natural, longest_token)]
        total = sum(extra) or 1
        widths = [t + (spare * e) // total for t, e in zip(longest_token, extra)]
    else:
        return _records(headers, rows, width)
    out = []
    for index, row in enumerate(cells):
        wrapped = [wrap(cell, widths[c]) for c, cell in enumerate(row)]
        for line in range(max(len(w) for w in wrapped)):
            parts = [(wrapped[c][line] if line < len(wrapped[c]) else "").ljust(widths[c]) for c in range(columns)]
            out.append((" " * gap).join(parts).rstrip())
        if index == 0:
            out.append((" " * gap).join("-" * w for w in widths))
    return out


def _records(headers: list[str], rows: list[list[str]], width: int) -> list[str]:
    out = []
    for row in rows:
        out += wrap(row[0], width, indent="  ", first=f"{headers[0]}: ")
        for header, cell in zip(headers[1:], row[1:]):
            if cell:
                out += wrap(cell, width, indent="      ", first=f"  {header}: ")
    return out
