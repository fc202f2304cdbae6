"""Times `tcenter access zurich-prod` and a diff of two prod plans: in process and as whole commands."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tcenter.plan.workspace import Workspace
from tcenter.analysis.access import effective_access
from tcenter.analysis.diff import diff_plans
from tcenter.plan.format import dumps


def main() -> int:
    plan = Workspace().plan("zurich-prod")
    head = json.loads(dumps(plan))
    for group in head["resources"]:
        if group["type"] == "aws:cloudwatch/logGroup:LogGroup":
            group["inputs"]["retentionInDays"] = 365
    effective_access(plan)  # warm the action expansion cache, as a long-running process would be
    start = time.perf_counter()
    effective_access(plan)
    access_s = time.perf_counter() - start
    start = time.perf_counter()
    diff_plans(plan, head)
    diff_s = time.perf_counter() - start
    print(f"in process: access zurich-prod {access_s:.3f} s; diff of two prod plans (access + reach) {diff_s:.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        base_file, head_file = Path(tmp) / "base.json", Path(tmp) / "head.json"
        base_file.write_text(dumps(plan))
        head_file.write_text(json.dumps(head))
        for name, argv in (("access", ["access", str(base_file)]), ("diff", ["diff", str(base_file), str(head_file)])):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tcenter", *argv], capture_output=True)
            print(f"whole command: tcenter {name} (plan files) {time.perf_counter() - start:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
