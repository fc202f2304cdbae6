"""Benchmark of `tcenter attest` on the dev plan against moto's server (a script, not a test).

    PYTHONPATH=. .venv/bin/python bench/bench_attest.py

Starts moto on 127.0.0.1 (free port), provisions what the dev plan declares (through boto3,
from the plan: tests/attest/provision.py), attests it, then does the same with the plan
doubled (every attested resource a second time under other names and ids, in one account).
Prints wall time, API calls, and calls per declared attested resource, and the growth.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tcenter.live import attest
from tcenter.live import read
from tcenter.plan.format import plan_stack
from tests.attest.provision import provision


def doubled(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan plus a renamed copy of each attested resource (its own names, tags and stand-in ids)."""
    copies = [r for r in plan["resources"] if r["type"] in read.ATTESTED_TYPES]
    text = json.dumps(copies)
    text = text.replace('"tc-', '"tc-dev-b-').replace("/dev/", "/dev-b/").replace("transparency-center dev:", "transparency-center dev-b:")
    text = re.sub(r"\b([a-z]{1,4})-([0-9a-f]{17})\b", lambda m: f"{m.group(1)}-{m.group(2)[::-1]}", text)
    text = re.sub(r"\b([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\b",
                  lambda m: m.group(0)[::-1], text)
    second = json.loads(text)
    for resource in second:
        resource["urn"] += "-b"
    return {**plan, "resources": plan["resources"] + second}


def measure(endpoint: str, plan: dict[str, Any]) -> dict[str, Any]:
    import boto3

    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10):
        pass
    provision(boto3.Session(region_name="eu-central-2"), plan)
    started = time.monotonic()
    report = attest.attest(plan, boto3.Session(region_name="eu-central-2"))
    seconds = time.monotonic() - started
    declared = len(attest.declared(plan).by_key)
    return {"declared": declared, "seconds": seconds, "calls": report.calls, "per_resource": report.calls / declared,
            "drift": len(report.drift)}


def main() -> int:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    plan = plan_stack("dev")
    account = next(r for r in plan["resources"] if r["type"] == "aws:iam/role:Role")["outputs"]["arn"].split(":")[4]
    os.environ.update({"MOTO_ACCOUNT_ID": account, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-central-2"})
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
        one = measure(os.environ["AWS_ENDPOINT_URL"], plan)
        two = measure(os.environ["AWS_ENDPOINT_URL"], doubled(plan))
    finally:
        server.stop()
    print(f"{'plan':10} {'declared':>8} {'wall s':>7} {'API calls':>9} {'calls/resource':>14} {'drift':>5}")
    for label, row in (("dev", one), ("dev x2", two)):
        print(f"{label:10} {row['declared']:8} {row['seconds']:7.2f} {row['calls']:9} {row['per_resource']:14.2f} {row['drift']:5}")
    print(f"growth when the plan doubles: calls x{two['calls'] / one['calls']:.2f}, wall time x{two['seconds'] / one['seconds']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
