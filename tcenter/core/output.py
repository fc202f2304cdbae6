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
