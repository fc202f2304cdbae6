"""Options every command group spells the same way: one set of format names, `-o` always a
file, `--out-dir` for folders, and the same help for STACK|PLAN."""

from __future__ import annotations

import argparse

TARGET_HELP = "a stack name (planned now, on the mock engine) or a plan file written by `tcenter plan`"
OUTPUT_HELP = "write to this file instead of standard output"
OUT_DIR_HELP = "write the files into this folder (default: out/STACK)"

FORMAT_ALIASES = {"terminal": "text", "table": "text"}
"""Names earlier versions used for the text format; still accepted, never shown."""


def _format(value: str) -> str:
    return FORMAT_ALIASES.get(value, value)


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...], default: str = "text") -> None:
    parser.add_argument("--format", type=_format, choices=choices, default=default,
                        help=f"{', '.join(choices)} (default {default})")


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
