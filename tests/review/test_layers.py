"""tcenter in layers, held from the source (imports inside functions count): nothing imports
the CLI, core imports no command package, the rules stay importable in the policy pack's
virtualenv, components never import tcenter, nobody uses another module's private names, and
there are no import cycles. Every contract is shown to fail on a planted violation."""

from __future__ import annotations

import pytest

from tcenter.core.stackfiles import PROJECT_ROOT

from . import import_graph as g

SOURCES = g.read_sources(PROJECT_ROOT)


def _planted(module: str, line: str) -> dict[str, str]:
    """The real sources with LINE appended to MODULE (a function-level import where it is indented)."""
    return {**SOURCES, module: SOURCES[module] + "\n" + line + "\n"}


CONTRACTS = {
    "cli": (lambda s: g.cli_imports(g.graph(s)), "tcenter.analysis.diff", "def f():\n    from tcenter import cli"),
    "cli-from-tests": (lambda s: g.cli_imports(g.graph(s)), "tests.review.test_diff", "from tcenter.cli import COMMAND_GROUPS"),
    "core": (lambda s: g.core_imports(g.graph(s)), "tcenter.core.output", "def f():\n    from ..analysis import diff"),
    "guardrails": (lambda s: g.guardrail_imports(g.graph(s)), "tcenter.guardrails.keys", "from ..plan import format"),
    "guardrails-third-party": (lambda s: g.guardrail_imports(g.graph(s)), "tcenter.guardrails.model", "import pulumi"),
    "components": (lambda s: g.component_imports(g.graph(s)), "components.kms", "def f():\n    import tcenter.core.errors"),
    "private-import": (g.private_uses, "tcenter.render.comment", "from ..analysis.diff import _canonical"),
    "private-attribute": (g.private_uses, "tcenter.render.comment", "def f():\n    return diff_module._canonical"),
    "cycle": (lambda s: g.cycles(g.graph(s)), "tcenter.core.planview", "def f():\n    from ..render import comment"),
}


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_the_contract_holds_and_fails_on_a_planted_violation(contract):
    check, module, planted = CONTRACTS[contract]
    assert check(SOURCES) == [], f"{contract}: {check(SOURCES)}"
    assert check(_planted(module, planted)), f"{contract} does not see {planted!r} planted in {module}"


def test_imports_are_read_inside_functions_and_relative_ones_resolved():
    edges = g.imports_of("tcenter.analysis.x", "def f():\n    from ..core import errors\n", {**SOURCES, "tcenter.analysis.x": ""})
    assert [(e.module, e.names) for e in edges] == [("tcenter.core.errors", ())]


def test_no_tcenter_file_is_longer_than_the_limit():
    lengths = {name: source.count("\n") for name, source in SOURCES.items() if g._under(name, "tcenter")}
    assert max(lengths.values()) <= g.MAX_TCENTER_LINES, sorted(lengths.items(), key=lambda kv: -kv[1])[:3]


def test_the_guardrails_import_in_the_policy_packs_environment():
    """Run in a fresh interpreter where only the pack's requirements and the standard library
    import: pulumi_policy and pulumi are stand-ins, everything else third-party is refused."""
    import subprocess
    import sys

    runner = (
        "import sys\n"
        "allowed = set(sys.stdlib_module_names) | {'yaml', 'components', 'tcenter', 'policy', '_yaml'}\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] not in allowed:\n"
        "            raise ModuleNotFoundError(f'not in the pack environment: {name}', name=name)\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "import tcenter.guardrails, tcenter.guardrails.check\n"
        "assert len(tcenter.guardrails.RULES) >= 30\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", runner], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_type_checking_imports_do_not_count():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tcenter.cli import main\n"
    assert g.imports_of("tcenter.core.x", source, SOURCES) == [g.Import("tcenter.core.x", "typing", ("TYPE_CHECKING",), 1)]
