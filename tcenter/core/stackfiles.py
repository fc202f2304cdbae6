"""The one locator of a Pulumi project's stack files: the project's settings, its stacks,
each stack's file and config values. Reads files only (no Pulumi, no planning)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout tcenter itself comes from: the default project to plan."""


class StackFileError(InputError):
    """A project or stack file that is missing or unreadable."""


def project_settings(project_dir: Path) -> dict[str, Any]:
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.exists():
        raise StackFileError(f"{project_dir} is not a Pulumi project (no Pulumi.yaml)")
    return yaml.safe_load(path.read_text())


def stack_folder(project_dir: Path) -> Path:
    return Path(project_dir) / project_settings(project_dir).get("stackConfigDir", ".")


def stack_names(project_dir: Path = PROJECT_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in stack_folder(project_dir).glob("Pulumi.*.yaml"))


def stack_file_relpath(stack: str, project_dir: Path = PROJECT_ROOT) -> str:
    """Where a stack's file is inside the project (as git names it at any revision)."""
    folder = project_settings(project_dir).get("stackConfigDir", ".")
    return str(Path(folder) / f"Pulumi.{stack}.yaml")


def values_of_stack_file(text: str, where: str) -> dict[str, Any]:
    """The `config:` mapping of a stack file's text (WHERE names it in errors)."""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise StackFileError(f"{where} is not valid YAML: {error}") from None
    values = document.get("config") if isinstance(document, dict) else None
    if not isinstance(values or {}, dict):
        raise StackFileError(f"{where}: 'config' must be a mapping of keys to values")
    return values or {}


def stack_config_path(stack: str, project_dir: Path = PROJECT_ROOT) -> Path:
    path = stack_folder(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.exists():
        import difflib

        names = stack_names(project_dir)
        close = difflib.get_close_matches(stack, names, n=1)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        raise StackFileError(f"no stack {stack!r}: {path} does not exist "
                             f"(stacks of {Path(project_dir)}: {', '.join(names) or 'none'}){guess}")
    return path


def load_stack_values(stack: str, project_dir: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The `config:` mapping of a stack file, as written (secure values stay encrypted)."""
    path = stack_config_path(stack, project_dir)
    return values_of_stack_file(path.read_text(), path.name)


def stack_file_in_tree(tree: Path, stack: str) -> Path | None:
    """The stack's file inside an extracted tree (a git revision), wherever the project keeps it."""
    try:
        path = stack_folder(tree) / f"Pulumi.{stack}.yaml"
    except StackFileError:
        path = tree / f"Pulumi.{stack}.yaml"
    return path if path.is_file() else None
