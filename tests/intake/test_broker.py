"""The broker's handler on its own (functions/intake_broker/handler.py): every refusal is JSON with
a stable code and an HTTP status; the things moto cannot make happen (throttling, an unreadable
rule set) are played by fakes that raise what botocore raises."""

from __future__ import annotations

import datetime
import io
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from intake_broker import handler
from tcenter.intake import rules
from tests.intake.conftest import RULE_SET_PATH, gateway_event

RULE_SET = rules.load(RULE_SET_PATH)
BUNDLE = {"ruleSet": rules.as_document(RULE_SET), "digest": rules.digest(RULE_SET)}
"""The parts of a published bundle the broker reads (the rest is the products' to check)."""
SETTINGS = handler.Settings(customer_region="europe", aws_region="eu-central-2", bucket="tc-1-dev-data-europe",
                            key_arn="arn:aws:kms:eu-central-2:111111111111:key/k", table="tc-dev-data-europe-intake",
                            rules_bucket="tc-1-dev-intake", min_bytes=1, max_bytes=4096, url_seconds=300,
                            per_client_per_hour=60, rules_refresh_seconds=60,
                            s3_endpoint="https://s3.eu-central-2.amazonaws.com")


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Op")


class FakeS3:
    def __init__(self, bundle: dict | None = BUNDLE, fail: str | None = None):
        self.bundle, self.fail, self.reads = bundle, fail, 0

    def get_object(self, Bucket: str, Key: str) -> dict:
        self.reads += 1
        assert (Bucket, Key) == (SETTINGS.rules_bucket, handler.RULES_KEY), "the broker reads only the approved set"
        if self.fail:
            raise error(self.fail)
        if self.bundle is None:
            raise error("NoSuchKey")
        return {"Body": io.BytesIO(json.dumps(self.bundle).encode())}


class FakeDynamoDB:
    def __init__(self, put_error: str | None = None, update_error: str | None = None):
        self.put_error, self.update_error, self.calls = put_error, update_error, []

    def put_item(self, **kwargs: Any) -> dict:
        self.calls.append(("put_item", kwargs))
        assert kwargs["ReturnValues"] == "NONE"
        if self.put_error:
            raise error(self.put_error)
        return {}

    def update_item(self, **kwargs: Any) -> dict:
        self.calls.append(("update_item", kwargs))
        assert kwargs["ReturnValues"] == "NONE"
        if self.update_error:
            raise error(self.update_error)
        return {}

    def __getattr__(self, name: str):
        raise AssertionError(f"the broker called dynamodb.{name}: it reads nothing")


class Creds:
    access_key, secret_key, token = "AKIDEXAMPLE", "secret", "session-token"


NOW = float(int(time.time()))


def broker(s3=None, dynamodb=None, now: float = NOW) -> handler.Broker:
    return handler.Broker(SETTINGS, dynamodb or FakeDynamoDB(), s3 or FakeS3(), lambda: Creds(), clock=lambda: now)


@pytest.fixture(scope="module")
def cert(pki):
    return pki.client("client-7", "europe")[0]


def body(**changes: Any) -> dict:
    return {"sha256": "ab" * 32, "size": 100, "ruleId": "pe-heuristic-dropper", "ruleSetDigest": rules.digest(RULE_SET),
            **changes}


def answer(b: handler.Broker, event: dict) -> tuple[int, dict, dict]:
    response = b.handle(event)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"]), response["headers"]


@pytest.mark.parametrize("change, status, code", [
    ({"sha256": "AB" * 32}, 400, "bad-sha256"),
    ({"sha256": "ab" * 31}, 400, "bad-sha256"),
    ({"size": -1}, 400, "bad-size"),
    ({"size": True}, 400, "bad-size"),
    ({"size": 0}, 413, "size-out-of-range"),
    ({"size": 4097}, 413, "size-out-of-range"),
    ({"ruleId": ""}, 400, "no-rule"),
    ({"ruleSetDigest": "md5:x"}, 400, "no-rule-set"),
])
def test_bad_requests_are_refused_with_a_code(cert, change, status, code):
    got, payload, _ = answer(broker(), gateway_event(body(**change), cert))
    assert (got, payload["error"]["code"]) == (status, code) and payload["error"]["message"]


def test_the_request_must_be_a_post_of_exactly_four_fields(cert):
    assert answer(broker(), gateway_event(body(), cert, method="GET"))[0] == 405
    assert answer(broker(), gateway_event("not json", cert))[1]["error"]["code"] == "bad-request"
    assert answer(broker(), gateway_event({**body(), "path": "C:/x"}, cert))[1]["error"]["code"] == "bad-request"


def test_throttled_dynamodb_is_a_503_with_retry_after(cert):
    got, payload, headers = answer(broker(dynamodb=FakeDynamoDB(put_error="ProvisionedThroughputExceededException")),
                                   gateway_event(body(), cert))
    assert (got, payload["error"]["code"], headers["Retry-After"]) == (503, "busy", "5")


def test_a_rule_set_that_cannot_be_read_is_a_503_then_the_last_one_serves(cert):
    assert answer(broker(s3=FakeS3(fail="AccessDenied")), gateway_event(body(), cert))[0] == 503
    s3 = FakeS3()
    b = handler.Broker(SETTINGS, FakeDynamoDB(), s3, lambda: Creds(), clock=lambda: clock[0])
    clock = [NOW]
    assert answer(b, gateway_event(body(), cert))[0] == 201
    s3.fail = "SlowDown"
    clock[0] += 61
    assert answer(b, gateway_event(body(sha256="cd" * 32), cert))[0] == 201, "keeps the last verified set"
    clock[0] += 700
    assert answer(b, gateway_event(body(sha256="ef" * 32), cert))[0] == 503, "but not for ever"
    assert s3.reads == 3


def test_a_tampered_published_bundle_is_not_honoured(cert):
    tampered = json.loads(json.dumps(BUNDLE))
    tampered["ruleSet"]["rules"][0]["maxBytes"] = 10**9
    assert answer(broker(s3=FakeS3(tampered)), gateway_event(body(), cert))[1]["error"]["code"] == "rules-unavailable"


def test_the_presigned_url_is_virtual_hosted_in_zurich(cert):
    got, payload, _ = answer(broker(), gateway_event(body(), cert))
    assert got == 201
    assert payload["upload"]["url"].startswith(f"https://{SETTINGS.bucket}.s3.eu-central-2.amazonaws.com/samples/{'ab' * 32}?")
    assert "X-Amz-Security-Token=session-token" in payload["upload"]["url"]
    expires = datetime.datetime.fromtimestamp(NOW + 300, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert payload["upload"]["expiresAt"] == expires


def test_the_claim_and_the_counter_are_the_only_writes(cert):
    dynamodb = FakeDynamoDB()
    answer(broker(dynamodb=dynamodb), gateway_event(body(), cert))
    (first, counter), (second, claim) = dynamodb.calls
    assert (first, second) == ("update_item", "put_item")
    assert counter["Key"]["pk"]["S"].startswith("client#client-7#")
    assert claim["Item"]["pk"]["S"] == f"sample#{'ab' * 32}" and "client" not in json.dumps(claim["Item"])


@pytest.mark.parametrize("dn, expected", [
    ("CN=client-1,OU=europe,O=Vendor", {"CN": ["client-1"], "OU": ["europe"], "O": ["Vendor"]}),
    ("CN = client-1 , OU = japan", {"CN": ["client-1"], "OU": ["japan"]}),
    (r"CN=a\,b,OU=europe", {"CN": ["a,b"], "OU": ["europe"]}),
    ("OU=europe+CN=c", {"OU": ["europe"], "CN": ["c"]}),
])
def test_subjects_are_parsed_as_rfc4514(dn, expected):
    assert handler.parse_subject(dn) == expected


def test_a_subject_without_one_region_is_refused(pki):
    from tests.intake.conftest import cert_time

    cert = pki.client("client-8", "europe")[0]
    event = gateway_event(body(), cert)
    for dn in ("CN=client-8", "CN=client-8,OU=europe,OU=japan", "OU=europe", "CN=bad id!,OU=europe"):
        event["requestContext"]["identity"]["clientCert"]["subjectDN"] = dn
        assert answer(broker(), event)[1]["error"]["code"] == "bad-client-certificate", dn
    assert cert_time(cert.not_valid_after_utc)


def test_notices_of_other_buckets_or_keys_change_nothing():
    dynamodb = FakeDynamoDB()
    b = broker(dynamodb=dynamodb)
    for bucket, key in (("another-bucket", f"samples/{'ab' * 32}"), (SETTINGS.bucket, "ingest/x"),
                        (SETTINGS.bucket, "samples/not-a-hash")):
        assert b.handle({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                      "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}) is None
    assert dynamodb.calls == []


def test_settings_come_from_the_functions_environment():
    env = {"CUSTOMER_REGION": "japan", "SAMPLES_BUCKET": "b", "SAMPLES_KEY_ARN": "k", "INTAKE_TABLE": "t",
           "RULES_BUCKET": "r", "MIN_BYTES": "1", "MAX_BYTES": "9", "URL_SECONDS": "300", "PER_CLIENT_PER_HOUR": "60",
           "RULES_REFRESH_SECONDS": "60", "AWS_REGION": "eu-central-2"}
    settings = handler.Settings.from_environment(env)
    assert (settings.customer_region, settings.max_bytes, settings.s3_endpoint) == \
        ("japan", 9, "https://s3.eu-central-2.amazonaws.com")
