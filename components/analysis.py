"""AnalysisCells: collected samples are analysed in cells that nothing reaches and that reach
nothing but their job queue and the samples/verdicts of the stores they serve (issue 28).

Per customer region: a job queue fed by the region's store (S3 event on `samples/`), a role,
and an Auto Scaling group of ephemeral cells. A cell takes one job, reads that one sample,
writes one verdict under `verdicts/`, and powers off; the launch template terminates it on
shutdown and the group launches a fresh one (maximum instance lifetime as the backstop: no
cell is reused). The zone (`analysis`) has:

- its own S3 gateway endpoint (on its route table only), whose policy reads `samples/` and
  writes `verdicts/` of the served stores and nothing else of S3;
- an SQS interface endpoint in its own subnets, whose policy takes jobs of the cells' queues
  only (no SendMessage); its security group admits the cells only;
- a NACL (layout.zone_flows) with HTTPS to S3's addresses and inside the zone, nothing else;
- no inbound rule, no SSM, no key pair, IMDSv2 with hop limit 1.

Usage (center.py): `cells = AnalysisCells(...)` before the stores (their key and bucket
policies name the cell roles and the zone's endpoint), then `cells.serve(stores)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from . import hosts, policies
from .awsfacts import (
    HTTPS, PARTITION, REGION, S3_OBJECT_CREATED_DETAIL_TYPE, bucket_arn, event_rule_arn, queue_arn, queue_url,
    service_linked_role_arn,
)
from .config.analysis import ANALYSIS_ZONE, AnalysisConfig
from .config.intake import MAX_SAMPLE_BYTES
from .hosts import TEMPLATES_DIR
from .iam import Role, instance_role
from .instances import METADATA_OPTIONS, ROOT_DEVICE_NAME
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import account_name, bucket_name, resource_name
from .network import NetworkZones
from .teardown import Teardown

ZONE = ANALYSIS_ZONE
AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"
"""Auto Scaling launches the cells with its service-linked role: it must use the volume key."""
QUEUE_RETENTION_SECONDS = 1_209_600
"""SQS's longest retention (14 days): a job waits for a cell, never for a person."""
JOB_ATTEMPTS = 3
"""Cells that may fail one job (the runner leaves a failed job in the queue) before SQS moves it to
the region's failed jobs: a sample that breaks every analyser does not launch cells for 14 days."""


def cell_role_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "cell", customer_region)


def job_queue_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "jobs", customer_region)


def sample_events_rule_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "sample-events", customer_region)


def failed_jobs_queue_name(stack: str, customer_region: str) -> str:
    return account_name(stack, "failed-jobs", customer_region)


def job_queue_arn(account_id: str, stack: str, customer_region: str) -> str:
    return queue_arn(account_id, job_queue_name(stack, customer_region))


def store_bucket_arn(account_id: str, stack: str, customer_region: str) -> str:
    """The customer data store's bucket (data.RegionalDataStore's name), known before the store."""
    return bucket_arn(bucket_name(account_id, stack, "data", customer_region))


CELL_USER = "tc-cell"
CELL_HOME = "/var/lib/tc-cell"
CELL_CONFIG = "/etc/tc-cell/cell.json"
CELL_UNIT = "tc-cell.service"
CELL_RUNNER = "/usr/local/bin/tc-cell-run"
CELL_RUNNER_SCRIPT = TEMPLATES_DIR / "analysis" / "tc-cell-run.py"
"""Installed verbatim: takes one message of the queues, reads that sample, writes its verdict,
deletes the message, and exits (tests/analysis/ runs it against moto's S3 and SQS)."""
CELL_PACKAGES = ("python3", "python3-boto3")


@dataclass(frozen=True)
class CellHostValues:
    """What a cell needs to know, all from the validated config and the network plan."""

    stack: str
    region: str
    served: tuple[str, ...]
    queue_urls: tuple[str, ...]
    buckets: tuple[str, ...]
    job_timeout_seconds: int
    network: hosts.HostNetwork
    analyser: str | None = None
    """`endpoints_cidr` is the analysis zone's own CIDR: its SQS endpoint lives there."""

    def config(self) -> dict:
        return {"stack": self.stack, "region": REGION, "customer-region": self.region, "serves": list(self.served),
                "queues": list(self.queue_urls), "buckets": list(self.buckets),
                "samples-prefix": policies.SAMPLES_PREFIX, "verdicts-prefix": policies.VERDICTS_PREFIX,
                "verdict-fields": ["sample-sha256", "collection-rule", "result", "analyser-version"],
                "analyser": self.analyser, "max-sample-bytes": MAX_SAMPLE_BYTES,
                "job-timeout-seconds": self.job_timeout_seconds}


def cell_host_values(stack: str, account_id: str, region: str, served: Sequence[str], zone_cidr: str, supernet: str,
                     s3_cidrs: Sequence[str], job_timeout_seconds: int, analyser: str | None = None) -> CellHostValues:
    return CellHostValues(
        stack=stack, region=region, served=tuple(served),
        queue_urls=tuple(queue_url(account_id, job_queue_name(stack, r)) for r in served),
        buckets=tuple(bucket_name(account_id, stack, "data", r) for r in served),
        job_timeout_seconds=job_timeout_seconds, analyser=analyser,
        network=hosts.HostNetwork(vpc_cidr=supernet, endpoints_cidr=zone_cidr, s3_cidrs=tuple(sorted(s3_cidrs))))


def cell_profile(values: CellHostValues) -> hosts.HostProfile:
    """The shared hardening (no SSH, no sudo, nftables egress to the zone's SQS endpoint and S3
    only) plus the cell: a locked user, its job config, and the one-shot unit that runs one job
    and powers the cell off."""
    base = hosts.base_profile(values.network, metadata_users=("root", CELL_USER))
    unit_values = {"user": CELL_USER, "home": CELL_HOME, "config": CELL_CONFIG, "runner": CELL_RUNNER,
                   "region": REGION, "timeout": values.job_timeout_seconds}
    return base.extend(
        "analysis",
        packages={name: "" for name in CELL_PACKAGES},
        files=[hosts.HostFile(CELL_RUNNER, CELL_RUNNER_SCRIPT.read_text(), mode="0755"),
               hosts.HostFile(CELL_CONFIG, json.dumps(values.config(), indent=2, sort_keys=True) + "\n"),
               hosts.HostFile(f"/etc/systemd/system/{CELL_UNIT}",
                              hosts.render_template("analysis/tc-cell.service.j2", unit_values))],
        users=[hosts.HostUser(CELL_USER, CELL_HOME, "analysis cell job runner (locked, no sudo)")],
        enabled_units=[CELL_UNIT],
    )


def render_cell(values: CellHostValues) -> hosts.RenderedHost:
    return hosts.render_host(cell_profile(values))


@dataclass(frozen=True)
class AnalysisCellsArgs:
    stack: str
    account_id: str
    key_administrators: tuple[str, ...]
    config: AnalysisConfig
    customer_regions: tuple[str, ...]
    network: NetworkZones
    teardown: Teardown
    ami_id: str
    """The cell image (analysis.amiId, else the build image)."""


class AnalysisCells(pulumi.ComponentResource):
    def __init__(self, name: str, args: AnalysisCellsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:analysis:AnalysisCells", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        stack, account, network, config = args.stack, args.account_id, args.network, args.config
        if ZONE not in network.route_table_ids:
            raise ValueError(f"{name}: the network plan has no {ZONE!r} zone (analysis.enabled plans it)")
        self.served = {region: config.served(region) for region in args.customer_regions}
        for region, served in self.served.items():
            unknown = sorted(set(served) - set(args.customer_regions))
            if unknown:
                raise ValueError(f"analysis.alsoServes.{region}: {unknown} have no store")
        all_served = sorted({r for served in self.served.values() for r in served})
        tags = {"zone": ZONE}

        self.key = EncryptionKey(
            resource_name(name, "key"),
            EncryptionKeyArgs(
                description=f"transparency-center {stack}: analysis cells' volumes",
                alias=f"tc/{stack}/analysis",
                account_id=account,
                administrators=args.key_administrators,
                via_services=("ec2",),
                teardown=args.teardown,
                service_statements=autoscaling_key_statements(account),
            ),
            opts=child,
        )
        self.roles: dict[str, Role] = {
            region: instance_role(
                resource_name(name, region, "role"),
                role_name=cell_role_name(stack, region),
                description=f"Analysis cells of {region}: read samples/ of {', '.join(self.served[region])}, "
                            "write verdicts/ only",
                account_id=account,
                session_manager=False,  # nobody opens a shell on a cell: operators see verdicts and logs
                tags={**tags, "customer-region": region},
                opts=child,
            )
            for region in args.customer_regions
        }
        self.queue_arns = {region: job_queue_arn(account, stack, region) for region in args.customer_regions}

        subnets = network.subnet_ids[ZONE]
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            resource_name(name, "s3-gateway"),
            vpc_id=network.vpc_id,
            service_name=f"com.amazonaws.{REGION}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[network.route_table_ids[ZONE]],
            policy=pulumi.Output.json_dumps(policies.cell_s3_endpoint_policy(
                account,
                [policies.objects_under(store_bucket_arn(account, stack, r), policies.SAMPLES_PREFIX) for r in all_served],
                [policies.objects_under(store_bucket_arn(account, stack, r), policies.VERDICTS_PREFIX) for r in all_served])),
            tags={"Name": f"{name}-s3-gateway", **tags},
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            resource_name(name, "cells-sg"),
            vpc_id=network.vpc_id,
            description="Analysis cells: no ingress; HTTPS to S3 (own gateway) and the job queue endpoint only",
            ingress=[],
            egress=[
                {"description": "HTTPS to S3 through the cells' gateway endpoint", "protocol": "tcp",
                 "from_port": HTTPS, "to_port": HTTPS, "prefix_list_ids": [self.s3_endpoint.prefix_list_id]},
                {"description": "HTTPS to the job queue endpoint in the zone", "protocol": "tcp",
                 "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": [network.zone_cidrs[ZONE]]},
            ],
            tags={"Name": f"{name}-cells", **tags},
            opts=child,
        )
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            resource_name(name, "queue-endpoint-sg"),
            vpc_id=network.vpc_id,
            description="The cells' SQS endpoint: HTTPS from the cells only",
            ingress=[{"description": "HTTPS from the cells", "protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS,
                      "security_groups": [self.security_group.id]}],
            egress=[],
            tags={"Name": f"{name}-queue-endpoint", **tags},
            opts=child,
        )
        self.sqs_endpoint = aws.ec2.VpcEndpoint(
            resource_name(name, "sqs-endpoint"),
            vpc_id=network.vpc_id,
            service_name=f"com.amazonaws.{REGION}.sqs",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=subnets,
            security_group_ids=[self.endpoint_security_group.id],
            policy=pulumi.Output.json_dumps(policies.cell_sqs_endpoint_policy(
                account, [self.queue_arns[r] for r in sorted(self.queue_arns)])),
            tags={"Name": f"{name}-sqs", **tags},
            opts=child,
        )
        self.failed_queues: dict[str, aws.sqs.Queue] = {
            region: aws.sqs.Queue(
                resource_name(name, region, "failed-jobs"),
                name=failed_jobs_queue_name(stack, region),
                sqs_managed_sse_enabled=True,
                message_retention_seconds=QUEUE_RETENTION_SECONDS,
                redrive_allow_policy=json.dumps({"redrivePermission": "byQueue",
                                                 "sourceQueueArns": [self.queue_arns[region]]}),
                tags={**tags, "customer-region": region},
                opts=child,
            )
            for region in args.customer_regions
        }
        self.queues: dict[str, aws.sqs.Queue] = {
            region: aws.sqs.Queue(
                resource_name(name, region, "jobs"),
                name=job_queue_name(stack, region),
                sqs_managed_sse_enabled=True,
                visibility_timeout_seconds=config.job_timeout_seconds,
                message_retention_seconds=QUEUE_RETENTION_SECONDS,
                receive_wait_time_seconds=20,
                redrive_policy=pulumi.Output.json_dumps({"deadLetterTargetArn": self.failed_queues[region].arn,
                                                         "maxReceiveCount": JOB_ATTEMPTS}),
                tags={**tags, "customer-region": region},
                opts=child,
            )
            for region in args.customer_regions
        }

        self.templates: dict[str, aws.ec2.LaunchTemplate] = {}
        self.groups: dict[str, aws.autoscaling.Group] = {}
        for region in args.customer_regions:
            user_data = self.s3_endpoint.cidr_blocks.apply(
                lambda cidrs, region=region: hosts.user_data_base64(render_cell(cell_host_values(
                    stack, account, region, self.served[region], network.zone_cidrs[ZONE], str(network.plan.supernet),
                    cidrs or [], config.job_timeout_seconds, config.analyser)).user_data))
            group_tags = {**tags, "customer-region": region, "purpose": "analysis-cell"}
            profile = self.roles[region].instance_profile
            assert profile is not None  # instance_role always makes one
            template = aws.ec2.LaunchTemplate(
                resource_name(name, region, "template"),
                name=account_name(stack, "cell", region),
                description=f"Analysis cell of {region}: one job, then terminated (IMDSv2, no key pair, no inbound)",
                image_id=args.ami_id,
                instance_type=config.instance_type,
                iam_instance_profile={"arn": profile.arn},
                metadata_options=METADATA_OPTIONS,
                vpc_security_group_ids=[self.security_group.id],
                instance_initiated_shutdown_behavior="terminate",
                block_device_mappings=[{
                    "device_name": ROOT_DEVICE_NAME,
                    "ebs": {"volume_size": 40, "volume_type": "gp3", "encrypted": "true", "kms_key_id": self.key.arn,
                            "delete_on_termination": "true"},
                }],
                ebs_optimized="true",
                monitoring={"enabled": True},
                user_data=user_data,
                update_default_version=True,
                tag_specifications=[
                    {"resource_type": "instance", "tags": {"Name": f"{name}-{region}", **group_tags}},
                    {"resource_type": "volume", "tags": {"Name": f"{name}-{region}", **group_tags}},
                ],
                tags={"Name": f"{name}-{region}", **group_tags},
                opts=child,
            )
            self.templates[region] = template
            self.groups[region] = aws.autoscaling.Group(
                resource_name(name, region, "cells"),
                name=account_name(stack, "cells", region),
                min_size=config.cells_per_region,
                max_size=config.cells_per_region,
                desired_capacity=config.cells_per_region,
                vpc_zone_identifiers=subnets,
                launch_template={"id": template.id, "version": template.latest_version.apply(str)},
                max_instance_lifetime=config.max_lifetime_seconds,
                health_check_type="EC2",
                health_check_grace_period=0,
                service_linked_role_arn=service_linked_role_arn(account, "autoscaling", AUTOSCALING_ROLE),
                tags=[{"key": k, "value": v, "propagate_at_launch": True} for k, v in sorted(group_tags.items())],
                opts=child,
            )
        self.register_outputs({
            "keyArn": self.key.arn,
            "s3EndpointId": self.s3_endpoint.id,
            "sqsEndpointId": self.sqs_endpoint.id,
            "cellRoleArns": {region: role.arn for region, role in sorted(self.roles.items())},
            "jobQueueArns": {region: queue.arn for region, queue in sorted(self.queues.items())},
            "failedJobQueueArns": {region: queue.arn for region, queue in sorted(self.failed_queues.items())},
            "cellGroups": {region: group.name for region, group in sorted(self.groups.items())},
        })

    def cells_serving(self, region: str) -> list[pulumi.Output[str]]:
        """The cell roles that read `region`'s samples: its own, and those that also serve it."""
        return [self.roles[r].arn for r in sorted(self.served) if region in self.served[r]]

    def serve(self, stores: Mapping[str, "StoreView"], configurers: Sequence[str], bucket_events_enabled: bool) -> None:
        """Wire the stores to the cells: each store's `samples/` events reach its region's queue
        through an EventBridge rule (pinned: only that rule sends, only the region's cells take
        jobs), and each cell role may read `samples/` and write `verdicts/` of the stores it
        serves, and take those stores' jobs. S3 keeps one notification configuration per bucket:
        when the intake's (its broker's `stored` notice) also sends the store's events to
        EventBridge (`bucket_events_enabled`), the cells declare none; otherwise they declare it."""
        account, stack = self._args.account_id, self._args.stack
        for region, store in sorted(stores.items()):
            queue, child = self.queues[region], pulumi.ResourceOptions(parent=self)
            rule_name = sample_events_rule_name(stack, region)
            rule = aws.cloudwatch.EventRule(
                resource_name(self._name, region, "sample-events"),
                name=rule_name,
                description=f"New samples of the {region} store become jobs of its analysis cells",
                event_pattern=pulumi.Output.json_dumps({
                    "source": ["aws.s3"], "detail-type": [S3_OBJECT_CREATED_DETAIL_TYPE],
                    "detail": {"bucket": {"name": [store.bucket_name]},
                               "object": {"key": [{"prefix": policies.SAMPLES_PREFIX}]}}}),
                opts=child,
            )
            policy = aws.sqs.QueuePolicy(
                resource_name(self._name, region, "jobs-policy"),
                queue_url=queue.id,
                policy=pulumi.Output.json_dumps(policies.job_queue_policy(
                    queue.arn, event_rule_arn(account, rule_name), self.cells_serving(region), configurers)),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                resource_name(self._name, region, "sample-events-jobs"),
                rule=rule.name, arn=queue.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
            failed = self.failed_queues[region]
            aws.sqs.QueuePolicy(
                resource_name(self._name, region, "failed-jobs-policy"),
                queue_url=failed.id,
                policy=pulumi.Output.json_dumps(policies.failed_jobs_queue_policy(failed.arn, configurers)),
                opts=child,
            )
            if not bucket_events_enabled:
                aws.s3.BucketNotification(
                    resource_name(self._name, region, "bucket-events"), bucket=store.bucket.id, eventbridge=True,
                    opts=child,
                )
        for region, role in sorted(self.roles.items()):
            served = [stores[r] for r in self.served[region]]
            role.add_policy("analyze-samples", [
                policies.statement("ReadSamples", policies.S3_READ_ACTIONS,
                                   [policies.objects_under(s.bucket_arn, policies.SAMPLES_PREFIX) for s in served]),
                policies.statement("WriteVerdicts", policies.S3_WRITE_ACTIONS,
                                   [policies.objects_under(s.bucket_arn, policies.VERDICTS_PREFIX) for s in served]),
                policies.statement("UseStoreKeysThroughS3", ["kms:Decrypt", "kms:GenerateDataKey"],
                                   [s.key_arn for s in served],
                                   conditions={"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}),
                policies.statement("TakeJobs", policies.SQS_JOB_ACTIONS,
                                   [self.queues[r].arn for r in self.served[region]]),
            ])


class StoreView:  # pragma: no cover - a typing protocol for serve(): RegionalDataStore has these
    bucket: object
    bucket_name: str
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]


def autoscaling_key_statements(account_id: str) -> list[dict]:
    """Auto Scaling's service-linked role launches the cells: it uses the volume key through EC2
    and grants it to the instances' volumes (the documented key policy for encrypted ASG volumes)."""
    # Named by aws:PrincipalArn under the account root (the role is AWS's, not the plan's).
    root = {"AWS": f"arn:{PARTITION}:iam::{account_id}:root"}
    slr = {"ArnEquals": {"aws:PrincipalArn": service_linked_role_arn(account_id, "autoscaling", AUTOSCALING_ROLE)}}
    via_ec2 = {"StringEquals": {"kms:ViaService": f"ec2.{REGION}.amazonaws.com", "kms:CallerAccount": account_id}}
    return [
        policies.key_statement("AutoScalingUsesVolumeKey",
                               ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                                "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
                               root, conditions={**via_ec2, **slr}),
        policies.key_statement("AutoScalingGrantsToVolumes", ["kms:CreateGrant"], root,
                               conditions={**via_ec2, **slr, "Bool": {"kms:GrantIsForAWSResource": "true"}}),
    ]
