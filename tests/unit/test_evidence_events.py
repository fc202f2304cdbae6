"""Reads of the evidence and of customer data tables are in the trail: an event is recorded
when some advanced event selector's every field selector matches it (CloudTrail semantics:
selectors are ORed, field selectors within one are ANDed)."""

from __future__ import annotations

import pytest

PROD = "zurich-prod"


def _field_matches(selector: dict, event: dict) -> bool:
    value = event.get(selector["field"])
    if value is None:
        return False
    if "equals" in selector:
        return value in selector["equals"]
    if "startsWiths" in selector:
        return any(value.startswith(prefix) for prefix in selector["startsWiths"])
    raise AssertionError(f"evaluator does not know {sorted(selector)}")


def recorded(trail, event: dict) -> bool:
    return any(all(_field_matches(f, event) for f in s["fieldSelectors"]) for s in trail.inputs["advancedEventSelectors"])


def _trail(run):
    (trail,) = [t for t in run.by_type("aws:cloudtrail/trail:Trail") if t.inputs["name"].endswith("-audit-trail")]
    return trail


def test_every_customer_data_table_read_is_recorded(declared):
    run = declared(PROD)
    tables = run.by_type("aws:dynamodb/table:Table")
    assert tables
    for table in tables:
        event = {"eventCategory": "Data", "resources.type": "AWS::DynamoDB::Table", "resources.ARN": table.outputs["arn"],
                 "readOnly": "true"}
        assert recorded(_trail(run), event), table.name


@pytest.mark.parametrize("bucket_suffix", ["-audit-archive", "-access-logs"])
def test_reads_of_the_evidence_buckets_are_recorded(declared, bucket_suffix):
    run = declared(PROD)
    (bucket,) = [b for b in run.by_type("aws:s3/bucket:Bucket") if b.inputs["bucket"].endswith(bucket_suffix)]
    event = {"eventCategory": "Data", "resources.type": "AWS::S3::Object", "readOnly": "true",
             "resources.ARN": f"{bucket.outputs['arn']}/session-logs/reviewer/any-transcript.log"}
    assert recorded(_trail(run), event)
