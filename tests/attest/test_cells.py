"""The analysis cells' moving parts (issue 28) in attest: a widened job queue policy, a store's
sample notifications removed or sent elsewhere, a cell group changed (its maximum instance
lifetime removed, another launch template version, more instances) are reported as drift; the
instances a declared group launches are not extras, a group the plan does not declare is."""

from __future__ import annotations

from typing import Any

import pytest

from tcenter.core.errors import ExitCode
from tests.attest.plants import OTHER, doc_plus
from tests.attest.provision import Provisioner
from tests.attest.test_attest import _of, only, run_attest

NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"


def queue_notification(plan: dict[str, Any]) -> dict[str, Any]:
    """A store's one notification configuration: its samples/ events to the intake's broker, and all
    its events to EventBridge, whose rule feeds the cells' job queue."""
    return _of(plan, NOTIFICATION, lambda r: r["inputs"].get("eventbridge") is True)[0]


def test_queue_policy_widened_to_another_account(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    policy = _of(dev_plan, "aws:sqs/queuePolicy:QueuePolicy")[0]
    widened = doc_plus(deployed.live(policy["inputs"]["policy"]), {
        "Sid": "OtherTakesJobs", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": ["sqs:ReceiveMessage", "sqs:SendMessage"], "Resource": "*"})
    deployed.c["sqs"].set_queue_attributes(QueueUrl=deployed.live(policy["inputs"]["queueUrl"]), Attributes={"Policy": widened})
    report, _ = run_attest(dev_plan)
    found = only(report, "drifted", "queue policy:")
    assert [f.name for f in found] == [policy["name"]] and "OtherTakesJobs" in found[0].message
    assert report.exit_code == ExitCode.DRIFT


def test_sample_notifications_removed(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    notification = queue_notification(dev_plan)
    deployed.c["s3"].put_bucket_notification_configuration(Bucket=notification["inputs"]["bucket"],
                                                          NotificationConfiguration={})
    report, _ = run_attest(dev_plan)
    declared_here = {r["name"] for r in _of(dev_plan, NOTIFICATION, lambda r: r["inputs"]["bucket"] == notification["inputs"]["bucket"])}
    assert {f.name for f in report.of("missing") if f.type == NOTIFICATION} == declared_here
    assert report.exit_code == ExitCode.DRIFT


def test_sample_events_kept_from_eventbridge_is_drift(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    """Without the bucket's EventBridge setting no sample becomes a job: the cells starve quietly."""
    notification = queue_notification(dev_plan)
    bucket = notification["inputs"]["bucket"]
    config = deployed.c["s3"].get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata")
    assert config.pop("EventBridgeConfiguration", None) == {}
    deployed.c["s3"].put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    report, _ = run_attest(dev_plan)
    found = [f for f in report.of("drifted") if f.type == NOTIFICATION]
    assert [f.name for f in found] == [notification["name"]] and "EventBridge" in found[0].message, found
    assert report.exit_code == ExitCode.DRIFT


def test_sample_notifications_sent_to_another_queue(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    notification = queue_notification(dev_plan)
    bucket = notification["inputs"]["bucket"]
    other = deployed.c["sqs"].create_queue(QueueName="elsewhere")["QueueUrl"]
    other_arn = deployed.c["sqs"].get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    config = deployed.c["s3"].get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata")
    config["QueueConfigurations"] = [{"QueueArn": other_arn, "Events": ["s3:ObjectCreated:*"]}]
    deployed.c["s3"].put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    report, _ = run_attest(dev_plan)
    found = only(report, "drifted", "queue notifications:")
    assert [f.name for f in found] == [notification["name"]] and other_arn in found[0].message
    assert only(report, "extra", "SQS queue elsewhere")


def test_topic_added_to_a_store_is_drift_on_its_notifications(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    """A destination no declaration on the bucket names (the parts are compared together)."""
    notification = queue_notification(dev_plan)
    bucket = notification["inputs"]["bucket"]
    topic = deployed.c["sns"].create_topic(Name="copies")["TopicArn"]
    config = deployed.c["s3"].get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata")
    config["TopicConfigurations"] = [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]
    deployed.c["s3"].put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    report, _ = run_attest(dev_plan)
    found = only(report, "drifted", "SNS notifications:")
    assert found and all(topic in f.message for f in found)


@pytest.mark.parametrize("change,label", [
    ({"MaxInstanceLifetime": 0}, "maximum instance lifetime: declared 86400, found null"),
    ({"MaxSize": 3, "DesiredCapacity": 3}, "maximum size: declared"),
    ({"HealthCheckType": "ELB"}, "health check type: declared \"EC2\", found \"ELB\""),
], ids=["lifetime-removed", "bigger", "health-check"])
def test_cell_group_changed(deployed: Provisioner, dev_plan: dict[str, Any], change: dict[str, Any], label: str) -> None:
    group = _of(dev_plan, "aws:autoscaling/group:Group")[0]
    deployed.c["autoscaling"].update_auto_scaling_group(AutoScalingGroupName=group["inputs"]["name"], **change)
    report, _ = run_attest(dev_plan)
    assert [f.name for f in only(report, "drifted", label)] == [group["name"]], "\n".join(map(str, report.drift))


def test_cell_group_on_another_launch_template_version(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    group = _of(dev_plan, "aws:autoscaling/group:Group")[0]
    template = deployed.live(group["inputs"]["launchTemplate"]["id"])
    version = deployed.c["ec2"].create_launch_template_version(
        LaunchTemplateId=template, SourceVersion="1", LaunchTemplateData={"MetadataOptions": {"HttpTokens": "optional"}},
    )["LaunchTemplateVersion"]["VersionNumber"]
    deployed.c["autoscaling"].update_auto_scaling_group(AutoScalingGroupName=group["inputs"]["name"], LaunchTemplate={
        "LaunchTemplateId": template, "Version": str(version)})
    report, _ = run_attest(dev_plan)
    found = only(report, "drifted", "launch template (id and version):")
    assert [f.name for f in found] == [group["name"]] and f'"version": "{version}"' in found[0].message


def test_undeclared_group_is_extra_its_instances_are_not(deployed: Provisioner, dev_plan: dict[str, Any]) -> None:
    group = _of(dev_plan, "aws:autoscaling/group:Group")[0]["inputs"]
    deployed.c["autoscaling"].create_auto_scaling_group(
        AutoScalingGroupName="shadow-cells", MinSize=1, MaxSize=1, DesiredCapacity=1,
        VPCZoneIdentifier=",".join(deployed.live(group["vpcZoneIdentifiers"])),
        LaunchTemplate={"LaunchTemplateId": deployed.live(group["launchTemplate"]["id"]), "Version": "1"})
    report, _ = run_attest(dev_plan)
    assert [f.type for f in report.drift] == ["aws:autoscaling/group:Group"], "\n".join(map(str, report.drift))
    assert "shadow-cells" in report.drift[0].message


def test_each_store_declares_one_notification_configuration(dev_plan: dict[str, Any], prod_plan: dict[str, Any]) -> None:
    """S3 keeps one notification configuration per bucket (each PutBucketNotificationConfiguration
    replaces it; the provider warns of a perpetual difference for two BucketNotification resources on
    one bucket) and refuses overlapping prefixes for one event type in it ("Configuration is ambiguously
    defined"). The intake's broker (issue 27) and the cells' job queues (issue 28) both need the stores'
    samples/ events: the one configuration sends them to the broker and to EventBridge."""
    for plan in (dev_plan, prod_plan):
        buckets = [r["inputs"]["bucket"] for r in plan["resources"] if r["type"] == NOTIFICATION]
        assert buckets and len(buckets) == len(set(buckets)), f"{plan['stack']}: {sorted(buckets)}"