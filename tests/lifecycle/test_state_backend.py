"""The state-backend bootstrap (scripts/state-backend/): state and secrets stay in Zurich,
under a customer managed key, protected; and it passes the center's own rules."""

from __future__ import annotations

import functools
import json

from tcenter.guardrails.check import check_plan
from tcenter.core.stackfiles import PROJECT_ROOT
from tcenter.plan.engine import run_program
from tcenter.plan.format import build_plan

BOOTSTRAP = PROJECT_ROOT / "scripts" / "state-backend"


@functools.lru_cache(maxsize=None)
def _run():
    return run_program("example", project_dir=BOOTSTRAP)


def test_backend_urls_point_at_eu_central_2():
    outputs = _run().outputs
    assert outputs["backendUrl"] == f"s3://{outputs['stateBucket']}?region=eu-central-2&awssdk=v2"
    assert outputs["secretsProvider"] == "awskms://alias/tc-pulumi-state?region=eu-central-2"
    [provider] = _run().by_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-central-2"
    assert all(r.provider.endswith("::state-aws") for r in _run().resources if r.custom and r.type.startswith("aws:"))


def test_state_is_versioned_and_encrypted_with_the_state_key():
    run = _run()
    [key] = run.by_type("aws:kms/key:Key")
    [sse] = run.by_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}
    [versioning] = run.by_type("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    [alias] = run.by_type("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/tc-pulumi-state"


def test_deployers_may_use_the_key_directly_as_secrets_provider():
    [key] = _run().by_type("aws:kms/key:Key")
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    deployers = statements["DeployersUseAsSecretsProvider"]
    assert "kms:Encrypt" in deployers["Action"] and "kms:Decrypt" in deployers["Action"]
    assert "*" not in json.dumps(deployers["Principal"])


def test_key_and_bucket_survive_a_destroy():
    run = _run()
    for resource in run.by_type("aws:kms/key:Key") + run.by_type("aws:s3/bucket:Bucket"):
        assert resource.options["protect"] and resource.options["retainOnDelete"], resource.name
    [bucket] = run.by_type("aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is False


def test_bootstrap_passes_the_center_rules():
    violations = check_plan(build_plan(_run()))
    assert violations == [], "\n".join(map(str, violations))
