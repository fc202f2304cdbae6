"""Benchmark of `tcenter attest` against moto's server (a script, not a test).

    PYTHONPATH=. .venv/bin/python bench/bench_attest.py [--repeat N]

Starts moto on 127.0.0.1 (free port), and for dev and zurich-prod: provisions the account as
`pulumi up` leaves it (tests/attest/provision.py: from the plan, moto's ids in every document),
attests it N times (default 3), and prints the wall time (best and median), the API calls, the
declared resources attest compares and the calls per declared resource (goal: at most 2), and
the drift found (0 on these clean accounts). The APIs moto lacks answer 500 at once (attest
reports them as unsupported); on AWS they are a handful more calls.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tcenter.live import attest  # noqa: E402
from tcenter.plan.format import plan_stack  # noqa: E402
from tests.attest.provision import plan_account, provision  # noqa: E402

GOAL_CALLS_PER_RESOURCE = 2.0


def measure(endpoint: str, plan: dict[str, Any], repeat: int) -> dict[str, Any]:
    import boto3

    os.environ["MOTO_ACCOUNT_ID"] = plan_account(plan)  # moto's server (in this process) reads it per request
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10):
        pass
    provision(boto3.Session(region_name="eu-central-2"), plan)
    times, report, entries = [], None, []
    for _ in range(repeat):
        started = time.monotonic()
        report, entries, _ = attest.run(plan, boto3.Session(region_name="eu-central-2"))
        times.append(time.monotonic() - started)
    declared = sum(1 for e in entries if e.live is not None)
    return {"declared": declared, "best": min(times), "median": statistics.median(times), "calls": report.calls,
            "per_resource": report.calls / declared, "drift": len(report.drift), "unsupported": len(report.of("unsupported"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    from tests.attest import moto_fixes

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    plans = {stack: plan_stack(stack) for stack in ("dev", "zurich-prod")}
    os.environ.update({"MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "eu-central-2"})
    moto_fixes.apply()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
        rows = {stack: measure(os.environ["AWS_ENDPOINT_URL"], plan, args.repeat) for stack, plan in plans.items()}
    finally:
        server.stop()
    print(f"{'stack':12} {'declared':>8} {'API calls':>9} {'calls/resource':>14} {'best s':>7} {'median s':>8} {'drift':>5} {'unsupported':>11}")
    for stack, row in rows.items():
        print(f"{stack:12} {row['declared']:8} {row['calls']:9} {row['per_resource']:14.2f} {row['best']:7.2f} "
              f"{row['median']:8.2f} {row['drift']:5} {row['unsupported']:11}")
    dev, prod = rows["dev"], rows["zurich-prod"]
    print(f"zurich-prod on moto: {prod['median']:.2f} s wall (median of {args.repeat}), "
          f"{prod['per_resource']:.2f} API calls per declared resource (goal <= {GOAL_CALLS_PER_RESOURCE:g})")
    print(f"growth dev -> zurich-prod: resources x{prod['declared'] / dev['declared']:.2f}, calls x{prod['calls'] / dev['calls']:.2f}, "
          f"time x{prod['median'] / dev['median']:.2f}")
    return 0 if max(r["per_resource"] for r in rows.values()) <= GOAL_CALLS_PER_RESOURCE else 1


if __name__ == "__main__":
    sys.exit(main())
