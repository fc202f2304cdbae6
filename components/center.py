"""TransparencyCenter: composes the zones and wires their grants. Nothing else.

Order matters only where one zone hands another something to use: the audit store
comes first (everyone logs to it), the trail last (it watches every bucket).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .audit import AuditLogStore, AuditLogStoreArgs
from .config import CenterConfig
from .config.base import REGION
from .layout import default_tags, resource_name
from .network import NetworkZones, NetworkZonesArgs
from .teardown import Teardown


class TransparencyCenter(pulumi.ComponentResource):
    def __init__(self, name: str, config: CenterConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:index:TransparencyCenter", name, None, opts)
        self.config = config
        stack = config.stack
        account = config.access.account_id
        teardown = Teardown.for_environment(config.environment)
        admins = tuple(config.access.key_administrators)
        plan = config.network_plan()

        def provider(zone: str) -> aws.Provider:
            """One provider per area: region pinned, account pinned, the zone in default tags."""
            return aws.Provider(
                resource_name(name, "aws", zone),
                region=REGION,
                sts_region=REGION,
                allowed_account_ids=[account],
                default_tags={"tags": default_tags(stack, zone)},
                opts=pulumi.ResourceOptions(parent=self),
            )

        def area(zone: str) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, providers={"aws": provider(zone)})

        self.audit_store = AuditLogStore(
            resource_name(name, "audit"),
            AuditLogStoreArgs(stack=stack, account_id=account, key_administrators=admins,
                              config=config.audit, teardown=teardown),
            opts=area("audit"),
        )
        self.network = NetworkZones(
            resource_name(name, "network"),
            NetworkZonesArgs(plan=plan, account_id=account, flow_log_key=self.audit_store.key,
                             flow_log_retention_days=config.network.flow_log_retention_days,
                             flow_log_traffic=config.network.flow_log_traffic),
            opts=area("network"),
        )

        # --- build zone: BuildFleet (source mirror, artifact bucket, builders) ---------------

        # --- signing zone: SigningService (kms | cloudhsm), release bucket --------------------

        # --- data zone: one RegionalDataStore per customer region ----------------------------

        # --- reviewer zones: one ReviewerZone per organization -------------------------------

        # --- audit trail: last, because it watches every bucket declared above ---------------

        self.exports = {
            "environment": config.environment,
            "region": REGION,
            "vpcId": self.network.vpc_id,
            "zoneCidrs": self.network.zone_cidrs,
            "subnetIds": self.network.subnet_ids,
            "routeTableIds": self.network.route_table_ids,
            "s3GatewayEndpointId": self.network.s3_endpoint.id,
            "interfaceEndpointIds": {svc: ep.id for svc, ep in self.network.interface_endpoints.items()},
            "flowLogGroup": self.network.flow_log_group.name,
            "auditKeyArn": self.audit_store.key.arn,
            "auditArchiveBucket": self.audit_store.archive.bucket_name,
            "accessLogBucket": self.audit_store.access_logs.bucket_name,
        }
        # --- exports of the zones above: self.exports.update({...}) in each zone's block -----
        self.register_outputs(self.exports)
