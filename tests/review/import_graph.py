"""The kit's import graph, read from source with `ast` (imports inside functions count), and
the contracts that keep tcenter in layers. Each checker takes {module name: source} so a test
can plant a violation in a copy of the real sources and see the checker find it."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOTS = ("tcenter", "components", "policy", "organization", "reviewer_account", "bench", "tests")
"""Top-level folders of the kit whose modules are read."""
OWN_PACKAGES = ("tcenter", "components", "policy", "organization", "reviewer_account")
CLI = "tcenter.cli"
CLI_ENTRY_POINTS = {"main", "build_parser"}
"""What tests may take from tcenter.cli (nothing else imports it at all)."""
GUARDRAIL_ALLOWED = ("components.awsfacts", "tcenter.core.iamdoc", "tcenter.guardrails")
GUARDRAIL_THIRD_PARTY = {"yaml"}
"""The policy pack's own virtualenv has pulumi-policy, pulumi and PyYAML (policy/requirements.txt)."""
GUARDRAIL_ADAPTERS = ("tcenter.guardrails.commands",)
"""The CLI adapter of the guardrails: the pack never imports it."""
MAX_TCENTER_LINES = 700


@dataclass(frozen=True)
class Import:
    importer: str
    module: str            # the module imported (resolved, absolute)
    names: tuple[str, ...]  # names taken from it (`from M import a, b`), () for `import M`
    line: int


def read_sources(root: Path) -> dict[str, str]:
    sources = {}
    for top in ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            if ".venv" in path.parts or "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            sources[".".join(parts)] = path.read_text(encoding="utf-8")
    return sources


def _is_package(name: str, sources: dict[str, str]) -> bool:
    return any(other.startswith(name + ".") for other in sources)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node that can run: `if TYPE_CHECKING:` blocks are left out (type checkers only)."""
    nodes, todo = [], [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def imports_of(name: str, source: str, sources: dict[str, str]) -> list[Import]:
    found = []
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, node, sources)
            names = tuple(alias.name for alias in node.names)
            submodules = [n for n in names if f"{module}.{n}" in sources]
            for sub in submodules:  # `from pkg import module`
                found.append(Import(name, f"{module}.{sub}", (), node.lineno))
            rest = tuple(n for n in names if n not in submodules)
            if rest or not submodules:
                found.append(Import(name, module, rest, node.lineno))
    return found


def graph(sources: dict[str, str]) -> list[Import]:
    return [imp for name, source in sources.items() for imp in imports_of(name, source, sources)]


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


# --- the contracts ---------------------------------------------------------------------------

def cli_imports(edges: list[Import]) -> list[str]:
    """Nothing imports tcenter.cli; tests may take its entry points only."""
    bad = []
    for e in edges:
        if not _under(e.module, CLI) or e.importer == CLI:
            continue
        if _under(e.importer, "tests") and e.names and set(e.names) <= CLI_ENTRY_POINTS:
            continue
        bad.append(f"{e.importer}:{e.line} imports {e.module} {e.names or ''}".strip())
    return bad


def core_imports(edges: list[Import]) -> list[str]:
    """tcenter.core imports nothing of tcenter outside tcenter.core."""
    return [f"{e.importer}:{e.line} imports {e.module}" for e in edges
            if _under(e.importer, "tcenter.core") and _under(e.module, "tcenter") and not _under(e.module, "tcenter.core")]


def guardrail_imports(edges: list[Import]) -> list[str]:
    """The rules import the standard library, components.awsfacts and tcenter.core.iamdoc only."""
    bad = []
    for e in edges:
        if not _under(e.importer, "tcenter.guardrails") or _under(e.importer, *GUARDRAIL_ADAPTERS):
            continue
        if _stdlib(e.module) or _under(e.module, *GUARDRAIL_ALLOWED) or e.module in GUARDRAIL_THIRD_PARTY:
            continue
        if e.module == "components" and set(e.names) <= {"awsfacts"}:
            continue
        bad.append(f"{e.importer}:{e.line} imports {e.module}")
    return bad


def component_imports(edges: list[Import]) -> list[str]:
    """components never import tcenter."""
    return [f"{e.importer}:{e.line} imports {e.module}" for e in edges
            if _under(e.importer, "components") and _under(e.module, "tcenter")]


def _resolve(name: str, node: ast.ImportFrom, sources: dict[str, str]) -> str:
    if not node.level:
        return node.module or ""
    package = name if _is_package(name, sources) else name.rpartition(".")[0]
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def private_uses(sources: dict[str, str]) -> list[str]:
    """No module of the kit uses another module's _private name: neither imports one
    (`from m import _x`) nor reads one off an imported module of the kit (`m._x`)."""
    bad = []
    for name, source in sources.items():
        if not _under(name, *OWN_PACKAGES):
            continue
        tree = ast.parse(source)
        modules: dict[str, str] = {}  # local name -> a module of the kit
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in sources:
                        modules[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom):
                module = _resolve(name, node, sources)
                for alias in node.names:
                    if f"{module}.{alias.name}" in sources:
                        modules[alias.asname or alias.name] = f"{module}.{alias.name}"
                    elif alias.name.startswith("_") and not alias.name.startswith("__") and _under(module, *OWN_PACKAGES) \
                            and module != name:
                        bad.append(f"{name}:{node.lineno} imports {module}.{alias.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                    and node.attr.startswith("_") and not node.attr.startswith("__") and modules[node.value.id] != name:
                bad.append(f"{name}:{node.lineno} uses {modules[node.value.id]}.{node.attr}")
    return bad


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def cycles(edges: list[Import], prefix: str = "tcenter") -> list[list[str]]:
    """Strongly connected components of more than one module among PREFIX's modules."""
    nodes = sorted({e.importer for e in edges if _under(e.importer, prefix)})
    out: dict[str, set[str]] = {n: set() for n in nodes}
    for e in edges:
        if e.importer not in out or not _under(e.module, prefix):
            continue
        target = e.module
        while target not in out and "." in target:  # `from pkg import name`: the package
            target = target.rpartition(".")[0]
        # Importing a.b.c runs a/__init__ and a/b/__init__ first (those above the importer run already).
        for reached in [*_ancestors(target), target]:
            if reached in out and reached != e.importer and reached not in _ancestors(e.importer):
                out[e.importer].add(reached)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(out[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return found
