"""Measures the intake broker's handler on this machine and derives the Lambda concurrency that
zurich-prod's clients need (docs/intake.md quotes its output).

Two harnesses, both in process, single thread:
  stub  DynamoDB and S3 are in-memory fakes that honour the broker's conditional writes: the
        handler's own cost (certificate subject, JSON, rule check, counter and claim calls, SigV4
        presigning, response), with no AWS emulation in the way;
  moto  the same requests against moto's DynamoDB and S3 (`mock_aws`), which adds moto's own
        request handling (no network): an upper bound, not Lambda's latency.

Lambda's duration is then estimated as: handler CPU time x (1,769 MB / the broker's memory; Lambda
gives a full vCPU at 1,769 MB and a share in proportion below it) + 2 DynamoDB round trips (the
counter and the claim) at --dynamodb-ms each. That latency is an assumption (DynamoDB answers in
single-digit milliseconds in-region); it cannot be measured here. Concurrency = peak requests/s x
duration (Little's law), compared with the stack's brokerMilliseconds and reserved concurrency.

    .venv/bin/python bench/bench_intake.py [--requests 20000] [--repeat 3] [--dynamodb-ms 5]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))
sys.path.insert(0, str(ROOT))

from intake_broker import handler  # noqa: E402

LAMBDA_FULL_VCPU_MB = 1769
"""Lambda allocates CPU in proportion to memory; 1,769 MB is one full vCPU (Lambda developer guide)."""


class ConditionFailed(Exception):
    response = {"Error": {"Code": "ConditionalCheckFailedException"}}


class StubDynamoDB:
    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def update_item(self, **kwargs: Any) -> dict:
        pk = kwargs["Key"]["pk"]["S"]
        item = self.items.setdefault(pk, {"n": 0})
        if item["n"] >= int(kwargs["ExpressionAttributeValues"][":limit"]["N"]):
            raise ConditionFailed()
        item["n"] += 1
        return {}

    def put_item(self, **kwargs: Any) -> dict:
        pk = kwargs["Item"]["pk"]["S"]
        if pk in self.items:
            raise ConditionFailed()
        self.items[pk] = kwargs["Item"]
        return {}


class StubS3:
    def __init__(self, bundle: bytes) -> None:
        self.bundle = bundle

    def get_object(self, **_: Any) -> dict:
        import io

        return {"Body": io.BytesIO(self.bundle)}


class Credentials:
    access_key, secret_key, token = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEXAMPLE" * 20


def _bundle() -> tuple[bytes, str]:
    from tcenter.intake import rules

    rule_set = rules.load(ROOT / "collection-rules" / "example.yaml")
    # the parts of a published bundle the broker reads (approvals and log proof are the products' to check)
    return json.dumps({"ruleSet": rules.as_document(rule_set), "digest": rules.digest(rule_set)}).encode(), \
        rules.digest(rule_set)


def _settings(**overrides: Any) -> handler.Settings:
    values = dict(customer_region="europe", aws_region="eu-central-2", bucket="tc-333333333333-zurich-prod-data-europe",
                  key_arn="arn:aws:kms:eu-central-2:333333333333:key/00000000-0000-0000-0000-000000000000",
                  table="tc-zurich-prod-data-europe-intake", rules_bucket="tc-333333333333-zurich-prod-intake",
                  min_bytes=1, max_bytes=33554432, url_seconds=300, per_client_per_hour=10**9,
                  rules_refresh_seconds=60, s3_endpoint="https://s3.eu-central-2.amazonaws.com")
    values.update(overrides)
    return handler.Settings(**values)


def _event(sha256: str, digest: str, client: int) -> dict:
    body = json.dumps({"sha256": sha256, "size": 123456, "ruleId": "pe-heuristic-dropper", "ruleSetDigest": digest})
    return {"httpMethod": "POST", "body": body, "isBase64Encoded": False, "requestContext": {"identity": {"clientCert": {
        "subjectDN": f"CN=client-{client},OU=europe", "issuerDN": "CN=Vendor Product CA",
        "validity": {"notBefore": "Jan  1 00:00:00 2025 GMT", "notAfter": "Jan  1 00:00:00 2045 GMT"}}}}}


def _hash(i: int) -> str:
    import hashlib

    return hashlib.sha256(i.to_bytes(8, "big")).hexdigest()


def run(broker: handler.Broker, digest: str, count: int, known: bool) -> float:
    """Seconds per request: `known` hashes answer 200 (the common case), new ones 201 with a presigned PUT."""
    events = [_event(_hash(i if known else 10**7 + i + int(time.time_ns() % 10**6) * 10**7), digest, i % 997)
              for i in range(count)]
    expected = 200 if known else 201
    start = time.perf_counter()
    for event in events:
        if broker.handle(event)["statusCode"] != expected:
            raise SystemExit(f"unexpected answer: {broker.handle(event)}")
    return (time.perf_counter() - start) / count


def stub_broker(bundle: bytes) -> tuple[handler.Broker, StubDynamoDB]:
    dynamodb = StubDynamoDB()
    return handler.Broker(_settings(), dynamodb, StubS3(bundle), lambda: Credentials()), dynamodb


def moto_broker(bundle: bytes) -> handler.Broker:
    import boto3

    session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                    region_name="eu-central-2")
    settings = _settings()
    s3, dynamodb = session.client("s3"), session.client("dynamodb")
    s3.create_bucket(Bucket=settings.rules_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-2"})
    s3.put_object(Bucket=settings.rules_bucket, Key=handler.RULES_KEY, Body=bundle)
    dynamodb.create_table(TableName=settings.table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return handler.Broker(settings, dynamodb, s3, session.get_credentials().get_frozen_credentials)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000, help="requests per stub run (moto runs a tenth)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dynamodb-ms", type=float, default=5.0, help="assumed DynamoDB round trip in Lambda")
    parser.add_argument("--stack", default="zurich-prod")
    args = parser.parse_args()

    bundle, digest = _bundle()
    results: dict[str, dict[str, float]] = {}
    for harness in ("stub", "moto"):
        count = args.requests if harness == "stub" else max(200, args.requests // 10)
        per = {"known": [], "upload": []}
        for _ in range(args.repeat):
            if harness == "stub":
                broker, dynamodb = stub_broker(bundle)
                for i in range(count):
                    dynamodb.items[f"sample#{_hash(i)}"] = {}
                per["known"].append(run(broker, digest, count, known=True))
                per["upload"].append(run(broker, digest, count, known=False))
            else:
                from moto import mock_aws

                with mock_aws():
                    broker = moto_broker(bundle)
                    per["upload"].append(run(broker, digest, count, known=False))
                    for i in range(count):  # claim the hashes the known run asks for
                        broker.handle(_event(_hash(i), digest, i % 997))
                    per["known"].append(run(broker, digest, count, known=True))
        results[harness] = {kind: statistics.median(values) for kind, values in per.items()}
        print(f"{harness:4}: {count} requests x {args.repeat}, median per request: already known "
              f"{results[harness]['known'] * 1000:.3f} ms ({1 / results[harness]['known']:,.0f}/s on one core), "
              f"new sample with presigned PUT {results[harness]['upload'] * 1000:.3f} ms "
              f"({1 / results[harness]['upload']:,.0f}/s)")

    from tcenter.intake.capacity import load_intake
    from components.intake_capacity import plan_capacity

    intake = load_intake(args.stack)
    plan = plan_capacity(intake)
    capacity = intake.capacity
    share = capacity.lookups_per_client_per_day + capacity.uploads_per_client_per_day
    upload_share = capacity.uploads_per_client_per_day / share
    cpu = results["stub"]["known"] * (1 - upload_share) + results["stub"]["upload"] * upload_share
    scale = LAMBDA_FULL_VCPU_MB / intake.broker.memory_mb
    duration = cpu * max(1.0, scale) + 2 * args.dynamodb_ms / 1000
    peak = plan.total_peak_requests_per_second
    needed = math.ceil(peak * duration)
    print(f"{args.stack}: {sum(capacity.clients.values()):,} clients, mean {plan.total_mean_requests_per_second:,.0f} "
          f"requests/s, peak {peak:,.0f}/s (x{capacity.peak_factor:g})")
    print(f"Lambda duration per request: {cpu * 1000:.3f} ms CPU here x {scale:.2f} ({intake.broker.memory_mb} MB of "
          f"{LAMBDA_FULL_VCPU_MB} MB per vCPU) + 2 x {args.dynamodb_ms:g} ms DynamoDB (assumed) = {duration * 1000:.1f} ms")
    print(f"Lambda concurrency at peak: {peak:,.0f}/s x {duration * 1000:.1f} ms = {needed:,} concurrent executions "
          f"(account default 1,000); the stack reserves {sum(r.reserved_concurrency for r in plan.regions):,} "
          f"from brokerMilliseconds {capacity.broker_milliseconds:g} x headroom {capacity.headroom:g}")
    if capacity.broker_milliseconds < duration * 1000:
        print(f"WARNING: brokerMilliseconds {capacity.broker_milliseconds:g} is below the estimate: raise it")
    cores = peak * cpu
    print(f"CPU at peak on this machine's cores: {cores:,.1f} cores of handler work ({cpu * 1000:.3f} ms x {peak:,.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
