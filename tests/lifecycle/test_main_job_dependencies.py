"""The README's first command runs on what a plain `bootstrap.sh` installs: every module the
review commands import comes from a core dependency, never from a test extra.

The last review found `tcenter review dev` crashing on a fresh machine (policy_sentry came
only with the test extra) while CI was green: CI had installed the extras first. Here each
review command runs in a subprocess where every top-level module that only a test-extra
distribution provides cannot be imported; .ci/run also walks the README's command itself
in its fresh clone before it installs the extras.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import re
import subprocess
import sys
import tomllib

import pytest

from tcenter.core.stackfiles import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(requirements: list[str]) -> set[str]:
    """Distributions installed for these requirements, with everything they require."""
    seen: set[str] = set()
    todo = [_name(r) for r in requirements]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo.extend(_name(r) for r in requires if "extra ==" not in r)
    return seen


def test_only_modules_of_test_extras_are_hidden():
    core = _closure(PYPROJECT["project"]["dependencies"])
    tests_only = _closure(PYPROJECT["project"]["optional-dependencies"]["test"]) - core
    assert {"moto", "parliament", "pytest", "hypothesis"} <= tests_only
    assert "policy-sentry" in core and "diagrams" in core, "the review commands need them"


def _hidden_modules() -> list[str]:
    core = _closure(PYPROJECT["project"]["dependencies"])
    tests_only = _closure(PYPROJECT["project"]["optional-dependencies"]["test"]) - core
    providers = metadata.packages_distributions()
    return sorted(module for module, dists in providers.items()
                  if all(d.lower().replace("_", "-") in tests_only for d in dists) and not module.startswith("_"))


RUNNER = r"""
import json, sys
hidden = set(json.loads(sys.argv[1]))
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in hidden:
            raise ModuleNotFoundError(f"No module named {name!r} (a test-extra module)", name=name)
        return None
sys.meta_path.insert(0, Blocker())
from tcenter.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("command", [
    ["review", "dev", "--out-dir", "{tmp}/review"],
    ["diff", "{tmp}/review/plan.json", "{tmp}/review/plan.json", "--format", "json"],
    ["access", "{tmp}/review/plan.json"],
    ["check", "{tmp}/review/plan.json"],
    ["comment", "--base-dir", "{tmp}/review", "--head-dir", "{tmp}/review", "--stacks", "plan"],
])
def test_review_commands_need_no_test_extra(command, tmp_path_factory):
    tmp = tmp_path_factory.getbasetemp() / "main-job"
    tmp.mkdir(exist_ok=True)
    if command[0] != "review" and not (tmp / "review" / "plan.json").is_file():
        test_review_commands_need_no_test_extra(["review", "dev", "--out-dir", "{tmp}/review"], tmp_path_factory)
    argv = [part.replace("{tmp}", str(tmp)) for part in command]
    done = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(_hidden_modules()), *argv],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert "test-extra module" not in done.stderr, done.stderr
    assert "internal error" not in done.stderr, done.stderr
    assert done.returncode in (0, 1, 2), (done.returncode, done.stderr[-2000:])
