"""End to end against moto's server: a product's reference client hashes a file, asks its region's
broker (the Lambda handler, with the event API Gateway sends after mutual TLS), uploads with the
presigned PUT, and the sample lands in its region's store under that region's key; the next
client with the same file is told "already have it" and uploads nothing. Then every refusal.

Where moto is lenient (it authenticates no presigned request, ignores X-Amz-Expires, stores a
declared x-amz-checksum-sha256 without comparing it, evaluates no bucket policy), the test runs
S3's documented checks first (tests/intake/s3_strict.py) and evaluates the real bucket policy
of the plan (test_store_policy.py). moto does enforce `If-None-Match: *` (412) and Object Lock's
checksum requirement, and those checks here are moto's own.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tcenter.core.errors import ExitCode, VerificationFailed
from tcenter.intake import bundle as bundles
from tcenter.intake import approval, publish, rules
from tcenter.intake.client import IntakeClient, sha256_file
from tests.intake import s3_strict
from tests.intake.conftest import (
    MAX_BYTES, RULES_BUCKET, URL_SECONDS, approvals_by, gateway_event, needs_ssh_keygen, signed_bundle,
    stored_notice, transport,
)

pytestmark = needs_ssh_keygen

DETECTION = "HEUR:Trojan-Dropper.Win32.Generic"


def pe_file(directory: Path, name: str = "dropper.exe", size: int = 700, seed: bytes = b"a") -> Path:
    path = directory / name
    body = b"MZ" + hashlib.sha256(seed).digest() * ((size // 32) + 1)
    path.write_bytes(body[:size])
    return path


def client_for(world, trust, bundle, cert, region: str = "europe") -> IntakeClient:
    return IntakeClient(bundle, trust, send=transport(world.brokers[region], cert), upload=world.upload)


def test_sample_lands_in_its_regions_store_under_its_key_and_the_second_client_uploads_nothing(
        world, pki, trust, approved_bundle, tmp_path):
    sample = pe_file(tmp_path)
    first = client_for(world, trust, approved_bundle, pki.client("client-0001", "europe")[0])
    outcome = first.offer(sample, DETECTION, host_path="C:/Users/a/Downloads/dropper.exe")
    assert outcome.status == "uploaded", outcome
    sha256 = hashlib.sha256(sample.read_bytes()).hexdigest()
    assert outcome.sha256 == sha256 == sha256_file(sample)

    s3 = world.client("s3")
    head = s3.head_object(Bucket=world.buckets["europe"], Key=f"samples/{sha256}")
    assert head["ContentLength"] == sample.stat().st_size
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == world.keys["europe"] != world.keys["japan"]
    body = s3.get_object(Bucket=world.buckets["europe"], Key=f"samples/{sha256}")["Body"].read()
    assert body == sample.read_bytes()
    assert s3.list_objects_v2(Bucket=world.buckets["japan"]).get("KeyCount", 0) == 0, "nothing in another region's store"

    assert world.brokers["europe"].handle(stored_notice(world, "europe", sha256, len(body))) is None  # S3's notice
    item = world.client("dynamodb").get_item(TableName=world.tables["europe"], Key={"pk": {"S": f"sample#{sha256}"}})
    assert item["Item"]["state"] == {"S": "stored"} and "claimExpiresAt" not in item["Item"]
    assert head["Metadata"] == {"collection-rule": item["Item"]["ruleId"]["S"]}, "the cells read the rule from the sample"

    uploads = len(world.puts)
    second = client_for(world, trust, approved_bundle, pki.client("client-0002", "europe")[0])
    again = second.offer(sample, DETECTION, host_path="C:/Users/b/Downloads/copy.exe")
    assert again.status == "known" and again.http_status == 200
    assert len(world.puts) == uploads, "the second client uploaded nothing"


def test_presigned_put_is_exactly_one_key_size_checksum_key_and_expiry(world, pki, approved_bundle, tmp_path):
    sample = pe_file(tmp_path)
    sha256 = hashlib.sha256(sample.read_bytes()).hexdigest()
    cert = pki.client("client-0003", "europe")[0]
    response = world.brokers["europe"].handle(gateway_event(
        {"sha256": sha256, "size": sample.stat().st_size, "ruleId": "pe-heuristic-dropper",
         "ruleSetDigest": approved_bundle["digest"]}, cert))
    assert response["statusCode"] == 201
    upload = json.loads(response["body"])["upload"]
    url = urlsplit(upload["url"])
    query = dict(parse_qsl(url.query))
    assert url.path == f"/{world.buckets['europe']}/samples/{sha256}"
    assert int(query["X-Amz-Expires"]) <= 300
    signed = set(query["X-Amz-SignedHeaders"].split(";"))
    assert {"content-length", "if-none-match", "x-amz-checksum-sha256", "x-amz-server-side-encryption",
            "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-meta-collection-rule", "host"} <= signed
    assert upload["headers"]["Content-Length"] == str(sample.stat().st_size)
    assert upload["headers"]["If-None-Match"] == "*"
    assert upload["headers"]["x-amz-meta-collection-rule"] == "pe-heuristic-dropper"
    assert base64.b64decode(upload["headers"]["x-amz-checksum-sha256"]).hex() == sha256
    assert upload["headers"]["x-amz-server-side-encryption-aws-kms-key-id"] == world.keys["europe"]


# --- refused, each with its own test --------------------------------------------------------------

def _ask(world, cert, body: dict, region: str = "europe") -> tuple[int, dict]:
    response = world.brokers[region].handle(gateway_event(body, cert, region_path=region))
    return response["statusCode"], json.loads(response["body"])


def _request(sample: Path, bundle: dict, rule: str = "pe-heuristic-dropper", **override) -> dict:
    return {"sha256": hashlib.sha256(sample.read_bytes()).hexdigest(), "size": sample.stat().st_size,
            "ruleId": rule, "ruleSetDigest": bundle["digest"], **override}


def test_refused_a_client_of_another_region(world, pki, approved_bundle, tmp_path):
    japan_client = pki.client("client-jp-1", "japan")[0]
    status, body = _ask(world, japan_client, _request(pe_file(tmp_path), approved_bundle), region="europe")
    assert (status, body["error"]["code"]) == (403, "wrong-region")


def test_refused_an_upload_under_another_regions_key(world, pki, approved_bundle, tmp_path):
    sample = pe_file(tmp_path)
    status, body = _ask(world, pki.client("client-0004", "europe")[0], _request(sample, approved_bundle))
    assert status == 201
    upload = body["upload"]
    headers = {**upload["headers"], "x-amz-server-side-encryption-aws-kms-key-id": world.keys["japan"]}
    assert world.upload(upload["url"], headers, sample) == 403
    refused = s3_strict.refusal(upload["url"], headers, sample.read_bytes(), world.credentials(), world.clock[0])
    assert refused.startswith("SignatureDoesNotMatch")
    assert world.client("s3").list_objects_v2(Bucket=world.buckets["europe"]).get("KeyCount", 0) == 0


def test_refused_oversize_declared_or_sent(world, pki, approved_bundle, tmp_path):
    cert = pki.client("client-0005", "europe")[0]
    big = pe_file(tmp_path, "big.exe", size=MAX_BYTES + 1)
    status, body = _ask(world, cert, _request(big, approved_bundle))
    assert (status, body["error"]["code"]) == (413, "size-out-of-range")
    small = pe_file(tmp_path, "small.exe", size=100)
    status, body = _ask(world, cert, _request(small, approved_bundle))
    assert status == 201
    small.write_bytes(small.read_bytes() + b"\0" * 100)  # more bytes than the signed Content-Length
    headers = {**body["upload"]["headers"], "Content-Length": str(small.stat().st_size)}
    assert world.upload(body["upload"]["url"], headers, small) == 403


def test_refused_without_a_rule(world, pki, approved_bundle, trust, tmp_path):
    cert = pki.client("client-0006", "europe")[0]
    status, body = _ask(world, cert, _request(pe_file(tmp_path), approved_bundle, rule="not-in-the-set"))
    assert (status, body["error"]["code"]) == (403, "rule-not-approved")
    sent = []
    client = IntakeClient(approved_bundle, trust, send=lambda b: sent.append(b) or (500, {}), upload=world.upload)
    document = tmp_path / "report.docx"
    document.write_bytes(b"PK\x03\x04" + b"x" * 200)
    assert client.offer(document, DETECTION).status == "not-collected"
    assert client.offer(pe_file(tmp_path), "Trojan.Other.Name").status == "not-collected"
    assert sent == [], "no rule, no request"


def refused(bundle, trust, match: str, code: ExitCode = ExitCode.NOT_APPROVED) -> None:
    with pytest.raises(VerificationFailed, match=match) as error:
        IntakeClient(bundle, trust, send=lambda b: (500, {}))
    assert error.value.exit_code == code, error.value


def test_refused_an_unapproved_rule_set(world, pki, orgs, trust, test_log, example_rules, tmp_path):
    """Logged and cosigned, but not approved: one organization, a key another organization lists
    nowhere, a revoked key, a statement about another stack, or approvals expired when logged."""
    refused(signed_bundle(example_rules, orgs, {"lab": "lab"}, test_log), trust, "1 of 2 approvals")
    refused(signed_bundle(example_rules, orgs, {"lab": "lab", "cert": "stranger"}, test_log), trust,
            "key not listed for cert")
    refused(signed_bundle(example_rules, orgs, {"lab": "old", "cert": "cert"}, test_log), trust, "revoked")
    refused(signed_bundle(example_rules, orgs, {"lab": "lab", "cert": "cert"}, test_log, stack="staging"), trust,
            "another stack")
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=5)
    refused(signed_bundle(example_rules, orgs, {"lab": "lab", "cert": "cert"}, test_log, issued=long_ago), trust,
            "expired at")
    # A set no pipeline published is not the broker's: a request citing it is refused.
    other = example_rules.model_copy(update={"version": 2})
    status, body = _ask(world, pki.client("client-0007", "europe")[0],
                        _request(pe_file(tmp_path), {"digest": rules.digest(other)}))
    assert (status, body["error"]["code"]) == (409, "rule-set-superseded")
    # Nothing published at all: nothing may be uploaded.
    s3 = world.client("s3")
    for version in s3.list_object_versions(Bucket=RULES_BUCKET, Prefix="rules/approved.json")["Versions"]:
        s3.delete_object(Bucket=RULES_BUCKET, Key="rules/approved.json", VersionId=version["VersionId"])
    status, body = _ask(world, pki.client("client-jp-2", "japan")[0],  # japan's broker has read no set yet
                        _request(pe_file(tmp_path), {"digest": rules.digest(example_rules)}), region="japan")
    assert (status, body["error"]["code"]) == (403, "no-approved-rule-set")


def test_refused_an_unlogged_rule_set(orgs, trust, test_log, example_rules, approved_bundle):
    """Approved by the quorum, but not (provably) in the log: no proof, a proof of another entry
    (the approvals changed after logging), a checkpoint only one witness organization cosigned,
    a checkpoint signed by another key, a proof from another log."""
    refused({**approved_bundle, "log": None}, trust, "not logged", ExitCode.NOT_LOGGED)
    others = approvals_by(example_rules, orgs, {"lab": "lab", "cert": "cert"})
    swapped = {**approved_bundle, "approvals": [a.as_entry() for a in others]}
    refused(swapped, trust, "inclusion", ExitCode.NOT_LOGGED)

    one_witness = signed_bundle(example_rules, orgs, {"lab": "lab", "cert": "cert"}, test_log, cosigners=("lab",))
    refused(one_witness, trust, "1 of the 2 witness organizations", ExitCode.WITNESSES)
    # a witness no organization of the policy lists counts for nobody
    stranger = signed_bundle(example_rules, orgs, {"lab": "lab", "cert": "cert"}, test_log, cosigners=("lab", "stranger"))
    refused(stranger, trust, "1 of the 2 witness organizations", ExitCode.WITNESSES)

    from tcenter.intake import tlog
    from tcenter.transparency.log import LocalDirectoryStorage, TransparencyLog
    from tcenter.transparency.note import Ed25519Signer

    impostor = Ed25519Signer.from_seed(test_log.signer.name, b"\x07" * 32)
    forged = LocalDirectoryStorage(test_log.storage.root.parent / "forged", fsync=False)
    entry = bundles.log_entry(example_rules, [approval.Approval.from_entry(a) for a in approved_bundle["approvals"]])
    TransparencyLog(forged, impostor.name, impostor, impostor.verifier()).append([entry])
    proof = tlog.prove(entry, forged, impostor.verifier())
    assert proof is not None
    refused({**approved_bundle, "log": {"proof": proof.encode().decode()}}, trust, "no signature from a known key",
            ExitCode.NOT_LOGGED)


def test_the_approved_bundle_verifies_and_names_who_approved_and_cosigned(trust, approved_bundle):
    verified = bundles.verify_bundle(approved_bundle, trust)
    assert verified.organizations == ("cert", "lab")
    assert verified.logged.witnesses.organizations == ("cert", "lab")
    with pytest.raises(VerificationFailed, match="for stack 'staging'"):
        bundles.verify_bundle({**approved_bundle, "stack": "staging"}, trust)


def test_refused_a_lint_failing_rule_set_even_when_signed_and_logged(orgs, trust, test_log, example_rules):
    document = rules.as_document(example_rules)
    documents = json.loads(json.dumps(document))
    documents["rules"][0]["fileTypes"] = ["pe", "docx"]
    keywords = json.loads(json.dumps(document))
    keywords["rules"][0]["detections"] = ["Marker.TopSecret.*"]
    for bad, needle in ((documents, "'docx' is a document type"), (keywords, "classification keyword 'secret'")):
        unchecked = rules.RuleSet.model_validate(bad)  # the model alone: the lints are what refuse it
        bundle = signed_bundle(unchecked, orgs, {"lab": "lab", "cert": "cert"}, test_log)
        with pytest.raises(rules.RuleSetError, match=needle):
            IntakeClient(bundle, trust, send=lambda b: (500, {}))


def test_refused_an_expired_put(world, pki, approved_bundle, tmp_path):
    sample = pe_file(tmp_path)
    status, body = _ask(world, pki.client("client-0008", "europe")[0], _request(sample, approved_bundle))
    assert status == 201
    world.clock[0] += URL_SECONDS + 1
    assert world.upload(body["upload"]["url"], body["upload"]["headers"], sample) == 403
    assert s3_strict.refusal(body["upload"]["url"], body["upload"]["headers"], sample.read_bytes(),
                             world.credentials(), world.clock[0]).startswith("AccessDenied: Request has expired")


def test_refused_a_replayed_put(world, pki, approved_bundle, tmp_path):
    sample = pe_file(tmp_path)
    status, body = _ask(world, pki.client("client-0009", "europe")[0], _request(sample, approved_bundle))
    upload = body["upload"]
    assert status == 201 and world.upload(upload["url"], upload["headers"], sample) == 200
    assert world.upload(upload["url"], upload["headers"], sample) == 412  # moto's own If-None-Match check
    versions = world.client("s3").list_object_versions(Bucket=world.buckets["europe"])["Versions"]
    assert len(versions) == 1, "the replay wrote no second version"


def test_refused_an_overwrite_of_a_stored_sample(world, pki, approved_bundle, tmp_path):
    sample = pe_file(tmp_path)
    status, body = _ask(world, pki.client("client-0010", "europe")[0], _request(sample, approved_bundle))
    assert status == 201 and world.upload(body["upload"]["url"], body["upload"]["headers"], sample) == 200
    # Once the claim has expired (the notice was lost), a second client gets a URL of its own: S3
    # refuses to replace the stored sample (If-None-Match), so that client is told it is known.
    world.clock[0] += URL_SECONDS + 120
    status, body = _ask(world, pki.client("client-0011", "europe")[0], _request(sample, approved_bundle))
    assert status == 201
    assert world.upload(body["upload"]["url"], body["upload"]["headers"], sample) == 412
    # Other bytes under the same key: the signed checksum is the key's hash, so S3 refuses them.
    other = tmp_path / "other.exe"
    other.write_bytes(b"MZ" + b"\1" * (sample.stat().st_size - 2))
    headers = body["upload"]["headers"]
    assert s3_strict.refusal(body["upload"]["url"], headers, other.read_bytes(), world.credentials(),
                             world.clock[0]).startswith("BadDigest")


def test_refused_an_unauthenticated_client(world, approved_bundle, tmp_path, pki):
    request = _request(pe_file(tmp_path), approved_bundle)
    response = world.brokers["europe"].handle(gateway_event(request, None))
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "no-client-certificate"
    expired = pki.client("client-0012", "europe", days=1,
                         not_before=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))[0]
    status, body = _ask(world, expired, request)
    assert (status, body["error"]["code"]) == (401, "client-certificate-not-valid")


def test_refused_past_the_clients_hourly_limit(world, pki, approved_bundle, tmp_path):
    cert = pki.client("client-0013", "europe")[0]
    statuses = [_ask(world, cert, _request(pe_file(tmp_path, f"f{i}.exe", seed=bytes([i])), approved_bundle))[0]
                for i in range(6)]
    assert statuses == [201] * 5 + [429]


def test_an_abandoned_claim_is_offered_again_after_it_expires(world, pki, approved_bundle, tmp_path):
    sample = pe_file(tmp_path)
    assert _ask(world, pki.client("client-0014", "europe")[0], _request(sample, approved_bundle))[0] == 201
    assert _ask(world, pki.client("client-0015", "europe")[0], _request(sample, approved_bundle))[0] == 200
    world.clock[0] += URL_SECONDS + 120
    assert _ask(world, pki.client("client-0016", "europe")[0], _request(sample, approved_bundle))[0] == 201


def test_a_republished_set_supersedes_the_old_one_after_the_refresh(world, pki, orgs, test_log, example_rules,
                                                                    approved_bundle, tmp_path):
    cert = pki.client("client-0017", "europe")[0]
    assert _ask(world, cert, _request(pe_file(tmp_path, "a.exe", seed=b"a"), approved_bundle))[0] == 201
    newer = example_rules.model_copy(update={"version": 2})
    publish.publish(signed_bundle(newer, orgs, {"lab": "lab", "cert": "cert"}, test_log), RULES_BUCKET, world.client("s3"))
    world.clock[0] += 30  # within the refresh period the broker keeps the set it read
    assert _ask(world, cert, _request(pe_file(tmp_path, "d.exe", seed=b"d"), approved_bundle))[0] == 201
    world.clock[0] += 61
    status, body = _ask(world, cert, _request(pe_file(tmp_path, "b.exe", seed=b"b"), approved_bundle))
    assert (status, body["error"]["code"]) == (409, "rule-set-superseded")
    assert _ask(world, cert, _request(pe_file(tmp_path, "c.exe", seed=b"c"), {"digest": rules.digest(newer)}))[0] == 201
