"""Reading the analysis cells' moving parts (issue 28): Auto Scaling groups (size, maximum
instance lifetime, launch template and version, subnets, health check, tags and whether they
propagate, the service-linked role), SQS queues (encryption, visibility timeout, retention,
long polling, tags) with their policies (the queue policy is the queue's `Policy` attribute)."""

from __future__ import annotations

from typing import Any

from .identity import key_of
from .read import Live, Reader, policy_data, tags_of

GROUP = "aws:autoscaling/group:Group"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
# The queue attributes compared, as the plan names them (all integers in SQS's string form).
QUEUE_NUMBERS = {"VisibilityTimeout": "visibilityTimeoutSeconds", "MessageRetentionPeriod": "messageRetentionSeconds",
                 "ReceiveMessageWaitTimeSeconds": "receiveWaitTimeSeconds"}


def put(live: Live, kind: str, inputs: dict[str, Any], ids: dict[str, Any] | None = None, **kw: Any) -> None:
    live.put(kind, key_of(kind, inputs), inputs, ids, **kw)


def group_tags(tags: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A group's tags in the plan's shape: key, value and whether instances get it; AWS's `aws:` left out."""
    return sorted(({"key": t["Key"], "value": t.get("Value", ""), "propagateAtLaunch": bool(t.get("PropagateAtLaunch"))}
                   for t in tags or [] if not str(t.get("Key", "")).startswith("aws:")), key=lambda t: t["key"])


def read_groups(reader: Reader, live: Live) -> None:
    groups = reader.call("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups")
    live.read_types.add(GROUP)
    for group in groups:
        template = group.get("LaunchTemplate") or {}
        name = group["AutoScalingGroupName"]
        put(live, GROUP, {
            "name": name, "minSize": group.get("MinSize"), "maxSize": group.get("MaxSize"),
            "desiredCapacity": group.get("DesiredCapacity"), "maxInstanceLifetime": group.get("MaxInstanceLifetime"),
            "launchTemplate": {"id": template.get("LaunchTemplateId"), "version": template.get("Version")} if template else None,
            "vpcZoneIdentifiers": sorted(s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s),
            "healthCheckType": group.get("HealthCheckType"), "healthCheckGracePeriod": group.get("HealthCheckGracePeriod"),
            "serviceLinkedRoleArn": group.get("ServiceLinkedRoleARN"), "tags": group_tags(group.get("Tags")),
        }, {"id": name, "arn": group.get("AutoScalingGroupARN"), "name": name},
            label=f"Auto Scaling group {name} ({group.get('DesiredCapacity')} instances"
                  f"{', launch configuration ' + group['LaunchConfigurationName'] if group.get('LaunchConfigurationName') else ''})")


def read_queues(reader: Reader, live: Live, declared: set[str]) -> None:
    """Every queue of the account; the declared ones (the reviewer's grant reads the center's) in full."""
    urls = reader.call("sqs", "list_queues", "QueueUrls")
    live.read_types.update((QUEUE, QUEUE_POLICY))
    for url in urls:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        if name not in declared:
            put(live, QUEUE, {"name": name}, {"id": url, "url": url}, label=f"SQS queue {name}")
            continue
        attributes = reader.call("sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["All"]).get("Attributes") or {}
        tags = reader.call("sqs", "list_queue_tags", QueueUrl=url).get("Tags") or {}
        arn = attributes.get("QueueArn")
        put(live, QUEUE, {
            "name": name, "tags": tags_of({"Key": k, "Value": v} for k, v in tags.items()),
            "sqsManagedSseEnabled": attributes.get("SqsManagedSseEnabled", "false") == "true",
            "kmsMasterKeyId": attributes.get("KmsMasterKeyId"),
            "redrivePolicy": policy_data(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else None,
            "redriveAllowPolicy": policy_data(attributes["RedriveAllowPolicy"]) if attributes.get("RedriveAllowPolicy") else None,
            **{field: int(attributes[attribute]) for attribute, field in QUEUE_NUMBERS.items() if attribute in attributes},
        }, {"id": url, "url": url, "arn": arn}, label=f"SQS queue {name}")
        if attributes.get("Policy"):
            put(live, QUEUE_POLICY, {"queueUrl": url, "policy": policy_data(attributes["Policy"])}, {"id": url},
                label=f"policy of SQS queue {name}")


def read_cells(reader: Reader, live: Live, queues: set[str]) -> None:
    from .read import Unread

    for step in (lambda: read_groups(reader, live), lambda: read_queues(reader, live, queues)):
        try:
            step()
        except Unread:
            continue
