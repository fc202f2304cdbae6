"""The teardown rule, both sides: dev and staging can be destroyed by `pulumi destroy`
(nothing protected or retained, buckets emptied, no lock that cannot be bypassed); prod
protects and retains every key, store bucket, table and the audit archive, and locks the
archive in COMPLIANCE mode."""

from __future__ import annotations

import pytest

from components.teardown import DESTROYABLE_LOCK_MODES, Teardown, object_lock_problem
from tcenter.core.stackfiles import load_stack_values, stack_names

NS = "transparency-center"
DESTROYABLE = tuple(s for s in stack_names() if load_stack_values(s)[f"{NS}:environment"] != "prod")
"""Every stack but prod: dev, staging and local."""

KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
TABLE = "aws:dynamodb/table:Table"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"


def _kept(resource) -> bool:
    return resource.options["protect"] or resource.options["retainOnDelete"]


# --- the rule itself ----------------------------------------------------------------------

@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_destroyable_environments_keep_nothing(environment):
    teardown = Teardown.for_environment(environment)
    for statefulness in ("stateful", "stateless"):
        options = teardown.options(statefulness)
        assert not options.protect and not options.retain_on_delete
        assert teardown.force_destroy(statefulness) is True
        assert teardown.deletion_protection(statefulness) is False
    assert object_lock_problem(environment, "GOVERNANCE") is None
    assert "destroy" in object_lock_problem(environment, "COMPLIANCE")
    with pytest.raises(ValueError):
        teardown.object_lock_mode("COMPLIANCE")


def test_prod_keeps_stateful_resources_only():
    teardown = Teardown.for_environment("prod")
    kept = teardown.options("stateful")
    assert kept.protect and kept.retain_on_delete
    assert teardown.force_destroy("stateful") is False and teardown.deletion_protection("stateful") is True
    rebuilt = teardown.options("stateless")
    assert not rebuilt.protect and not rebuilt.retain_on_delete
    assert object_lock_problem("prod", "GOVERNANCE") is None, "prod stores may use GOVERNANCE"
    assert object_lock_problem("prod", "COMPLIANCE", archive=True) is None
    assert "COMPLIANCE" in object_lock_problem("prod", "GOVERNANCE", archive=True)


# --- dev and staging: everything can go ---------------------------------------------------

@pytest.mark.parametrize("stack", DESTROYABLE)
def test_destroyable_stacks_have_zero_protected_or_retained_resources(declared, stack):
    run = declared(stack)
    assert [r.urn for r in run.resources if _kept(r)] == []


@pytest.mark.parametrize("stack", DESTROYABLE)
def test_destroyable_stacks_empty_their_buckets_and_can_bypass_every_lock(declared, stack):
    run = declared(stack)
    buckets = run.by_type(BUCKET)
    assert buckets
    for bucket in buckets:
        assert bucket.inputs["forceDestroy"] is True, bucket.urn
    for lock in run.by_type(LOCK):
        assert lock.inputs["rule"]["defaultRetention"]["mode"] in DESTROYABLE_LOCK_MODES, lock.urn
    for table in run.by_type(TABLE):
        assert not table.inputs.get("deletionProtectionEnabled"), table.urn


@pytest.mark.parametrize("stack", DESTROYABLE)
@pytest.mark.parametrize("key, field", [("dataStores", "objectLock.mode"), ("audit", "archiveLockMode")])
def test_compliance_lock_is_refused_where_the_stack_must_stay_destroyable(declare_with, stack_values, stack, key, field):
    from components.config import ConfigError

    values = stack_values(stack)
    section = values[f"{NS}:{key}"]
    if "." in field:
        parent, leaf = field.split(".")
        section[parent][leaf] = "COMPLIANCE"
    else:
        section[field] = "COMPLIANCE"
    with pytest.raises(ConfigError) as caught:
        declare_with(values, stack)
    assert [k for k, _ in caught.value.problems] == [f"{NS}:{key}.{field}"]
    assert "destroy" in str(caught.value)


# --- prod: every key, store bucket, table and the archive are protected and retained -------

def test_prod_protects_and_retains_every_key_store_table_and_the_archive(declared):
    run = declared("zurich-prod")
    keys = run.by_type(KEY)
    tables = run.by_type(TABLE)
    store_buckets = set(run.outputs["dataStoreBuckets"].values())
    customer_regions = load_stack_values("zurich-prod")[f"{NS}:dataStores"]["customerRegions"]
    assert len(store_buckets) == len(customer_regions) == 6
    assert len(tables) >= 6 and len(keys) >= 7  # a key per store, and the audit key
    buckets = {b.inputs["bucket"]: b for b in run.by_type(BUCKET)}
    guarded = [buckets[name] for name in sorted(store_buckets | {run.outputs["auditArchiveBucket"]})]
    for resource in keys + tables + guarded:
        assert resource.options["protect"] is True and resource.options["retainOnDelete"] is True, resource.urn
    for bucket in guarded:
        assert bucket.inputs["forceDestroy"] is False, bucket.urn
    for table in tables:
        assert table.inputs["deletionProtectionEnabled"] is True, table.urn


def test_prod_archive_is_locked_in_compliance_mode(declared):
    run = declared("zurich-prod")
    archive = [b for b in run.by_type(BUCKET) if b.inputs["bucket"] == run.outputs["auditArchiveBucket"]][0]
    (lock,) = [lock for lock in run.by_type(LOCK) if lock.inputs["bucket"] == archive.id]
    assert lock.inputs["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"


def test_prod_rebuildable_resources_are_not_protected(declared):
    """Protection is for state: roles, policies and the trail itself can be replaced freely."""
    run = declared("zurich-prod")
    for type_ in ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:cloudtrail/trail:Trail",
                  "aws:s3/bucketPolicy:BucketPolicy"):
        for resource in run.by_type(type_):
            assert not _kept(resource), resource.urn


# --- generated from the one stateful table -----------------------------------------------

def test_every_stateful_resource_of_prod_is_protected_and_retained(declared):
    """Every resource of a type in awsfacts.STATEFUL_TYPES, found in the prod plan (not a list of
    names): the flow-log group was once the one that slipped through."""
    from components.awsfacts import STATEFUL_TYPES

    run = declared("zurich-prod")
    stateful = [r for r in run.resources if r.type in STATEFUL_TYPES]
    assert {r.type for r in stateful} >= {KEY, BUCKET, TABLE, "aws:cloudwatch/logGroup:LogGroup"}
    loose = [r.name for r in stateful if not (r.options["protect"] and r.options["retainOnDelete"])]
    assert loose == []


def test_the_transformation_keeps_a_stateful_resource_no_component_asked_for():
    """The mechanism, not the call sites: a stateful resource declared with default options
    inside the center is still protected in prod."""
    import pulumi

    teardown = Teardown.for_environment("prod")
    args = pulumi.ResourceTransformationArgs(None, "aws:cloudwatch/logGroup:LogGroup", "x", {}, pulumi.ResourceOptions())
    result = teardown.keep_stateful(args)
    assert result is not None and result.opts.protect and result.opts.retain_on_delete
    stateless = pulumi.ResourceTransformationArgs(None, "aws:ec2/securityGroup:SecurityGroup", "x", {}, pulumi.ResourceOptions())
    assert teardown.keep_stateful(stateless) is None
    assert Teardown.for_environment("dev").keep_stateful(args) is None
