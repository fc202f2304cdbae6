"""TransparencyCenter: composes the zones and wires their grants. Nothing else.

Order matters only where one zone hands another something to use: the audit store
comes first (everyone logs to it), the trail last (it watches every bucket).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .analysis import AnalysisCells, AnalysisCellsArgs
from .audit import AuditLogStore, AuditLogStoreArgs, AuditTrail, AuditTrailArgs
from .audit import log_group_name as audit_log_group_name
from .build import BuildFleet, BuildFleetArgs
from .config import CenterConfig
from .awsfacts import REGION, log_group_arn, role_arn
from .data import RegionalDataStore, RegionalDataStoreArgs
from .layout import default_tags, resource_name, reviewer_zone_name
from .network import NetworkZones, NetworkZonesArgs
from .detective import DetectiveControls, DetectiveControlsArgs
from .intake import IntakeEdge, IntakeEdgeArgs, store_intake
from .distribution import Distribution, DistributionArgs
from .evidence_delivery import EvidenceDelivery, EvidenceDeliveryArgs, evidence_organizations
from .reviewers import ReviewMaterial, ReviewerZone, ReviewerZoneArgs, grant_log_group_read, reach_as_dict
from .signing import RELEASE_RECORDS_PREFIX, SigningService, SigningServiceArgs
from . import policies
from .policies import NamedObjectAccess
from .principals import center_principals
from .teardown import Teardown
from .transparency import TransparencyLog, TransparencyLogArgs, signer_log_config


def localstack_settings(config: CenterConfig) -> dict:
    """Provider settings for the `local` stack: every service at the LocalStack endpoint,
    no credential, account or metadata checks, path-style S3. Empty for real stacks."""
    if config.localstack is None:
        return {}
    from .config.localstack import LOCALSTACK_SERVICES

    url = config.localstack.endpoint
    return {
        "endpoints": [{service: url for service in LOCALSTACK_SERVICES}],
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
        # LocalStack accepts any keys; fixed ones keep real AWS credentials away from the emulator.
        "access_key": "test",
        "secret_key": "test",
    }


class TransparencyCenter(pulumi.ComponentResource):
    def __init__(self, name: str, config: CenterConfig, opts: pulumi.ResourceOptions | None = None):
        teardown = Teardown.for_environment(config.environment, config.access.break_glass_role)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[teardown.keep_stateful]))
        super().__init__("transparency-center:index:TransparencyCenter", name, None, opts)
        self.config = config
        stack = config.stack
        account = config.access.account_id
        admins = tuple(config.access.key_administrators)
        plan = config.network_plan()
        # Every principal the plan names; resource policies admit these and nobody else.
        self.principals = principals = center_principals(config)
        emptier = principals.deployer if teardown.force_destroy("stateful") else None

        providers: dict[str, aws.Provider] = {}

        def provider(zone: str) -> aws.Provider:
            """One provider per area: region pinned, account pinned, the zone in default tags."""
            if zone in providers:
                return providers[zone]
            providers[zone] = aws.Provider(
                resource_name(name, "aws", zone),
                region=REGION,
                sts_region=REGION,
                allowed_account_ids=[account],
                default_tags={"tags": default_tags(stack, zone)},
                **localstack_settings(config),
                opts=pulumi.ResourceOptions(parent=self),
            )
            return providers[zone]

        def area(zone: str) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, providers={"aws": provider(zone)})

        self.audit_store = AuditLogStore(
            resource_name(name, "audit"),
            AuditLogStoreArgs(stack=stack, account_id=account, key_administrators=admins,
                              config=config.audit, teardown=teardown,
                              config_delivery=config.detective.enabled and config.audit.log_archive is None,
                              archive_access=NamedObjectAccess(
                                  # Every reviewer reads its own transcripts (and, with audit-logs, the trail);
                                  # the sequencer reads the release records it logs; hosts write session
                                  # transcripts, signers release records; nobody deletes.
                                  readers=tuple(sorted({*principals.reviewers.values(), *principals.workstations.values(),
                                                        *([principals.sequencer] if principals.sequencer else [])})),
                                  writers=principals.session_hosts(),
                                  deleters=(emptier,) if emptier else (),
                                  configurers=tuple(p for p in (principals.deployer, principals.break_glass) if p)),
                              remote_readers=principals.remote_readers_of("audit-logs"),
                              emptier=emptier),
            opts=area("audit"),
        )
        self.network = NetworkZones(
            resource_name(name, "network"),
            NetworkZonesArgs(stack=stack, plan=plan, account_id=account, flow_log_key=self.audit_store.key, teardown=teardown,
                             flow_log_retention_days=config.network.flow_log_retention_days,
                             flow_log_traffic=config.network.flow_log_traffic),
            opts=area("network"),
        )
        self.audit_store.admit_only_through_center(self.network.s3_endpoint.id)

        # --- build zone: BuildFleet (source mirror, artifact bucket, builders) ---------------
        self.build = BuildFleet(
            resource_name(name, "build"),
            BuildFleetArgs(stack=stack, account_id=account, key_administrators=admins, config=config.build,
                           network=self.network, access_log_bucket=self.audit_store.access_logs, teardown=teardown,
                           deployer=principals.deployer, source_mirror_writer=principals.source_mirror_writer,
                           configurers=tuple(p for p in (principals.deployer, principals.break_glass) if p),
                           remote_source_readers=principals.remote_readers_of("sources"),
                           remote_artifact_readers=principals.remote_readers_of("builds")),
            opts=area("build"),
        )
        build_exports: dict[str, pulumi.Input] = {
            "buildKeyArn": self.build.key.arn,
            "sourceMirrorBucket": self.build.source_mirror.bucket_name,
            "buildArtifactsBucket": self.build.artifacts.bucket_name,
            "builderInstanceIds": self.build.instance_ids,
            "builderAvailabilityZones": self.build.builder_azs,
            "builderRoleArns": {pool: role.arn for pool, role in sorted(self.build.roles.items())},
            "builderSecurityGroupId": self.build.security_group.id,
        }

        # --- signing zone: SigningService (kms | cloudhsm), release bucket --------------------
        self.signing = SigningService(
            resource_name(name, "signing"),
            SigningServiceArgs(stack=stack, account_id=account, key_administrators=admins, config=config.signing,
                               teardown=teardown, plan=plan, network=self.network,
                               access_log_bucket=self.audit_store.access_logs, build=self.build,
                               ami_id=config.build.ami_id, release_record_archive=self.audit_store.archive,
                               deployer=principals.deployer, remote_readers=principals.remote_readers_of("signatures"),
                               # with a transparency log, signers hand out only logged, cosigned releases
                               log_configs={c: signer_log_config(stack, account, config.transparency, c)
                                            for c in config.transparency.verification}
                               if config.transparency.enabled else {}),
            opts=area("signing"),
        )
        signing_exports: dict[str, pulumi.Input] = {
            "signingBackend": self.signing.backend,
            "releaseBucket": self.signing.release_bucket.bucket_name,
            "signerRoleArns": {c: role.arn for c, role in sorted(self.signing.signers.items())},
            "signerInstanceIds": {c: host.instance_ids for c, host in sorted(self.signing.signer_hosts.items())},
        }
        if self.signing.keys:  # public keys: `aws kms get-public-key --key-id <arn>`
            signing_exports["signingKeyArns"] = {c: key.arn for c, key in sorted(self.signing.keys.items())}
            signing_exports["signingKeyAliases"] = {c: key.alias_name for c, key in sorted(self.signing.keys.items())}
        if self.signing.cluster is not None:
            signing_exports.update({
                "cloudHsmClusterId": self.signing.cluster.cluster_id,
                "cloudHsmSecurityGroupId": self.signing.cluster.security_group_id,
                "cloudHsmHsmIds": [hsm.hsm_id for hsm in self.signing.hsms],
                "cloudHsmHsmAddresses": self.signing.hsm_addresses,
                "cloudHsmInitialized": self.signing.initialized,
            })

        # Operators' sessions on builders and signer hosts are logged like reviewers' are.
        for role in [*self.build.roles.values(), *self.signing.signers.values()]:
            self.audit_store.grant_operator_session_logging(role)

        # --- analysis zone: cells that read samples/ and write verdicts/ (issue 28) -----------
        # Declared before the stores: their key and bucket policies name the cell roles and the
        # zone's own S3 gateway endpoint. The AV-database builders read verdicts/ only.
        self.analysis: AnalysisCells | None = None
        verdict_readers: tuple = ()
        av_builders = [b for b in sorted(self.build.roles)
                       if self.build.builder_pool[b] in self.build.pools_for("av-databases")]
        if config.analysis.enabled:
            self.analysis = AnalysisCells(
                resource_name(name, "analysis"),
                AnalysisCellsArgs(stack=stack, account_id=account, key_administrators=admins, config=config.analysis,
                                  customer_regions=tuple(config.data_stores.customer_regions), network=self.network,
                                  teardown=teardown, ami_id=config.analysis.ami_id or config.build.ami_id),
                opts=area("analysis"),
            )
            verdict_readers = tuple(self.build.roles[b].arn for b in av_builders)

        # --- data zone: one RegionalDataStore per customer region ----------------------------
        data_area = area("data")
        self.data_stores: dict[str, RegionalDataStore] = {
            region: RegionalDataStore(
                resource_name(name, "data", region),
                RegionalDataStoreArgs(
                    stack=stack, account_id=account, customer_region=region, key_administrators=admins,
                    config=config.data_stores, teardown=teardown,
                    access_log_bucket=self.audit_store.access_logs, s3_endpoint_id=self.network.s3_endpoint.id,
                    dynamodb_endpoint_id=self.network.dynamodb_endpoint.id,
                    intake=store_intake(config.intake, region) if config.intake else None,
                    deployer=principals.deployer, break_glass=principals.break_glass,
                    data_deletion=principals.data_deletion,
                    observers=tuple(sorted({*principals.reviewers.values(), *principals.workstations.values()})),
                    **({"cells": tuple(self.analysis.cells_serving(region)), "verdict_readers": verdict_readers,
                        "cell_s3_endpoint_id": self.analysis.s3_endpoint.id} if self.analysis is not None else {}),
                ),
                opts=data_area,
            )
            for region in config.data_stores.customer_regions
        }
        analysis_exports: dict[str, pulumi.Input] = {}
        if self.analysis is not None:
            self.analysis.serve(self.data_stores, tuple(p for p in (principals.deployer, principals.break_glass) if p),
                                bucket_events_enabled=config.intake is not None)  # the intake's notification sends them
            for store in self.data_stores.values():  # the AV-database builders read verdicts/ and nothing else
                for builder in av_builders:
                    store.bucket.grant_read(self.build.roles[builder], policies.VERDICTS_PREFIX)
            analysis_exports = {
                "analysisCellRoleArns": {r: role.arn for r, role in sorted(self.analysis.roles.items())},
                "analysisJobQueueArns": {r: q.arn for r, q in sorted(self.analysis.queues.items())},
                "analysisS3EndpointId": self.analysis.s3_endpoint.id,
                "analysisSqsEndpointId": self.analysis.sqs_endpoint.id,
            }

        # --- sample intake: products send suspicious files to their region's store ---------
        self.intake: IntakeEdge | None = None
        if config.intake is not None:
            self.intake = IntakeEdge(
                resource_name(name, "intake"),
                IntakeEdgeArgs(
                    stack=stack, account_id=account, key_administrators=admins, config=config.intake,
                    teardown=teardown, stores=self.data_stores, vpc_id=self.network.vpc_id,
                    subnet_ids=self.network.subnet_ids["data"],
                    s3_prefix_list_id=self.network.s3_endpoint.prefix_list_id,
                    dynamodb_prefix_list_id=self.network.dynamodb_endpoint.prefix_list_id,
                    access_log_bucket=self.audit_store.access_logs, log_retention_days=config.audit.log_retention_days,
                    store_events_to_eventbridge=self.analysis is not None,
                ),
                # The data zone's front door: its brokers run in the data zone, and reviewers are denied
                # whatever carries zone=data (the access log names clients; rule sets reach them signed).
                opts=data_area,
            )

        # --- transparency log: bucket, checkpoint key, sequencer (signing zone), one witness role
        # and cosignature prefix per reviewer organization (docs/transparency-infrastructure.md)
        self.transparency: TransparencyLog | None = None
        transparency_exports: dict[str, pulumi.Input] = {}
        if config.transparency.enabled:
            self.transparency = TransparencyLog(
                resource_name(name, "transparency"),
                TransparencyLogArgs(
                    stack=stack, account_id=account, key_administrators=admins, config=config.transparency,
                    teardown=teardown, plan=plan, network=self.network, access_log_bucket=self.audit_store.access_logs,
                    release_bucket=self.signing.release_bucket, release_records=self.audit_store.archive,
                    release_record_prefix=RELEASE_RECORDS_PREFIX,
                    organizations=tuple(config.reviewers.organizations), ami_id=config.build.ami_id,
                    customer_data=tuple(self.data_stores.values()),
                ),
                opts=area("transparency"),
            )
            log = self.transparency
            transparency_exports = {
                "transparencyLogBucket": log.bucket_name,
                "transparencyLogOrigin": log.origin,
                "transparencyLogKeyArn": log.key.arn,
                "transparencyCheckpointKeyArn": log.signing_key.arn,
                "transparencyCheckpointKeyAlias": log.signing_key_alias,
                "transparencySequencerRoleArn": log.sequencer.arn,
                "transparencySequencerInstanceIds": log.host.instance_ids,
                "transparencyCosignaturePrefixes": {org: prefix for org, _, prefix in log.cosigners},
                "transparencyWitnessRoleArns": {org: role.arn for org, role in sorted(log.witness_roles.items())},
                "transparencyWitnessKeys": {w.organization: list(w.keys) for w in config.transparency.witnesses},
                "transparencyVerification": dict(config.transparency.verification),
                "transparencyPublicUrl": (pulumi.Output.concat("https://", log.distribution.domain_name, "/")
                                          if log.distribution is not None else None),
            }

        if self.transparency is not None:  # its sequencer's operator sessions are logged too
            self.audit_store.grant_operator_session_logging(self.transparency.sequencer)
            # Signers read the (public) log and its key to make each release's .tlog-proof.
            for signer in self.signing.signers.values():
                self.transparency.grant_read(signer)
                self.transparency.grant_verify(signer)
            if self.intake is not None:  # it appends the approved collection rule sets the publisher leaves
                self.intake.grant_log_pending_read(self.transparency.sequencer)

        # --- distribution: one TUF repository per class, the publisher (signing zone), the
        # online keys in KMS, an optional CDN (docs/distribution.md)
        self.distribution: Distribution | None = None
        distribution_exports: dict[str, pulumi.Input] = {}
        if config.distribution.enabled:
            self.distribution = Distribution(
                resource_name(name, "distribution"),
                DistributionArgs(
                    stack=stack, account_id=account, key_administrators=admins, config=config.distribution,
                    teardown=teardown, plan=plan, network=self.network, access_log_bucket=self.audit_store.access_logs,
                    release_bucket=self.signing.release_bucket,
                    log_bucket=self.transparency.bucket if self.transparency else None, ami_id=config.build.ami_id),
                opts=area("distribution"),
            )
            dist = self.distribution
            self.audit_store.grant_operator_session_logging(dist.publisher)
            distribution_exports = {
                "distributionBuckets": {c: b.bucket_name for c, b in sorted(dist.buckets.items())},
                "distributionPublisherRoleArn": dist.publisher.arn,
                "distributionOnlineKeyArns": {f"{c}/{r}": k.arn for (c, r), k in sorted(dist.keys.items())},
                "distributionUrls": {c: pulumi.Output.concat("https://", d.domain_name, "/")
                                     for c, d in sorted(dist.cdns.items())} or None,
            }

        # --- reviewer zones: one ReviewerZone per organization -------------------------------
        # Scopes map to what the zones above expose; a zone that exposes nothing for a scope
        # simply grants nothing (extension point: add its ReviewMaterial here).
        logs_endpoint_id = self.network.interface_endpoints["logs"].id
        trail_log_group_arn = log_group_arn(account, audit_log_group_name(stack, 'cloudtrail'))
        audit_log_group_arns = [trail_log_group_arn, self.network.flow_log_group.arn,
                                self.audit_store.session_log_group.arn]
        review_materials = [
            ReviewMaterial("sources", "source-mirror", self.build.grant_read_sources),
            ReviewMaterial("builds", "build-artifacts", self.build.grant_read_artifacts),
            ReviewMaterial("signatures", "signed-releases", self.signing.grant_read_releases),
            # KMS keys: GetPublicKey and Verify. CloudHSM: the public keys are objects of the release
            # bucket (releases/<class>/public-key.pem), which signed-releases already reads.
            *([ReviewMaterial("signatures", "public-keys-and-verify", self.signing.grant_verify)]
              if self.signing.keys else []),
            ReviewMaterial("audit-logs", "audit-archive",
                           lambda role: self.audit_store.grant_read_audit_records(role, RELEASE_RECORDS_PREFIX)),
            # Organizations without workstations read from their own account: no endpoint condition.
            ReviewMaterial("audit-logs", "audit-log-groups",
                           lambda role: grant_log_group_read(
                               role, "audit-log-groups", audit_log_group_arns,
                               "" if role_arn(account, role.role_name) in principals.remote_reviewers else logs_endpoint_id)),
        ]
        self.reviewer_zones: dict[str, ReviewerZone] = {}
        for org in config.reviewers.organizations:
            zone_name = reviewer_zone_name(org.name)
            self.reviewer_zones[org.name] = ReviewerZone(
                resource_name(name, zone_name),
                ReviewerZoneArgs(
                    stack=stack, account_id=account, key_administrators=admins, teardown=teardown,
                    organization=org, session=config.reviewers.session, plan=plan, flows=self.network.flows,
                    vpc_id=self.network.vpc_id, subnet_ids=self.network.subnet_ids[zone_name],
                    s3_prefix_list_id=self.network.s3_endpoint.prefix_list_id,
                    s3_cidrs=self.network.s3_endpoint.cidr_blocks,
                    session_log_bucket=self.audit_store.session_log_bucket,
                    session_log_prefix=self.audit_store.session_log_prefix,
                    session_log_group=self.audit_store.organization_session_log_group(org.name),
                    logs_endpoint_id=logs_endpoint_id,
                    materials=tuple(m for m in review_materials if m.scope in org.scopes),
                    customer_data=tuple(self.data_stores.values()),
                    workstation_ami_id=config.reviewers.workstation_ami_id or config.build.ami_id,
                ),
                opts=area(zone_name),
            )
        reviewer_exports: dict[str, pulumi.Input] = {
            "reviewerRoleArns": {org: zone.role.arn for org, zone in self.reviewer_zones.items()},
            "reviewerSecurityGroupIds": {org: zone.security_group.id for org, zone in self.reviewer_zones.items()
                                         if zone.security_group is not None},
            "reviewerSessionDocuments": {org: zone.document_name for org, zone in self.reviewer_zones.items()},
            "reviewerWorkstationIds": {org: zone.workstation_ids for org, zone in self.reviewer_zones.items()},
            "reviewerReach": {org: [reach_as_dict(r) for r in zone.reach] for org, zone in self.reviewer_zones.items()},
        }

        # --- audit trail: last, because it watches every bucket declared above ---------------
        # S3 data events (who read or wrote which object) for every customer data store, the
        # source mirror, build artifacts and releases; add any bucket reviewers must be able
        # to account for.
        self.trail_watched_bucket_arns: list[pulumi.Input[str]] = [
            *(store.bucket_arn for store in self.data_stores.values()),
            self.build.source_mirror.arn,
            self.build.artifacts.arn,
            self.signing.release_bucket.arn,
            *([self.intake.bucket.arn] if self.intake else []),
            *([self.transparency.bucket.arn] if self.transparency else []),
            *([b.arn for _, b in sorted(self.distribution.buckets.items())] if self.distribution else []),
        ]
        self.audit_trail = AuditTrail(
            resource_name(name, "audit-trail"),
            AuditTrailArgs(stack=stack, account_id=account, store=self.audit_store, config=config.audit,
                           teardown=teardown, watched_bucket_arns=tuple(self.trail_watched_bucket_arns),
                           watched_table_arns=tuple(store.table_arn for store in self.data_stores.values()),
                           watched_read_table_arns=tuple(store.intake_table_arn for store in self.data_stores.values()
                                                         if store.intake_table is not None),
                           written_archive_prefixes=(RELEASE_RECORDS_PREFIX,)),
            opts=area("audit"),
        )

        # --- evidence the owner cannot hold back: each reviewer organization's own account ---
        self.evidence: EvidenceDelivery | None = None
        receivers = evidence_organizations(config.reviewers.organizations)
        if receivers:
            self.evidence = EvidenceDelivery(
                resource_name(name, "evidence"),
                EvidenceDeliveryArgs(stack=stack, account_id=account, organizations=receivers,
                                     event_selectors=self.audit_trail.selectors),
                opts=area("audit"),
            )

        # --- detective controls: baselines, Config, Security Hub, GuardDuty, alarms ---------
        # AWS Config delivers to the organization's log archive when the stack names one.
        log_archive = config.audit.log_archive
        self.detective: DetectiveControls | None = None
        if config.detective.enabled:
            self.detective = DetectiveControls(
                resource_name(name, "detective"),
                DetectiveControlsArgs(
                    stack=stack, account_id=account, key_administrators=admins, config=config.detective,
                    teardown=teardown, trail_log_group_name=self.audit_trail.log_group.name,
                    delivery_bucket=log_archive.bucket if log_archive else self.audit_store.archive.bucket.id,
                    delivery_key_arn=log_archive.key if log_archive else self.audit_store.key.arn,
                    delivery_depends_on=() if log_archive else (self.audit_store.archive.policy,),
                    reviewer_contacts=tuple(org.contact for org in config.reviewers.organizations),
                    break_glass_role=principals.break_glass,
                ),
                opts=area("detective"),
            )

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
            # The principals the plan names outside its own roles (config): the resource policies
            # admit them, the organization's SCPs exempt them.
            "deployRoleArn": principals.deployer,
            **({"breakGlassRoleArn": principals.break_glass} if principals.break_glass else {}),
            "accessLogBucket": self.audit_store.access_logs.bucket_name,
        }
        # --- exports of the zones above: self.exports.update({...}) in each zone's block -----
        self.exports.update(build_exports)  # build zone
        self.exports.update(signing_exports)  # signing zone
        self.exports.update(transparency_exports)  # transparency log
        self.exports.update(distribution_exports)  # update repositories
        self.exports.update(reviewer_exports)  # reviewer zones
        self.exports.update(analysis_exports)  # analysis zone
        self.exports.update({  # data zone and audit trail
            "dataStoreBuckets": {region: store.bucket_name for region, store in self.data_stores.items()},
            "dataStoreTables": {region: store.table_name for region, store in self.data_stores.items()},
            "dataStoreKeyArns": {region: store.key_arn for region, store in self.data_stores.items()},
            "trailArn": self.audit_trail.arn,
            "trailLogGroup": self.audit_trail.log_group.name,
            "sessionLogBucket": self.audit_store.session_log_bucket.bucket_name,
            "sessionLogPrefix": self.audit_store.session_log_prefix,
            "sessionLogGroup": self.audit_store.session_log_group.name,
            "operatorSessionDocument": self.audit_store.operator_session_document.name,
        })
        if self.intake is not None:
            self.exports.update(self.intake.exports)  # sample intake
        if self.evidence is not None:
            self.exports["evidenceTrails"] = {org: trail.arn for org, trail in self.evidence.trails.items()}
        if self.detective is not None:
            self.exports.update({  # detective controls
                "alertTopicArn": self.detective.alert_topic.arn,
                "configRecorder": self.detective.recorder.name,
                "guardDutyDetectorId": self.detective.detector.id,
                "ebsDefaultKeyArn": self.detective.ebs_key.arn,
            })
        self.register_outputs(self.exports)
