"""Where moto's server answers unlike AWS for what attest reads, fixed in the test process (the
server runs in it): each fix names the gap. Applied by the fixture before the server starts."""

from __future__ import annotations

from typing import Any


def scope_tag_key() -> None:
    """moto keeps a Config rule's `Scope.TagKey/TagValue` as `Tags` and returns no tag scope;
    AWS returns TagKey and TagValue as put."""
    from moto.config import models

    original = models.Scope.to_dict

    def to_dict(self: Any) -> dict[str, Any]:
        data = original(self)
        tags = data.pop("Tags", None)
        if tags:
            key, value = next(iter(tags.items()))
            data["TagKey"] = key
            if value is not None:
                data["TagValue"] = value
        return data

    models.Scope.to_dict = to_dict  # type: ignore[method-assign]


def launch_template_tags() -> None:
    """moto snapshots a launch template's tags when it is created (CreateTags afterwards is not shown)
    and copies create-time `launch-template` tag specifications into the version's data; AWS does neither."""
    from moto.ec2.models import launch_templates

    launch_templates.LaunchTemplate.tags = property(lambda self: self.get_tags(), lambda self, value: None)  # type: ignore[assignment]


def launch_template_pages() -> None:
    """moto answers DescribeLaunchTemplates with the first MaxResults (15 by default) and no
    NextToken, so a sixteenth template is never seen; AWS pages with NextToken."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.launch_templates import LaunchTemplates

    def describe_launch_templates(self: Any) -> ActionResult:
        self.error_on_dryrun()
        start = int(self._get_param("NextToken") or 0)
        size = self._get_int_param("MaxResults", 15)
        found = self.ec2_backend.describe_launch_templates(
            template_names=self._get_param("LaunchTemplateNames", []), template_ids=self._get_param("LaunchTemplateIds", []),
            filters=self._filters_from_querystring())
        result: dict[str, Any] = {"LaunchTemplates": [
            {"CreateTime": t.create_time, "CreatedBy": f"arn:{self.partition}:iam::{self.current_account}:root",
             "DefaultVersionNumber": t.default_version_number, "LatestVersionNumber": t.latest_version_number,
             "LaunchTemplateId": t.id, "LaunchTemplateName": t.name, "Tags": t.tags}
            for t in found[start:start + size]]}
        if start + size < len(found):
            result["NextToken"] = str(start + size)
        return ActionResult(result)

    LaunchTemplates.describe_launch_templates = describe_launch_templates  # type: ignore[method-assign]


def group_settings() -> None:
    """moto's Create/UpdateAutoScalingGroup drop MaxInstanceLifetime (DescribeAutoScalingGroups never
    returns it) and ServiceLinkedRoleARN (always the default role), and take a HealthCheckGracePeriod
    of 0 for none (300); AWS keeps all three as given, and MaxInstanceLifetime 0 clears the lifetime."""
    from moto.autoscaling.responses import AutoScalingResponse

    def keeping(original: Any) -> Any:
        def handler(self: Any) -> Any:
            result = original(self)
            group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            lifetime = self._get_int_param("MaxInstanceLifetime")
            if lifetime is not None:
                group.max_instance_lifetime = lifetime or None
            elif not hasattr(group, "max_instance_lifetime"):
                group.max_instance_lifetime = None
            if self._get_int_param("HealthCheckGracePeriod") == 0:
                group.health_check_grace_period = 0
            if self._get_param("ServiceLinkedRoleARN"):
                group.service_linked_role_arn = self._get_param("ServiceLinkedRoleARN")
            return result
        return handler

    AutoScalingResponse.create_auto_scaling_group = keeping(AutoScalingResponse.create_auto_scaling_group)  # type: ignore[method-assign]
    AutoScalingResponse.update_auto_scaling_group = keeping(AutoScalingResponse.update_auto_scaling_group)  # type: ignore[method-assign]


def notification_event_bridge() -> None:
    """moto keeps a bucket's EventBridgeConfiguration but GetBucketNotificationConfiguration never
    returns it; AWS returns `<EventBridgeConfiguration/>` when the bucket sends its events to EventBridge."""
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    def get_bucket_notification(self: Any) -> Any:
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if not config:
            return original(self)

        def build(item: Any, arn_key: str) -> dict[str, Any]:
            out: dict[str, Any] = {"Id": item.id, arn_key: item.arn, "Events": item.events}
            if item.filters:
                out["Filter"] = {"Key": {"FilterRules": item.filters["S3Key"]["FilterRule"]}}
            return out

        result: dict[str, Any] = {
            "TopicConfigurations": [build(t, "TopicArn") for t in config.topic],
            "QueueConfigurations": [build(q, "QueueArn") for q in config.queue],
            "LambdaFunctionConfigurations": [build(f, "LambdaFunctionArn") for f in config.cloud_function]}
        if config.event_bridge is not None:
            result["EventBridgeConfiguration"] = {}
        self.data["Action"] = "GetBucketNotificationConfiguration"
        return self.serialized(ActionResult(result))

    original = S3Response.get_bucket_notification
    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]


def launch_template_source_version() -> None:
    """moto's CreateLaunchTemplateVersion ignores SourceVersion: the new version holds only the data
    given. AWS's inherits the source version's parameters, except those given in LaunchTemplateData."""
    from moto.ec2.responses.launch_templates import LaunchTemplates

    original = LaunchTemplates.create_launch_template_version

    def create_launch_template_version(self: Any) -> Any:
        source = self._get_param("SourceVersion")
        if source:
            template_id, name = self._get_param("LaunchTemplateId"), self._get_param("LaunchTemplateName")
            template = (self.ec2_backend.get_launch_template(template_id) if template_id
                        else self.ec2_backend.get_launch_template_by_name(name))
            given = self._get_param("LaunchTemplateData", {})
            merged = {**template.get_version(source).data, **given}
            self._get_param = lambda key, default=None, _get=self._get_param: merged if key == "LaunchTemplateData" \
                else _get(key, default)
        return original(self)

    LaunchTemplates.create_launch_template_version = create_launch_template_version  # type: ignore[method-assign]


def queue_attributes() -> None:
    """moto keeps a queue's RedriveAllowPolicy but GetQueueAttributes never returns it, and
    SetQueueAttributes without `Policy` drops the queue's policy; AWS returns the one and keeps the other."""
    from moto.sqs.models import Queue

    attributes = Queue.attributes.fget  # type: ignore[attr-defined]
    set_attributes = Queue._set_attributes

    def with_redrive_allow(self: Any) -> dict[str, Any]:
        result = attributes(self)
        if getattr(self, "redrive_allow_policy", None):
            result["RedriveAllowPolicy"] = self.redrive_allow_policy
        return result

    def keeping_policy(self: Any, given: dict[str, Any], now: float | None = None) -> None:
        policy = getattr(self, "policy", None)
        set_attributes(self, given, now)
        if "Policy" not in given:
            self.policy = policy

    Queue.attributes = property(with_redrive_allow)  # type: ignore[assignment,method-assign]
    Queue._set_attributes = keeping_policy  # type: ignore[method-assign]


def apply() -> None:
    scope_tag_key()
    launch_template_tags()
    launch_template_pages()
    group_settings()
    notification_event_bridge()
    launch_template_source_version()
    queue_attributes()
