"""Operators' Session Manager sessions on builders and signer hosts are logged and
encrypted: the account's default Session document exists and the hosts' agents may write."""

from __future__ import annotations

import json

from components.sessions import DEFAULT_SESSION_DOCUMENT


def _inline_policies(run, role_name_part):
    for policy in run.by_type("aws:iam/rolePolicy:RolePolicy"):
        if role_name_part in policy.name:
            yield policy


def test_default_session_document_logs_everything_encrypted(each_stack):
    documents = [d for d in each_stack.by_type("aws:ssm/document:Document") if d.inputs["name"] == DEFAULT_SESSION_DOCUMENT]
    assert len(documents) == 1
    (document,) = documents
    assert document.inputs["documentType"] == "Session"
    inputs = json.loads(document.inputs["content"])["inputs"]
    assert inputs["s3BucketName"] == each_stack.outputs["auditArchiveBucket"]
    assert inputs["s3EncryptionEnabled"] is True and inputs["cloudWatchEncryptionEnabled"] is True
    assert inputs["cloudWatchLogGroupName"] == each_stack.outputs["sessionLogGroup"]
    assert inputs["kmsKeyId"].startswith("arn:aws:kms:eu-central-2:")
    assert int(inputs["idleSessionTimeout"]) <= 60


def test_every_host_role_may_log_operator_sessions_and_nothing_more(each_stack):
    host_roles = set(each_stack.outputs["builderRoleArns"].values()) | set(each_stack.outputs["signerRoleArns"].values())
    host_roles |= {each_stack.outputs["transparencySequencerRoleArn"]}  # the log's sequencer host
    if "distributionPublisherRoleArn" in each_stack.outputs:  # the update repositories' publisher host
        host_roles.add(each_stack.outputs["distributionPublisherRoleArn"])
    role_names = {arn.rsplit("/", 1)[1] for arn in host_roles}
    granted = {}
    for policy in each_stack.by_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.inputs.get("name") == "operator-session-logging":
            granted[policy.inputs["role"]] = json.loads(policy.inputs["policy"])
    assert set(granted) == role_names
    for document in granted.values():
        writes = [s for s in document["Statement"] if "s3:PutObject" in s["Action"]]
        assert len(writes) == 1
        assert all(r.endswith("/ssm-sessions/operators/*") for r in writes[0]["Resource"])
        assert all(s["Effect"] == "Allow" and "*" not in s["Action"] for s in document["Statement"])


def test_session_stream_key_has_no_wildcard_principal(each_stack):
    keys = [k for k in each_stack.by_type("aws:kms/key:Key") if k.name.endswith("operator-session-key")]
    assert len(keys) == 1
    policy = json.loads(keys[0].inputs["policy"])
    for statement in policy["Statement"]:
        principal = statement["Principal"]["AWS"]
        assert principal != "*" and "*" not in (principal if isinstance(principal, list) else [principal])
