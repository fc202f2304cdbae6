"""The CLI contract: every subcommand, on every kind of broken input, prints one line and exits 3
(usage errors 64), never a traceback. Subcommands come from build_parser, so new ones are covered."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from tcenter.cli import build_parser, main
from tcenter.core.errors import ExitCode
from tcenter.core.stackfiles import PROJECT_ROOT


def _nested(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every leaf command, nested groups included ('log verify-proof')."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(_nested(child, f"{prefix} {name}".strip()) or {f"{prefix} {name}".strip(): child})
    return found


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    return _nested(build_parser())


def _argv(command: str, parser: argparse.ArgumentParser, target: str) -> list[str]:
    """The command with `target` in every positional and each required option at its first choice."""
    argv = command.split()
    for action in parser._actions:
        if not action.option_strings and action.dest != "help":
            argv += [target, target] if action.nargs == "*" else [target]
        elif action.required:
            argv += [action.option_strings[-1], next(iter(action.choices or [target]))]
    return argv + OPTIONS_CHECKED_BY_THE_COMMAND.get(command, [])


OPTIONS_CHECKED_BY_THE_COMMAND = {"verify": ["--key", "products=/nonexistent/products.pem", "--no-log"]}
"""Options a command requires by its own check rather than argparse's (verify needs the key of the
release's class): given, so the broken input is what the command meets first."""


GOOD_HEADER = {"format": "transparency-center-plan", "version": 1, "project": "p", "stack": "dev", "outputs": {}}
GOOD_RESOURCE = {"urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket", "name": "b",
                 "custom": True, "parent": None, "provider": None, "dependencies": [], "propertyDependencies": {},
                 "options": {}, "inputs": {}, "outputs": {}}
BODY_DEFECTS = {
    "resources-not-list": {"resources": "oops"},
    "resource-not-object": {"resources": [7]},
    "resource-without-urn": {"resources": [{k: v for k, v in GOOD_RESOURCE.items() if k != "urn"}]},
    "inputs-null": {"resources": [{**GOOD_RESOURCE, "inputs": None}]},
    "options-list": {"resources": [{**GOOD_RESOURCE, "options": []}]},
    "type-number": {"resources": [{**GOOD_RESOURCE, "type": 5}]},
    "dependencies-of-numbers": {"resources": [{**GOOD_RESOURCE, "dependencies": [1]}]},
    "outputs-list": {"resources": [], "outputs": []},
    "no-resources": {},
}


def _broken_files(root: Path) -> dict[str, str]:
    files = {"missing-file": str(root / "absent.json")}
    (root / "not.json").write_text("{not json", encoding="utf-8")
    files["not-json"] = str(root / "not.json")
    (root / "v9.json").write_text(json.dumps({**GOOD_HEADER, "version": 9, "resources": []}), encoding="utf-8")
    files["wrong-version"] = str(root / "v9.json")
    for name, body in BODY_DEFECTS.items():
        path = root / f"{name}.json"
        path.write_text(json.dumps({**GOOD_HEADER, **body}), encoding="utf-8")
        files[name] = str(path)
    return files


def _project(root: Path, main: str | None, config: dict) -> Path:
    """A copy of the project whose `bad` stack has `config` (and, given `main`, another program)."""
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "components").symlink_to(PROJECT_ROOT / "components")
    if main is None:
        shutil.copy(PROJECT_ROOT / "__main__.py", root / "__main__.py")
    else:
        (root / "__main__.py").write_text(main, encoding="utf-8")
    (root / "stacks").mkdir()
    import yaml
    (root / "stacks" / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[str, list[str]]]:
    """(case, global options + target) for every broken input."""
    root = tmp_path_factory.mktemp("corpus")
    cases = [(name, [], path) for name, path in _broken_files(root).items()]
    cases.append(("unknown-stack", [], "no-such-stack"))
    bad_config = _project(root / "bad-config", None, {"transparency-center:no-such-section": {"x": 1}})
    cases.append(("bad-config", ["-C", str(bad_config)], "bad"))
    raising = _project(root / "raising", "raise RuntimeError('the program broke')\n", {})
    cases.append(("program-raises", [f"--project-dir={raising}"], "bad"))
    return cases


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


NEEDS_PULUMI = {"preview", "up", "destroy"}
FOUND_BY_PLANNING = {"bad-config", "program-raises"}
"""Broken inputs only planning finds: preview/up/destroy say first that the Pulumi CLI is missing."""

READS_NO_INPUT = {"log keygen": "makes a new key from a name; its only file is the one it creates (never overwritten)"}


@pytest.mark.parametrize("command", sorted(set(_subcommands()) - set(READS_NO_INPUT)))
def test_every_command_fails_in_one_line_on_broken_input(command, corpus, capsys):
    parser = _subcommands()[command]
    for case, options, target in corpus:
        argv = [*options, *_argv(command, parser, target)]
        code, _, err = _run(argv, capsys)
        lines = [line for line in err.splitlines() if line.strip()]
        if command in NEEDS_PULUMI and case in FOUND_BY_PLANNING and shutil.which("pulumi") is None:
            # checked before the seconds of planning: the missing CLI is said first
            assert code == ExitCode.UNAVAILABLE, (case, argv, code, err)
        else:
            assert code == ExitCode.ERROR, (case, argv, code, err)
        assert len(lines) == 1 and "Traceback" not in err, (case, argv, err)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_rejects_wrong_usage_with_64(command, capsys):
    code, _, err = _run([*command.split(), "--no-such-option"], capsys)
    assert code == ExitCode.USAGE and len(err.strip().splitlines()) == 1, err


def test_check_without_a_plan_is_a_usage_error(capsys):
    code, _, err = _run(["check"], capsys)
    assert code == ExitCode.USAGE and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("option", [["-C", "DIR"], ["--project-dir", "DIR"], ["--project-dir=DIR"]])
def test_project_dir_spellings(option, tmp_path, capsys):
    project = [x.replace("DIR", str(tmp_path)) for x in option]
    args = build_parser().parse_args([*project, "reach", "x.json"])
    assert args.project_dir == str(tmp_path) and args.command == "reach"
    # through main: the option reaches the command (it plans in DIR, which is no project: 3), not 64
    code, _, err = _run([*project, "check", "dev"], capsys)
    assert code == ExitCode.ERROR and str(tmp_path) in err, err


def test_git_revisions_keep_their_place_among_plan_files():
    parse = build_parser().parse_args
    assert parse(["diff", "--git=main", "head.json"]).sources == ["git:main", "head.json"]
    assert parse(["diff", "base.json", "--git", "HEAD~1"]).sources == ["base.json", "git:HEAD~1"]
    assert parse(["-C", "/tmp", "diff", "--git", "a", "--git=b"]).sources == ["git:a", "git:b"]
    assert parse(["diff", "a.json", "b.json"]).sources == ["a.json", "b.json"]
