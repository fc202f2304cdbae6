"""Benchmark of `tcenter plan` and `tcenter diff` on zurich-prod (a script, not a test).

    .venv/bin/python bench/bench_plan.py [--repeat 3]

Measures, each as the median of fresh interpreter runs, side by side in one run:
- floor: the interpreter importing pulumi and pulumi_aws, declaring nothing;
- bare: a program with no logic that registers the same resources (types, names,
  inputs, parents, as read from the prod plan) on the same mock engine, through the
  same typed pulumi_aws classes, with plain values;
- bare+wiring: the same, but each input that depends on another resource in the kit
  waits for that resource (an Output), so the program has the kit's dependency graph;
- `tcenter plan zurich-prod` (the kit: config validation, layout, components, templates);
- peak memory of the plan (ru_maxrss of the process, and tracemalloc's peak in a
  separate run, since tracing slows Python down);
- `tcenter diff` of two prod plans (the prod plan against one with a planted change), as a whole
  command: a security group rule (reachability), a role policy (effective access, layers), a tag;
- `tcenter diff --git A --git B -s zurich-prod` on a temporary clone of this checkout whose two
  commits differ in the program: cold (empty plan cache: both revisions planned, in parallel),
  warm (both read from the cache), and two revisions that differ in docs only ("no change",
  nothing planned);
- growth: prod with its build pools copied 1x, 5x and 10x (10x the builders) and with
  one or all six customer stores (six is the allow-list's maximum), in a temporary
  project outside stacks/; time per resource should stay flat.

Targets (issues 7 and 24): plan at most 1.2x the bare program with the same wiring; a diff of
two plan files under 0.5 s and a warm `--git` diff under 1.5 s as whole commands; linear growth.
The last lines print the four goals side by side.

Children run with Python's bytecode cache (in the run's temporary folder, PYTHONPYCACHEPREFIX),
as Python runs by default, even where PYTHONDONTWRITEBYTECODE is set: otherwise the kit's own
modules are compiled from source on every run and the bare programs have none to compile.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
STACK = "zurich-prod"

BARE_PROGRAM = '''
import importlib, json, pathlib, re
import pulumi
import pulumi_aws


def typed_class(token):
    """The pulumi_aws class of a type token (importing it, as the kit does), or None."""
    if not token.startswith("aws:"):
        return None
    module, kind = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[1]
    return getattr(importlib.import_module(f"pulumi_aws.{{module}}"), kind, None)


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\\1", name).lower()


fallbacks = 0
spec = json.loads(pathlib.Path(__file__).with_name("resources.json").read_text())
WIRED = {wired}
made = {{}}
for entry in spec:  # in registration order: dependencies first
    parent = made.get(entry["parent"])
    opts = pulumi.ResourceOptions(parent=parent, provider=made.get(entry["provider"]),
                                  protect=entry["protect"], retain_on_delete=entry["retain"])
    inputs = dict(entry["inputs"])
    if WIRED:  # the same values, flowing through the same dependency edges as in the kit
        for key, deps in entry["deps"].items():
            if key in inputs and all(d in made for d in deps):
                inputs[key] = pulumi.Output.all(*[made[d].urn for d in deps]).apply(lambda _, v=inputs[key]: v)
    if entry["kind"] == "provider":
        made[entry["urn"]] = pulumi.ProviderResource("aws", entry["name"], inputs, opts)
    elif entry["kind"] == "custom":
        cls = typed_class(entry["type"])
        try:  # the typed pulumi_aws class, like the kit: same argument translation
            made[entry["urn"]] = cls(entry["name"], opts=opts, **{{snake(k): v for k, v in inputs.items()}})
        except TypeError:  # an argument whose Python name is not the plain snake_case one
            fallbacks += 1
            made[entry["urn"]] = pulumi.CustomResource(entry["type"], entry["name"], inputs, opts)
    else:
        made[entry["urn"]] = pulumi.ComponentResource(entry["type"], entry["name"], None, opts)
pathlib.Path(__file__).with_name("fallbacks.txt").write_text(str(fallbacks))
'''

CHILD_PLAN = r'''
import resource, sys, time, json
trace = sys.argv[4] == "trace"
if trace:
    import tracemalloc
    tracemalloc.start()
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tcenter.plan.format import plan_stack, dumps
plan = plan_stack(sys.argv[3], project_dir=Path(sys.argv[2]))
text = dumps(plan)
if len(sys.argv) > 5:
    Path(sys.argv[5]).write_text(text)
out = {"resources": len(plan["resources"]), "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if trace:
    out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
print(json.dumps(out))
'''


CHILD_ENV = {**os.environ, "PYTHONPATH": ""}
CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)

CPU: list[float] = []
"""CPU seconds (user + system) of each child, in the order run: robust when other work
shares the machine, where wall time is not."""


def timed(cmd: list[str], cwd: Path = ROOT, env: dict | None = None, codes: tuple[int, ...] = (0,)) -> tuple[float, str]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**CHILD_ENV, **(env or {})})
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if run.returncode not in codes:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed:\n{run.stderr[-3000:]}")
    return elapsed, run.stdout


def median_time(cmd: list[str], repeat: int, cwd: Path = ROOT, env: dict | None = None,
                codes: tuple[int, ...] = (0,)) -> tuple[float, str]:
    results = [timed(cmd, cwd, env, codes) for _ in range(repeat)]
    return statistics.median(t for t, _ in results), results[-1][1]


def project_copy(folder: Path, stacks: dict[str, dict]) -> Path:
    """The kit's program with its own stacks/ (generated stacks never land in the repo)."""
    project = folder / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "components", "templates"):
        if (ROOT / name).exists():
            (project / name).symlink_to(ROOT / name)
    (project / "stacks").mkdir()
    for name, document in stacks.items():
        (project / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))
    return project


def plan_child(project: Path, stack: str, mode: str = "plain", save: Path | None = None) -> tuple[float, dict]:
    elapsed, out = timed([PY, "-c", CHILD_PLAN, str(ROOT), str(project), stack, mode, *([str(save)] if save else [])])
    info = json.loads(out.strip().splitlines()[-1])
    info["cpu"] = CPU[-1]
    return elapsed, info


def cpu_median(results: list[tuple[float, dict]]) -> float:
    return statistics.median(info["cpu"] for _, info in results)


def registration_order(plan: dict) -> list[dict]:
    """Parents and dependencies before dependants (a topological order of the plan)."""
    by_urn = {r["urn"]: r for r in plan["resources"]}
    done: set[str] = set()
    order: list[dict] = []

    def visit(urn: str) -> None:
        if urn in done or urn not in by_urn:
            return
        done.add(urn)
        r = by_urn[urn]
        for before in [r["parent"], r["provider"], *r["dependencies"],
                       *[d for deps in r["propertyDependencies"].values() for d in deps]]:
            visit(before)
        order.append(r)

    for urn in sorted(by_urn):
        visit(urn)
    return order


def bare_project(folder: Path, plan: dict, wired: bool) -> Path:
    project = folder / ("bare-wired" if wired else "bare")
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: transparency-center\nruntime: python\nstackConfigDir: stacks\n")
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text("config: {}\n")
    entries = []
    for r in registration_order(plan):
        kind = "provider" if r["type"].startswith("pulumi:providers:") else ("custom" if r["custom"] else "component")
        entries.append({"urn": r["urn"], "type": r["type"], "name": r["name"], "kind": kind,
                        "parent": r["parent"], "provider": r["provider"], "inputs": r["inputs"],
                        "protect": r["options"]["protect"], "retain": r["options"]["retainOnDelete"],
                        "deps": {k: v for k, v in r["propertyDependencies"].items() if v}})
    (project / "resources.json").write_text(json.dumps(entries))
    (project / "__main__.py").write_text(BARE_PROGRAM.format(wired=wired))
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-growth", action="store_true", help="leave out the growth runs")
    args = parser.parse_args()
    n = args.repeat
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"median of {n} runs each\n")
    goals: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="tcenter-bench-pyc-") as pyc:
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = pyc
        measure(n, args.no_growth, goals)
    print("\nthe goals, side by side (issue 24):")
    for label, value, goal in goals:
        print(f"  {label:58} {value:>22}   {goal}")


def measure(n: int, no_growth: bool, goals: list) -> None:
    timed([PY, "-c", "import pulumi, pulumi_aws, tcenter.plan.format"])  # fills the bytecode cache

    floor, _ = median_time([PY, "-c", "import pulumi, pulumi_aws"], n)
    floor_cpu = statistics.median(CPU[-n:])
    print("                                                          wall      cpu")
    print(f"floor  (import pulumi, pulumi_aws; declare nothing)   {floor:6.2f} s {floor_cpu:6.2f} s")

    with tempfile.TemporaryDirectory(prefix="tcenter-bench-") as tmp:
        tmp_path = Path(tmp)
        plan_file = tmp_path / "prod.json"
        plan_cli, _ = median_time([PY, "-m", "tcenter", "plan", STACK, "-o", str(plan_file)], n)
        plan = json.loads(plan_file.read_text())
        count = len(plan["resources"])
        bare = bare_project(tmp_path, plan, wired=False)
        wired = bare_project(tmp_path, plan, wired=True)
        bare_times, wired_times, kit_times = [], [], []
        for project in (bare, wired, ROOT):
            plan_child(project, STACK)  # fills the bytecode cache
        for _ in range(n):  # interleaved, so that load from elsewhere hits all three alike
            bare_times.append(plan_child(bare, STACK))
            wired_times.append(plan_child(wired, STACK))
            kit_times.append(plan_child(ROOT, STACK))
        bare_t = statistics.median(t for t, _ in bare_times)
        wired_t = statistics.median(t for t, _ in wired_times)
        kit_t = statistics.median(t for t, _ in kit_times)
        assert bare_times[0][1]["resources"] == wired_times[0][1]["resources"] == count, (bare_times[0][1], count)
        fallbacks = (bare / "fallbacks.txt").read_text()
        sys.path.insert(0, str(ROOT))
        from tcenter.analysis import diff as diff_module
        from tcenter.plan.format import load

        plan_child(wired, STACK, save=tmp_path / "bare.json")
        same = diff_module.diff_plans(load(plan_file), load(tmp_path / "bare.json"))
        print(f"  (the bare program declares what the kit declares: tcenter diff finds "
              f"{len(same.resources)} resource changes)")
        print(f"  (bare programs: {fallbacks} of {count} resources registered untyped: argument names differ)")
        bare_c, wired_c, kit_c = cpu_median(bare_times), cpu_median(wired_times), cpu_median(kit_times)
        print(f"bare   ({count} resources, plain values, no logic)      {bare_t:6.2f} s {bare_c:6.2f} s")
        print(f"bare+wiring (same values, same dependency edges)     {wired_t:6.2f} s {wired_c:6.2f} s")
        print(f"kit    (plan_stack('{STACK}'), {count} resources)   {kit_t:6.2f} s {kit_c:6.2f} s")
        goals.append(("kit / bare+wiring (planning zurich-prod)", f"{kit_t / wired_t:.2f}x wall, {kit_c / wired_c:.2f}x cpu",
                      "goal <= 1.2x"))
        print(f"  kit / bare+wiring: {kit_t / wired_t:.2f}x wall, {kit_c / wired_c:.2f}x cpu; "
              f"kit / bare: {kit_t / bare_t:.2f}x wall, {kit_c / bare_c:.2f}x cpu  (target <= 1.2x)")
        print(f"tcenter plan {STACK} -o FILE (whole CLI, median wall)  {plan_cli:6.2f} s, "
              f"{plan_cli - floor:.2f} s above the floor")
        print(f"  cpu above the floor: bare {1000 * (bare_c - floor_cpu) / count:.1f} ms/resource, "
              f"kit {1000 * (kit_c - floor_cpu) / count:.1f} ms/resource")

        _, traced = plan_child(ROOT, STACK, "trace")
        print(f"peak memory: {kit_times[0][1]['maxrss_mib']:.0f} MiB max RSS (bare: "
              f"{bare_times[0][1]['maxrss_mib']:.0f} MiB); tracemalloc peak {traced['tracemalloc_peak_mib']:.0f} MiB")

        diff_files(plan, plan_file, tmp_path, n, goals)
        git_diffs(tmp_path, n, goals)
        if no_growth:
            return

        # growth: more build pools (builders) and more stores, in a temporary project
        source = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{STACK}.yaml").read_text())
        stacks = {}
        pools = source["config"]["transparency-center:build"]["pools"]
        for stores in (1, 6):
            for factor in (1, 5, 10):
                document = copy.deepcopy(source)
                document["config"]["transparency-center:build"]["pools"] = [
                    {**pool, "name": f"{pool['name']}-{i}"} for i in range(factor) for pool in pools]
                regions = document["config"]["transparency-center:dataStores"]["customerRegions"]
                document["config"]["transparency-center:dataStores"]["customerRegions"] = regions[:stores]
                stacks[f"bench-s{stores}-p{factor}"] = document
        project = project_copy(tmp_path, stacks)
        print("\ngrowth (pools x builders, stores):  resources   wall     cpu   cpu ms/resource above the floor")
        rows = []
        for name in stacks:
            elapsed, info = plan_child(project, name)
            builders = sum(p["builders"] for p in stacks[name]["config"]["transparency-center:build"]["pools"])
            stores = len(stacks[name]["config"]["transparency-center:dataStores"]["customerRegions"])
            rows.append((info["resources"], info["cpu"]))
            print(f"  {builders:3d} builders, {stores} stores              {info['resources']:5d}   {elapsed:5.2f} s"
                  f" {info['cpu']:5.2f} s   {1000 * (info['cpu'] - floor_cpu) / info['resources']:5.1f}")
        xs, ys = [r for r, _ in rows], [t for _, t in rows]
        mean_x, mean_y = statistics.mean(xs), statistics.mean(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
        intercept = mean_y - slope * mean_x
        ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys))
        ss_tot = sum((y - mean_y) ** 2 for y in ys)
        print(f"  linear fit of cpu time: {intercept:.2f} s + {1000 * slope:.2f} ms x resources, "
              f"R^2 = {1 - ss_res / ss_tot:.3f}")


def _planted(plan: dict, change: str) -> dict:
    head = copy.deepcopy(plan)
    for r in head["resources"]:
        if change == "security group rule" and r["type"] == "aws:ec2/securityGroup:SecurityGroup":
            r["inputs"].setdefault("ingress", []).append({"protocol": "tcp", "fromPort": 22, "toPort": 22,
                                                          "cidrBlocks": ["0.0.0.0/0"]})
            break
        if change == "role policy" and r["type"] == "aws:iam/rolePolicy:RolePolicy":
            document = json.loads(r["inputs"]["policy"])
            document["Statement"].append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
            r["inputs"]["policy"] = json.dumps(document)
            break
        if change == "tag" and r["type"] == "aws:s3/bucket:Bucket":
            r["inputs"].setdefault("tags", {})["cost-center"] = "4711"
            break
    return head


def diff_files(plan: dict, plan_file: Path, tmp_path: Path, n: int, goals: list) -> None:
    """`tcenter diff BASE.json HEAD.json` of the prod plan and three planted changes, whole commands."""
    from tcenter.analysis import diff as diff_module
    from tcenter.plan.format import load
    from tcenter.render import diff_text

    worst = 0.0
    for change in ("security group rule", "role policy", "tag"):
        head_file = tmp_path / f"prod-{change.replace(' ', '-')}.json"
        head_file.write_text(json.dumps(_planted(plan, change)))
        start = time.perf_counter()
        result = diff_module.diff_plans(load(plan_file), load(head_file))
        diff_text.render_markdown(result)
        in_process = time.perf_counter() - start
        command = [PY, "-m", "tcenter", "diff", str(plan_file), str(head_file)]
        timed(command, codes=(1, 2))  # fills the bytecode cache and the IAM action lists' cache
        wall = median_time(command, n, codes=(1, 2))[0]
        cpu = statistics.median(CPU[-n:])
        worst = max(worst, wall)
        print(f"diff of two prod plans, {change:20}: {in_process:.3f} s in process; whole command "
              f"{wall:.3f} s wall, {cpu:.3f} s cpu (exit {result.exit_code})")
    goals.append(("tcenter diff A.json B.json (prod, slowest of three changes)", f"{worst:.3f} s", "goal < 0.5 s"))


def _clone(folder: Path) -> Path:
    """This checkout's tracked files as a repository of its own, with three commits: the kit, an
    AMI bump in zurich-prod's stack file (its builders are replaced), and a change to docs only."""
    root = folder / "clone"
    root.mkdir()
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes((ROOT / name).read_bytes())
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    stack_file = f"stacks/Pulumi.{STACK}.yaml"
    bumped = (root / stack_file).read_text(encoding="utf-8") if (root / stack_file).exists() else ""
    for path, text in ((None, None), (stack_file, bumped.replace("amiId: ami-0", "amiId: ami-1", 1)),
                       ("docs/bench-notes.md", "docs only\n")):
        if path:
            (root / path).write_text(text, encoding="utf-8")
        else:
            subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run([*git, "add", "-A"], cwd=root, check=True)
        subprocess.run([*git, "commit", "-qm", path or "the kit"], cwd=root, check=True)
    return root


def git_diffs(tmp_path: Path, n: int, goals: list) -> None:
    """`tcenter -C CLONE diff --git A --git B -s zurich-prod`: cold, warm, and docs-only."""
    clone = _clone(tmp_path)
    command = [PY, "-m", "tcenter", "-C", str(clone), "diff", "-s", STACK]
    cold, cold_cpu, warm = [], [], []
    for i in range(n):
        env = {"TCENTER_CACHE_DIR": str(tmp_path / f"cache-{i}")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cold.append(timed([*command, "--git", "HEAD~2", "--git", "HEAD~1"], env=env, codes=(0, 1, 2))[0])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cold_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        warm.append(timed([*command, "--git", "HEAD~2", "--git", "HEAD~1"], env=env, codes=(0, 1, 2))[0])
    warm_cpu = statistics.median(CPU[-2 * n + 1::2])
    same = median_time([*command, "--git", "HEAD~1", "--git", "HEAD"], n, env={"TCENTER_CACHE_DIR": str(tmp_path / "cache-same")})[0]
    print(f"diff --git (two revisions, stack file differs), cold: {statistics.median(cold):.2f} s wall, "
          f"{statistics.median(cold_cpu):.2f} s cpu (both planned, in parallel)")
    print(f"diff --git (the same two revisions), warm: {statistics.median(warm):.3f} s wall, {warm_cpu:.3f} s cpu "
          "(both plans from the cache)")
    print(f"diff --git (two revisions, docs differ only): {same:.3f} s wall (no change, nothing planned)")
    goals.append(("tcenter diff --git A --git B -s zurich-prod, warm", f"{statistics.median(warm):.3f} s", "goal < 1.5 s"))
    goals.append(("tcenter diff --git A --git B -s zurich-prod, cold", f"{statistics.median(cold):.2f} s", "(2 plans, parallel)"))


if __name__ == "__main__":
    main()
