"""The cell's job runner (templates/analysis/tc-cell-run.py), run as the cell runs it, against
moto's S3, EventBridge and SQS on 127.0.0.1 (a free port, started and stopped here), with the configuration
the kit writes into the dev stack's europe cell (components/analysis.py), byte for byte.

The world is built the way the center's is: the sample arrives through a presigned PUT carrying
the intake broker's signed headers (its collection rule as object metadata), and the job is the
S3 event the store sends EventBridge and the region's rule (as the plan declares it) delivers to
the region's queue."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from components.analysis import CELL_RUNNER, CELL_RUNNER_SCRIPT, cell_host_values, cell_profile
from tcenter.plan.engine import S3_PREFIX_LIST_STAND_IN
from tests import moto_server
from tests.hosts.roles import stack_config
from tests.intake.conftest import broker_module  # the intake broker's Lambda handler (functions/ on the path)

pytest.importorskip("moto.server", reason="moto[server] is a test dependency (pyproject.toml)")

REQUEST_BUDGET = 60
"""Requests a test may make of moto (its own set-up and one runner)."""
RUN_SECONDS = 60
EXE = b"MZ\x90\x00" + bytes(range(256)) * 8  # a PE header, then every byte value: entropy 8 bits past the header
RULE = "pe-droppers-2026"


def rendered_rule(bucket: str) -> dict[str, Any]:
    """The europe store's EventBridge rule as the dev plan declares it."""
    from tcenter.plan.format import plan_stack

    (rule,) = [r for r in plan_stack("dev")["resources"] if r["type"] == "aws:cloudwatch/eventRule:EventRule"
               and r["inputs"]["name"].endswith("-sample-events-europe")]
    assert bucket in rule["inputs"]["eventPattern"]
    return rule["inputs"]


def rendered_config(analyser: str | None = None) -> dict[str, Any]:
    """What /etc/tc-cell/cell.json holds on a dev europe cell: the file of the rendered profile."""
    config = stack_config("dev")
    plan = config.network_plan()
    values = cell_host_values("dev", config.access.account_id, "europe", config.analysis.served("europe"),
                              str(plan.zone("analysis").cidr), str(plan.supernet), list(S3_PREFIX_LIST_STAND_IN),
                              config.analysis.job_timeout_seconds, analyser)
    profile = cell_profile(values)
    (written,) = [f for f in profile.files if f.path == "/etc/tc-cell/cell.json"]
    (runner,) = [f for f in profile.files if f.path == CELL_RUNNER]
    assert runner.content == CELL_RUNNER_SCRIPT.read_text() and runner.mode == "0755"
    return json.loads(written.content)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    # the queue URLs the kit renders name the stack's account
    with moto_server.running({"MOTO_ACCOUNT_ID": stack_config("dev").access.account_id}) as endpoint:
        yield endpoint

class Cell:
    """One store, its queue fed by the store's samples/ notification, and a way to run the runner."""

    def __init__(self, endpoint: str, tmp: Path) -> None:
        import boto3
        from botocore.config import Config

        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
                    "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        self.calls = 0
        settings = Config(region_name="eu-central-2", connect_timeout=5, read_timeout=10, retries={"max_attempts": 1})
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-central-2")
        session.events.register("before-call", self._count)
        self.s3 = session.client("s3", endpoint_url=endpoint, config=settings)
        self.sqs = session.client("sqs", endpoint_url=endpoint, config=settings)
        self.config = rendered_config()
        self.bucket = self.config["buckets"][0]
        self.queue_url = self.sqs.create_queue(QueueName=self.config["queues"][0].rsplit("/", 1)[1],
                                               Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-2"})
        # As declared: the store sends its events to EventBridge; the region's rule feeds the job queue.
        self.s3.put_bucket_notification_configuration(Bucket=self.bucket, NotificationConfiguration={
            "EventBridgeConfiguration": {}})
        self.events = session.client("events", endpoint_url=endpoint, config=settings)
        rule = rendered_rule(self.bucket)
        self.events.put_rule(Name=rule["name"], EventPattern=rule["eventPattern"])
        self.events.put_targets(Rule=rule["name"], Targets=[{"Id": "jobs", "Arn": queue_arn}])  # the provider names it
        self.tmp = tmp

    def _count(self, **_: Any) -> None:
        self.calls += 1
        assert self.calls <= REQUEST_BUDGET, "request budget exceeded"

    def collect(self, content: bytes, rule: str = RULE, key: str | None = None) -> str:
        """A sample uploaded as the intake's presigned PUT uploads it (its collection rule as metadata)."""
        sha256 = hashlib.sha256(content).hexdigest()
        self.s3.put_object(Bucket=self.bucket, Key=key or f"samples/{sha256}", Body=content,
                           Metadata={broker_module.COLLECTION_RULE_METADATA: rule})
        return sha256

    def run(self, config: dict[str, Any] | None = None, wait: int = 2) -> subprocess.CompletedProcess[str]:
        path = self.tmp / "cell.json"
        path.write_text(json.dumps(config or self.config))
        work = self.tmp / "work"
        work.mkdir(exist_ok=True)
        return subprocess.run([sys.executable, str(CELL_RUNNER_SCRIPT), "--config", str(path), "--one-job",
                               "--wait-seconds", str(wait), "--workdir", str(work)],
                              env=self.env, capture_output=True, text=True, timeout=RUN_SECONDS, check=False)

    def verdict(self, sha256: str) -> dict[str, Any] | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=f"verdicts/{sha256}.json")["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return json.loads(body)

    def waiting(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def keys(self) -> list[str]:
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []))


@pytest.fixture
def cell(moto_endpoint: str, tmp_path: Path) -> Cell:
    with urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=10):
        pass
    return Cell(moto_endpoint, tmp_path)


def events(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_one_job_one_verdict_then_the_queue_is_empty(cell: Cell) -> None:
    sha256 = cell.collect(EXE)
    result = cell.run()
    assert result.returncode == 0, result.stderr
    verdict = cell.verdict(sha256)
    assert verdict is not None, result.stdout
    assert verdict["sample-sha256"] == hashlib.sha256(EXE).hexdigest()
    assert verdict["collection-rule"] == RULE
    assert verdict["result"] == "unknown" and verdict["analyser-version"].startswith("tc-cell-run static-triage")
    assert verdict["details"]["type"] == "pe" and verdict["details"]["size"] == len(EXE)
    assert 7.5 < verdict["details"]["entropy"] <= 8.0
    assert set(cell.config["verdict-fields"]) <= set(verdict)
    assert cell.waiting() == 0
    assert cell.keys() == [f"samples/{sha256}", f"verdicts/{sha256}.json"]
    assert list((cell.tmp / "work").iterdir()) == [], "the sample stays on the cell no longer than the job"


def test_the_images_analyser_decides_the_result(cell: Cell) -> None:
    analyser = cell.tmp / "engine"
    analyser.write_text("#!/bin/sh\n[ -s \"$1\" ] && echo '{\"result\": \"malicious\", \"version\": \"engine 7.1\"}'\n")
    analyser.chmod(0o755)
    sha256 = cell.collect(EXE)
    result = cell.run({**cell.config, "analyser": str(analyser)})
    assert result.returncode == 0, result.stderr
    assert {k: cell.verdict(sha256)[k] for k in ("result", "analyser-version")} == {  # type: ignore[index]
        "result": "malicious", "analyser-version": "engine 7.1"}


def test_an_analyser_without_a_verdict_leaves_the_job_for_a_fresh_cell(cell: Cell) -> None:
    analyser = cell.tmp / "broken"
    analyser.write_text("#!/bin/sh\necho 'Segmentation fault'\nexit 139\n")
    analyser.chmod(0o755)
    sha256 = cell.collect(EXE)
    result = cell.run({**cell.config, "analyser": str(analyser)})
    assert result.returncode == 5 and "analyser" in result.stderr and len(result.stderr.splitlines()) == 1
    assert cell.verdict(sha256) is None
    assert cell.waiting() == 1, "the message is not deleted: it reappears after the visibility timeout"


def test_a_verdict_is_never_rewritten(cell: Cell) -> None:
    sha256 = cell.collect(EXE)
    cell.s3.put_object(Bucket=cell.bucket, Key=f"verdicts/{sha256}.json", Body=b'{"result": "clean"}')
    result = cell.run()
    assert result.returncode == 0, result.stderr
    assert cell.verdict(sha256) == {"result": "clean"}
    assert [e["event"] for e in events(result)] == ["verdict-exists"]
    assert cell.waiting() == 0


@pytest.mark.parametrize("change, reason", [
    ({"bucket": "another-customers-store"}, "not a store this cell serves"),
    ({"key": "verdicts/" + "a" * 64}, "is not samples/<sha256>"),
    ({"key": "samples/../verdicts/" + "a" * 64}, "is not samples/<sha256>"),
    ({"detail-type": "Object Deleted"}, "not an S3 'Object Created' event"),
    ({"source": "tc.forged"}, "not an S3 'Object Created' event"),
])
def test_a_message_that_is_not_a_served_sample_is_refused_and_read_nothing(cell: Cell, change: dict[str, str],
                                                                            reason: str) -> None:
    sha256 = cell.collect(EXE)
    (message,) = cell.sqs.receive_message(QueueUrl=cell.queue_url, MaxNumberOfMessages=1)["Messages"]
    cell.sqs.delete_message(QueueUrl=cell.queue_url, ReceiptHandle=message["ReceiptHandle"])
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]["object"]["key"]) == (
        "aws.s3", "Object Created", f"samples/{sha256}"), "the store's event, through its rule"
    event["source"] = change.get("source", event["source"])
    event["detail-type"] = change.get("detail-type", event["detail-type"])
    event["detail"]["bucket"]["name"] = change.get("bucket", cell.bucket)
    event["detail"]["object"]["key"] = change.get("key", f"samples/{sha256}")
    cell.sqs.send_message(QueueUrl=cell.queue_url, MessageBody=json.dumps(event))
    result = cell.run()
    assert result.returncode == 4, (result.stdout, result.stderr)
    (refused,) = events(result)
    assert refused["event"] == "refused" and reason in refused["reason"]
    assert cell.keys() == [f"samples/{sha256}"], "no verdict, no other object"
    assert cell.waiting() == 0, "a refused message is deleted, never retried"


def test_an_object_outside_samples_makes_no_job(cell: Cell) -> None:
    cell.s3.put_object(Bucket=cell.bucket, Key="ingest/record.json", Body=b"{}")
    assert cell.waiting() == 0, "the rule passes samples/ only"


def test_content_that_does_not_match_its_name_gets_no_verdict(cell: Cell) -> None:
    named = hashlib.sha256(b"what the client declared").hexdigest()
    cell.collect(EXE, key=f"samples/{named}")
    result = cell.run()
    assert result.returncode == 4
    assert "SHA-256" in events(result)[0]["reason"]
    assert cell.verdict(named) is None


def test_no_job_no_work(cell: Cell) -> None:
    result = cell.run(wait=1)
    assert result.returncode == 0 and [e["event"] for e in events(result)] == ["no-job"]


def test_a_config_without_its_queues_is_one_line_exit_3(cell: Cell) -> None:
    config = {k: v for k, v in cell.config.items() if k != "queues"}
    result = cell.run(config)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "'queues' is missing" in result.stderr and "Traceback" not in result.stderr
