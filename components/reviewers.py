"""ReviewerZone: one isolated network zone per independent reviewer organization.

The zone's subnets, route table and NACL are declared by NetworkZones (from
`layout.zone_flows`). A ReviewerZone adds what belongs to the organization:

- its security group, whose rules are generated from the same flows as the NACL (egress
  HTTPS to the endpoints zone and the S3 prefix list; ingress only from its own Client VPN
  endpoint, when it has one);
- optional review workstations (HardenedHost, templates/workstation/);
- the access path: SSM Session Manager with the organization's own session preferences
  document (S3 and CloudWatch logging, both KMS-encrypted, idle timeout, maximum
  duration), and an optional Client VPN endpoint with mutual TLS;
- the reviewer role: read-only on the material the organization's scopes name (granted by
  the caller through `ReviewMaterial.grant`), explicit denies on customer data and
  kms:Sign, and a permission boundary so the role cannot be widened by accident.

`reviewer_reach` exposes, as data, which zone a reviewer zone may reach on which ports.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import pulumi
import pulumi_aws as aws

from . import hosts, policies
from .awsfacts import arn, bucket_arn, ec2_arn, key_arn, ssm_document_arn, table_arn, trail_arn
from .config.base import REGION
from .config.reviewers import ReviewScope, ReviewerOrgConfig, SessionConfig
from .iam import Role, RoleArgs, instance_role
from .kms import EncryptionKey, EncryptionKeyArgs
from .layout import Flow, HTTPS, S3_GATEWAY, NetworkPlan, account_name, reviewer_zone_name, resource_name
from .storage import SecureBucket
from .sessions import session_preferences
from .teardown import Teardown

ORGANIZATION_TAG = "reviewer-organization"
MIN_ROLE_SESSION_SECONDS, MAX_ROLE_SESSION_SECONDS = 3600, 43200
"""IAM's limits on a role's maximum session duration."""


@dataclass(frozen=True)
class ReviewMaterial:
    """Something a scope lets a reviewer read, and how to grant it (CDK-style intent).
    center.py maps scopes to these from whatever the other zones expose."""

    scope: ReviewScope
    label: str
    """Short and unique per organization, e.g. `source-mirror`; names nothing in AWS."""
    grant: Callable[[Role], Any]
    """Grants read-only access to the role (e.g. `bucket.grant_read`, `key.grant_verify`)."""


class CustomerDataStore(Protocol):
    """What a reviewer is denied: a customer data store's bucket, table and key
    (components.data.RegionalDataStore has these)."""

    bucket_arn: pulumi.Output[str]
    table_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]


def organization_trust_policy(org: ReviewerOrgConfig, center_account: str) -> dict[str, Any]:
    """Who may act for a reviewer organization (its reviewer role, its witness role): the
    organization's own account when it has one (it decides who its people are), else the
    named roles of the center's account (dev and staging)."""
    if org.account_id:
        return policies.reviewer_account_trust_policy(org.account_id, org.trusted_principals)
    return policies.reviewer_trust_policy(org.trusted_principals, center_account)


@dataclass(frozen=True)
class DeniedData:
    """What a reviewer is denied: `stores` (buckets, tables, keys) but reading their configuration,
    and `contents` (objects, table indexes and streams) entirely."""

    stores: tuple[pulumi.Input[str], ...]
    contents: tuple[pulumi.Input[str], ...]
    key_aliases: tuple[str, ...] = ()
    """Alias patterns of the data keys (kms:ResourceAliases): denied by alias, not by ARN."""


def denied_resources(stores: Sequence[CustomerDataStore], account_id: str = "", stack: str = "") -> DeniedData:
    """Every ARN a reviewer is denied: buckets and their objects, tables and their indexes and
    streams, keys. A reviewer may still read how a store is guarded (its bucket, table and key
    policies), which is what it verifies. With `account_id` and `stack`, buckets and tables are
    named by the data stores' name patterns (shorter: the boundary is a managed policy of at
    most 6,144 characters; and wider: a store added later is denied too), and keys by their
    alias pattern (a data key's own policy admits its store's roles only besides)."""
    if not stores:
        return DeniedData((), ())
    if account_id and stack:
        from .data import store_bucket_pattern, store_table_pattern

        # Keys by their aliases (kms:ResourceAliases: one pattern for every store's key).
        from .data import store_key_alias_pattern

        buckets, tables, keys = [store_bucket_pattern(account_id, stack)], [store_table_pattern(account_id, stack)], []
        aliases: tuple[str, ...] = (store_key_alias_pattern(stack),)
    else:
        buckets, tables, keys = [s.bucket_arn for s in stores], [s.table_arn for s in stores], [s.key_arn for s in stores]
        aliases = ()
    return DeniedData(tuple([*buckets, *tables, *keys]),
                      tuple(pulumi.Output.concat(arn, "/*") if not isinstance(arn, str) else f"{arn}/*"
                            for arn in (*buckets, *tables)), aliases)


@dataclass(frozen=True)
class Reach:
    """One connection a reviewer zone may open (or accept), as shown to reviewers."""

    source: str
    destination: str
    ports: tuple[int, int]
    purpose: str


def reviewer_reach(zone: str, flows: Sequence[Flow], client_vpn: bool) -> tuple[Reach, ...]:
    """Every connection into or out of a reviewer zone: the network's flows that name it,
    plus its own Client VPN endpoint to its workstations. Anything else is denied."""
    reach = [Reach(f.source, f.destination, f.ports, f.purpose) for f in flows if zone in (f.source, f.destination)]
    if client_vpn:
        reach.append(Reach(f"{zone}:client-vpn", zone, (HTTPS, HTTPS), "reviewers' desktop tools to their workstations"))
    return tuple(sorted(reach, key=lambda r: (r.source, r.destination, r.ports)))


def reach_violations(zone: str, plan: NetworkPlan, reach: Sequence[Reach]) -> list[str]:
    """Isolation rules of a reviewer zone: only endpoints, S3 and itself."""
    allowed = {zone, f"{zone}:client-vpn", "endpoints", S3_GATEWAY}
    problems = [f"{r.source} -> {r.destination} {r.ports}: {zone} may reach only the endpoints, S3 and its own workstations"
                for r in reach if {r.source, r.destination} - allowed]
    problems += [f"{r.source} -> {r.destination}: another reviewer zone" for r in reach
                 if any(z.split(":")[0] != zone and z.startswith("reviewer-") for z in (r.source, r.destination))]
    if not any(z.name == zone for z in plan.zones):
        problems.append(f"{zone} is not a zone of the network plan")
    return problems


def role_name(stack: str, organization: str) -> str:
    return account_name(stack, "reviewer", organization)


def session_document_name(stack: str, organization: str) -> str:
    return account_name(stack, "reviewer", organization, "session")


@dataclass(frozen=True)
class ReviewerZoneArgs:
    stack: str
    account_id: str
    key_administrators: Sequence[str]
    teardown: Teardown
    organization: ReviewerOrgConfig
    session: SessionConfig
    plan: NetworkPlan
    flows: Sequence[Flow]
    """`NetworkZones.flows`: the same data the zone's NACL is generated from."""
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """The organization's subnets, one per availability zone (NetworkZones.subnet_ids[zone])."""
    s3_prefix_list_id: pulumi.Input[str]
    session_log_bucket: SecureBucket
    """Session transcripts go to `<session_log_prefix><organization>/` of this bucket (SSE-KMS)."""
    session_log_prefix: str
    session_log_group: aws.cloudwatch.LogGroup
    """This organization's own session log group (`AuditLogStore.organization_session_log_group`)."""
    logs_endpoint_id: pulumi.Input[str] = ""
    """The center's Logs interface endpoint: reviewers read log events only through it."""
    """KMS-encrypted; session streams and Client VPN connection logs go here."""
    materials: Sequence[ReviewMaterial] = ()
    customer_data: Sequence[CustomerDataStore] = ()
    """Every customer data store: its bucket, objects, table and key are denied explicitly,
    in the role's policies and in its boundary."""
    s3_cidrs: pulumi.Input[Sequence[str]] = ()
    """The S3 prefix list's CIDRs (NetworkZones.s3_endpoint.cidr_blocks): the workstations'
    firewall allows HTTPS to them."""
    workstation_ami_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class ReviewerZone(pulumi.ComponentResource):
    def __init__(self, name: str, args: ReviewerZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:reviewers:ReviewerZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        org = args.organization
        zone = reviewer_zone_name(org.name)
        self.zone = zone
        tags = {ORGANIZATION_TAG: org.name, **args.tags}
        unknown = sorted({m.scope for m in args.materials} - set(org.scopes))
        if unknown:
            raise ValueError(f"{name}: material of scopes {unknown} offered, but {org.name} may review only {org.scopes}")
        self.reach = reviewer_reach(zone, args.flows, org.client_vpn is not None)
        violations = reach_violations(zone, args.plan, self.reach)
        if violations:
            raise ValueError(f"{name}: reviewer zone isolation broken: {violations}")

        # --- the reviewer role, its boundary and its denies ------------------------------
        denied = denied_resources(args.customer_data, args.account_id, args.stack)
        self.role_name = role_name(args.stack, org.name)
        self.document_name = session_document_name(args.stack, org.name)
        session_arns = policies.session_resources(args.account_id, self.document_name)
        session_key_alias = f"tc/{args.stack}/reviewer-{org.name}"
        self.boundary = aws.iam.Policy(
            resource_name(name, "boundary"),
            name=f"{self.role_name}-boundary",
            description=f"Permission boundary of {org.name}'s reviewer role: read-only review, never customer data or signing",
            policy=pulumi.Output.json_dumps(
                policies.reviewer_boundary_policy(denied, f"alias/{session_key_alias}", args.account_id,
                                                  self.document_name,
                                                  [*attest_boundary_statements(args.account_id, args.stack),
                                                   verify_boundary_statement()])),
            tags=tags,
            opts=child,
        )
        self.role = Role(
            resource_name(name, "reviewer"),
            RoleArgs(
                role_name=self.role_name,
                description=f"Independent reviewer {org.name} ({org.contact}): reads {', '.join(org.scopes)}",
                trust_policy=organization_trust_policy(org, args.account_id),
                permissions_boundary=self.boundary.arn,
                max_session_seconds=min(MAX_ROLE_SESSION_SECONDS,
                                        max(MIN_ROLE_SESSION_SECONDS, args.session.max_session_minutes * 60)),
                tags=tags,
            ),
            opts=child,
        )
        self.workstation_role: Role | None = None
        self.session_log_prefix = f"{args.session_log_prefix}{org.name}/"
        if org.workstations:
            log_bucket = args.session_log_bucket
            agent_statements = functools.partial(
                policies.session_agent_statements, args.account_id, policies.objects_under(log_bucket.arn, self.session_log_prefix),
                log_bucket.arn, log_bucket.key.arn, args.session_log_group.arn)
            self.workstation_boundary = aws.iam.Policy(
                resource_name(name, "workstation-boundary"),
                name=f"{self.role_name}-workstation-boundary",
                description=f"Permission boundary of {org.name}'s workstations: the reviewer boundary plus session logging",
                policy=pulumi.Output.json_dumps(policies.reviewer_boundary_policy(
                    denied, f"alias/{session_key_alias}", args.account_id, self.document_name,
                    agent_statements("*"))),
                tags=tags,
                opts=child,
            )
            self.workstation_role = instance_role(
                resource_name(name, "workstation"),
                role_name=f"{self.role_name}-workstation",
                description=f"Review workstations of {org.name}: SSM agent and session logging only",
                account_id=args.account_id,
                # The session user reads material with this role: same boundary as the reviewer role.
                permissions_boundary=self.workstation_boundary.arn,
                tags=tags,
                opts=child,
            )
        # Declared after the roles it names (a key policy cannot name a role that does not exist yet).
        self.session_key = EncryptionKey(
            resource_name(name, "session-key"),
            EncryptionKeyArgs(
                description=f"transparency-center {args.stack}: {org.name} session data and workstation volumes",
                alias=session_key_alias,
                account_id=args.account_id,
                administrators=args.key_administrators,
                via_services=("ec2", "ssm"),
                teardown=args.teardown,
                service_statements=tuple(policies.session_key_statements(
                    [self.role.arn], [self.workstation_role.arn] if self.workstation_role else [])),
            ),
            opts=child,
        )
        self.material_grants: dict[str, str] = {}
        readers = [self.role] + ([self.workstation_role] if self.workstation_role else [])
        for reader in readers:
            reader.add_policy("deny-customer-data-and-signing", policies.reviewer_deny_statements(denied.stores, denied.contents, denied.key_aliases))
            # Its own sessions' transcripts, whatever its scopes; never another organization's.
            args.session_log_bucket.grant_read(reader, self.session_log_prefix)
            grant_log_group_read(reader, "own-session-logs", [args.session_log_group.arn], args.logs_endpoint_id,
                                 queries=False)
        self.role.attach_policy("attest-read-metadata", attest_read_statements(args.account_id, args.stack),
                                "What tcenter attest reads: configuration metadata, never data, events or key material")
        self.role.add_policy("verify-evidence-metadata", verify_read_statements(args.account_id, args.stack))
        for material in sorted(args.materials, key=lambda m: (m.scope, m.label)):
            if material.label in self.material_grants:
                raise ValueError(f"{name}: two review materials are labelled {material.label!r}")
            for reader in readers:
                material.grant(reader)
            self.material_grants[material.label] = material.scope

        # --- network: the organization's security group, from the flows ------------------
        endpoints_cidr = str(args.plan.zone("endpoints").cidr)
        self.vpn_security_group: aws.ec2.SecurityGroup | None = None
        if org.client_vpn is not None:
            self.vpn_security_group = aws.ec2.SecurityGroup(
                resource_name(name, "client-vpn-sg"),
                vpc_id=args.vpc_id,
                description=f"Client VPN endpoint of {org.name}: nothing in, HTTPS to its workstations only",
                # No inline rules: the one egress rule (to the workstations' group) is its own
                # resource below, which breaks the cycle between the two groups. The provider
                # removes AWS's default allow-all egress rule on creation.
                tags={**tags, "Name": f"{name}-client-vpn"},
                opts=child,
            )
        # The zone's group exists only when something is in the zone to attach it to (an
        # unattached group is noise a reviewer must still read: CKV2_AWS_5).
        self.security_group: aws.ec2.SecurityGroup | None = None
        if org.workstations or org.client_vpn is not None:
            ingress, egress = self._security_group_rules(zone, endpoints_cidr, args.s3_prefix_list_id)
            self.security_group = aws.ec2.SecurityGroup(
                resource_name(name, "sg"),
                vpc_id=args.vpc_id,
                description=f"Reviewer zone {org.name}: HTTPS to the center's endpoints and S3 only",
                ingress=ingress,
                egress=egress,
                tags={**tags, "Name": f"{name}"},
                opts=child,
            )
        if self.vpn_security_group is not None and self.security_group is not None:
            aws.ec2.SecurityGroupRule(
                resource_name(name, "client-vpn-to-workstations"),
                type="egress",
                security_group_id=self.vpn_security_group.id,
                source_security_group_id=self.security_group.id,
                protocol="tcp", from_port=HTTPS, to_port=HTTPS,
                description="desktop tools to the organization's workstations",
                opts=child,
            )

        # --- access path: session logging and the session preferences document ----------
        self.session_log_group = args.session_log_group
        self.session_document = aws.ssm.Document(
            resource_name(name, "session-preferences"),
            name=self.document_name,
            document_type="Session",
            document_format="JSON",
            content=pulumi.Output.json_dumps(session_preferences(
                description="Reviewer sessions: logged to S3 and CloudWatch (both KMS-encrypted), run as an unprivileged user",
                bucket_name=args.session_log_bucket.bucket_name,
                prefix=self.session_log_prefix,
                log_group_name=self.session_log_group.name,
                kms_key_id=self.session_key.arn,
                idle_timeout_minutes=args.session.idle_timeout_minutes,
                max_session_minutes=args.session.max_session_minutes,
                run_as_user=args.session.run_as_user,
            )),
            tags=tags,
            opts=child,
        )

        # --- optional workstations --------------------------------------------------------
        self.workstation_ids: list[pulumi.Output[str]] = []
        self.workstation_arns: list[pulumi.Output[str]] = []
        if org.workstations:
            self._workstations(name, args, tags)

        # Sessions: only to the organization's own workstations, only with its own
        # preferences (so a session cannot skip logging by picking another document).
        if self.workstation_arns:
            self.role.add_policy("start-sessions", [
                policies.statement(
                    "StartSessionsOnOwnWorkstationsWithOwnPreferences", ["ssm:StartSession"],
                    [*self.workstation_arns, session_arns["document"]],
                    conditions={"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}},
                ),
                policies.statement("ManageOwnSessions", ["ssm:ResumeSession", "ssm:TerminateSession"],
                                   [session_arns["own_sessions"]]),
                policies.statement("SeeOwnWorkstationsConnected", ["ssm:GetConnectionStatus"], self.workstation_arns),
                # Listing calls without resource-level permissions.
                policies.statement("ListSessionsAndManagedNodes",
                                   ["ssm:DescribeInstanceInformation", "ssm:DescribeSessions"], "*"),
                policies.statement("EncryptSessionData", ["kms:GenerateDataKey"], [self.session_key.arn]),
            ])

        # --- optional Client VPN (mutual TLS) --------------------------------------------
        self.client_vpn_endpoint: aws.ec2clientvpn.Endpoint | None = None
        if org.client_vpn is not None:
            self._client_vpn(name, args, tags)

        self.register_outputs({
            "roleArn": self.role.arn,
            "securityGroupId": self.security_group.id if self.security_group is not None else None,
            "sessionDocumentName": self.document_name,
            "workstationIds": self.workstation_ids,
            "reach": [reach_as_dict(r) for r in self.reach],
        })

    def _security_group_rules(self, zone: str, endpoints_cidr: str, s3_prefix_list_id: pulumi.Input[str]) -> tuple[list, list]:
        """Rules from the zone's reach: exactly what its NACL allows, tighter (stateful, per group)."""
        ingress: list[dict[str, Any]] = []
        egress: list[dict[str, Any]] = []
        for r in self.reach:
            rule: dict[str, Any] = {"protocol": "tcp", "from_port": r.ports[0], "to_port": r.ports[1], "description": r.purpose}
            if r.source == zone and r.destination == "endpoints":
                egress.append({**rule, "cidr_blocks": [endpoints_cidr]})
            elif r.source == zone and r.destination == S3_GATEWAY:
                egress.append({**rule, "prefix_list_ids": [s3_prefix_list_id]})
            elif r.source == zone and r.destination == zone:
                continue  # subnet to subnet of the zone (NACL); the group admits only the VPN's group
            elif r.source == f"{zone}:client-vpn" and self.vpn_security_group is not None:
                ingress.append({**rule, "security_groups": [self.vpn_security_group.id]})
            else:
                raise ValueError(f"{zone}: no security group rule for {r}")
        return ingress, egress

    def _workstations(self, name: str, args: ReviewerZoneArgs, tags: dict[str, str]) -> None:
        from .instances import HardenedHost, HardenedHostArgs

        org = args.organization
        if args.workstation_ami_id is None:
            raise ValueError(f"{name}: {org.workstations} workstations need an AMI")
        render = functools.partial(render_workstation, args.stack, org.name, tuple(org.scopes), args.session.run_as_user,
                                   str(args.plan.supernet), str(args.plan.zone("endpoints").cidr))
        child = pulumi.ResourceOptions(parent=self)
        assert self.workstation_role is not None
        role = self.workstation_role
        # The SSM agent (its session actions come with the instance role): write the transcript.
        self.workstation_role.add_policy("session-logging", policies.session_logging_statements(
            args.account_id, policies.objects_under(args.session_log_bucket.arn, self.session_log_prefix),
            args.session_log_bucket.arn, args.session_log_bucket.key.arn, args.session_log_group.arn,
            self.session_key.arn))
        subnets = list(args.subnet_ids)
        host_group = HardenedHost(
            resource_name(name, "workstations"),
            HardenedHostArgs(
                ami_id=args.workstation_ami_id,
                instance_type=org.workstation_instance_type,
                subnet_ids=[subnets[index % len(subnets)] for index in range(org.workstations)],
                security_group_ids=[self.security_group.id],
                role=role,
                volume_key=self.session_key,
                user_data=pulumi.Output.from_input(args.s3_cidrs).apply(lambda cidrs: render(cidrs or []).user_data),
                template_name=f"{self.role_name}-workstation",
                description=f"Review workstation of {org.name}",
                tags=tags,
            ),
            opts=child,
        )
        self.workstations = host_group
        self.workstation_ids = host_group.instance_ids
        self.workstation_arns = [instance.arn for instance in host_group.instances]

    def _client_vpn(self, name: str, args: ReviewerZoneArgs, tags: dict[str, str]) -> None:
        org = args.organization
        vpn = org.client_vpn
        assert vpn is not None and self.vpn_security_group is not None
        child = pulumi.ResourceOptions(parent=self)
        stream = aws.cloudwatch.LogStream(
            resource_name(name, "client-vpn-connections"),
            name=f"client-vpn-{org.name}",
            log_group_name=self.session_log_group.name,
            opts=child,
        )
        self.client_vpn_endpoint = aws.ec2clientvpn.Endpoint(
            resource_name(name, "client-vpn"),
            description=f"Reviewer zone {org.name}: mutual TLS, split tunnel, its own zone only",
            server_certificate_arn=vpn.server_certificate_arn,
            client_cidr_block=vpn.client_cidr,
            authentication_options=[{
                "type": "certificate-authentication",
                "root_certificate_chain_arn": vpn.client_root_certificate_arn,
            }],
            connection_log_options={
                "enabled": True,
                "cloudwatch_log_group": self.session_log_group.name,
                "cloudwatch_log_stream": stream.name,
            },
            split_tunnel=True,
            transport_protocol="tcp",
            vpn_port=HTTPS,
            self_service_portal="disabled",
            session_timeout_hours=vpn.session_timeout_hours,
            disconnect_on_session_timeout=True,
            vpc_id=args.vpc_id,
            security_group_ids=[self.vpn_security_group.id],
            client_login_banner_options={
                "enabled": True,
                "banner_text": f"Transparency center review zone of {org.name}. Sessions are logged.",
            },
            tags={**tags, "Name": name},
            opts=child,
        )
        for index, subnet_id in enumerate(args.subnet_ids):
            aws.ec2clientvpn.NetworkAssociation(
                resource_name(name, "client-vpn-subnet", str(index + 1)),
                client_vpn_endpoint_id=self.client_vpn_endpoint.id,
                subnet_id=subnet_id,
                opts=child,
            )
        aws.ec2clientvpn.AuthorizationRule(
            resource_name(name, "client-vpn-own-zone"),
            client_vpn_endpoint_id=self.client_vpn_endpoint.id,
            target_network_cidr=str(args.plan.zone(self.zone).cidr),
            authorize_all_groups=True,  # mutual TLS has no groups: the CA decides who connects
            description=f"{org.name}'s own zone, nothing else of the VPC",
            opts=child,
        )


def reach_as_dict(reach: Reach) -> dict[str, Any]:
    return {"from": reach.source, "to": reach.destination, "ports": list(reach.ports), "purpose": reach.purpose}


# --- the workstation host role (templates/workstation/) ----------------------------------

REVIEW_USER_UNIT = "tc-review-user.service"
WORKSTATION_PACKAGES = ("diffoscope", "git", "openssl", "python3")
"""tc-rebuild's tools: git (the reviewed checkout), python3 (reads the provenance), openssl (signs the
rebuild attestation with the organization's key), diffoscope
(where a rebuild differs from the release)."""
REVIEW_SESSION_UID = 2000
"""The session user's fixed uid: the host firewall names it before the user exists (the
user is created at first boot by REVIEW_USER_UNIT, and nft resolves names when it loads)."""


@dataclass(frozen=True)
class WorkstationValues:
    stack: str
    organization: str
    scopes: tuple[str, ...]
    session_user: str
    network: hosts.HostNetwork

    @property
    def home(self) -> str:
        return f"/home/{self.session_user}"


def workstation_profile(values: WorkstationValues) -> hosts.HostProfile:
    """The shared hardening plus the workstation role: the session user (a shell, no
    password, no sudo), the review environment, and metadata access for that user only
    (the workstation role is how a session reads the material)."""
    env = {"AWS_REGION": REGION, "AWS_STS_REGIONAL_ENDPOINTS": "regional", "TC_REVIEW_SCOPES": " ".join(values.scopes)}
    template_values = {"v": values, "env": env, "home": values.home, "uid": REVIEW_SESSION_UID}
    files = [
        hosts.HostFile("/etc/profile.d/tc-review.sh", hosts.render_template("workstation/tc-review.sh.j2", template_values)),
        hosts.HostFile("/etc/tc-review/workstation.json",
                       hosts.render_template("workstation/workstation.json.j2", template_values)),
        hosts.HostFile("/usr/local/lib/tc-review/tc-review-user",
                       hosts.render_template("workstation/tc-review-user.sh.j2", template_values), mode="0755"),
        hosts.HostFile(f"/etc/systemd/system/{REVIEW_USER_UNIT}",
                       hosts.render_template("workstation/tc-review-user.service.j2", template_values)),
        hosts.HostFile("/usr/local/bin/tc-rebuild", hosts.render_template("workstation/tc-rebuild.sh.j2", template_values),
                       mode="0755"),
    ]
    base = hosts.base_profile(values.network, metadata_users=("root", str(REVIEW_SESSION_UID)))
    return base.extend("workstation", packages={name: "" for name in WORKSTATION_PACKAGES}, files=files,
                       enabled_units=[REVIEW_USER_UNIT], environment=env)


ATTEST_LIST_ACTIONS = (
    "access-analyzer:ListAnalyzers", "autoscaling:DescribeAutoScalingGroups", "cloudhsm:DescribeClusters", "cloudtrail:DescribeTrails",
    "config:DescribeConfigRules", "config:DescribeDeliveryChannels", "dynamodb:ListTables",
    "ec2:DescribeAddresses", "ec2:DescribeFlowLogs", "ec2:DescribeInstances", "ec2:DescribeInternetGateways",
    "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeLaunchTemplates", "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNatGateways", "ec2:DescribeNetworkAcls", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVolumes", "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcPeeringConnections", "ec2:DescribeVpcs", "ec2:GetEbsDefaultKmsKeyId", "ec2:GetEbsEncryptionByDefault",
    "ec2:GetInstanceMetadataDefaults", "events:ListRules", "guardduty:ListDetectors", "iam:GetAccountAuthorizationDetails",
    "iam:GetAccountPasswordPolicy", "iam:ListInstanceProfiles", "iam:ListRoles", "kms:ListAliases", "kms:ListKeys",
    "logs:DescribeLogGroups", "route53resolver:ListFirewallConfigs", "route53resolver:ListFirewallDomainLists",
    "route53resolver:ListFirewallRuleGroupAssociations", "route53resolver:ListFirewallRuleGroups",
    "route53resolver:ListResolverQueryLogConfigAssociations", "route53resolver:ListResolverQueryLogConfigs",
    "s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets", "sns:ListSubscriptions", "sns:ListTopics", "sqs:ListQueues",
)
"""Calls `tcenter attest` makes that have no resource-level permissions (Resource "*"). IAM's
account authorization details hold every role's and user's policies: attest reads them all to
find roles and users the plan does not declare (configuration, never credentials)."""
ATTEST_KEY_ACTIONS = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants",
                      "kms:ListResourceTags")
ATTEST_BUCKET_ACTIONS = (
    "s3:GetBucketAcl", "s3:GetBucketLogging", "s3:GetBucketNotification", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging", "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration")
ATTEST_TRAIL_ACTIONS = ("cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus")
ATTEST_TABLE_ACTIONS = ("dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "dynamodb:GetResourcePolicy",
                        "dynamodb:ListTagsOfResource")


def attest_scoped_reads(account_id: str, stack: str) -> dict[str, tuple[tuple[str, ...], list[str]]]:
    """Sid -> (actions, resources) of the restrictable calls attest makes, each on what it reads."""
    def regional(service: str, resource: str) -> str:
        return arn(service, resource, account_id, REGION)

    return {
        "AttestReadKeyMetadata": (ATTEST_KEY_ACTIONS, [key_arn(account_id, "*")]),
        "AttestReadBucketConfiguration": (ATTEST_BUCKET_ACTIONS, [bucket_arn("tc-*")]),
        "AttestReadTrailStatus": (ATTEST_TRAIL_ACTIONS, [trail_arn(account_id, "*")]),
        "AttestReadCenterTables": (ATTEST_TABLE_ACTIONS, [table_arn(account_id, f"tc-{stack}-*")]),
        "AttestReadHostAttributes": (("ec2:DescribeInstanceAttribute", "ec2:DescribeVpcAttribute"),
                                     [ec2_arn(account_id, "instance", "*"), ec2_arn(account_id, "vpc", "*")]),
        "AttestReadPrefixLists": (("ec2:GetManagedPrefixListEntries",), [arn("ec2", "prefix-list/*", "*", REGION)]),
        "AttestReadIdentities": (("iam:ListAccessKeys", "iam:ListPolicyTags"),
                                 [arn("iam", "user/*", account_id), arn("iam", "policy/*", account_id)]),
        "AttestReadDetectiveControls": (
            ("cloudwatch:DescribeAlarms", "config:DescribeConfigurationRecorderStatus", "config:DescribeConfigurationRecorders",
             "events:ListTargetsByRule", "guardduty:GetDetector", "logs:DescribeMetricFilters", "securityhub:DescribeHub",
             "securityhub:GetEnabledStandards", "sns:GetTopicAttributes"),
            [regional("cloudwatch", "alarm:*"), regional("config", "configuration-recorder/*"), regional("events", "rule/*"),
             regional("guardduty", "detector/*"), regional("logs", "log-group:*"), regional("securityhub", "hub/default"),
             regional("sns", "*")]),
        "AttestReadDnsFirewall": (("route53resolver:ListFirewallDomains", "route53resolver:ListFirewallRules"),
                                  [regional("route53resolver", "firewall-domain-list/*"),
                                   regional("route53resolver", "firewall-rule-group/*")]),
        "AttestReadDocuments": (("ssm:GetDocument", "ssm:ListTagsForResource"), [ssm_document_arn(account_id, "*")]),
        "AttestReadCenterQueues": (("sqs:GetQueueAttributes", "sqs:ListQueueTags"), [regional("sqs", f"tc-{stack}-*")]),
    }


BOUNDARY_READ_FAMILIES = ("config:Describe*", "dynamodb:Describe*", "ec2:Describe*", "iam:List*", "kms:Describe*",
                          "kms:List*", "logs:Describe*", "route53resolver:List*", "s3:GetBucket*")
"""Families of metadata reads (no object, event, secret or key material among them) the
boundary names instead of each attest call: a managed policy holds at most 6,144 characters."""


def attest_boundary_statements(account_id: str, stack: str) -> list[dict[str, Any]]:
    """The attest grant as the permission boundary allows it: the same statements, each read
    that falls in a `BOUNDARY_READ_FAMILIES` family named by its family, on any resource (the
    boundary caps which calls; the role's own grant, attest_read_statements, scopes them)."""
    out = []
    for statement in attest_read_statements(account_id, stack):
        actions: list[str] = []
        for action in statement["Action"]:
            family = next((f for f in BOUNDARY_READ_FAMILIES if action.startswith(f[:-1])), action)
            if family not in actions:
                actions.append(family)
        out.append({**statement, "Action": actions, "Resource": "*"})
    return out


def attest_read_statements(account_id: str, stack: str) -> list[dict[str, Any]]:
    """Exactly the calls `tcenter attest` makes (docs/review.md): configuration metadata only,
    never an object, a log event, a decrypt or a signature; the reviewer's denies still apply.
    Restrictable calls are scoped to what attest reads (this account's keys, trails, alarms,
    detectors, documents; the center's buckets and tables); the permission boundary allows the same."""
    return [policies.statement("AttestListConfiguration", ATTEST_LIST_ACTIONS, "*")] + [
        policies.statement(sid, actions, resources) for sid, (actions, resources) in attest_scoped_reads(account_id, stack).items()]


VERIFY_READS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("ReadDigestKeysAndConfigHistory",
     ("cloudtrail:ListPublicKeys", "config:DescribeConfigRules", "config:DescribeDeliveryChannels",
      "config:GetResourceConfigHistory", "config:ListDiscoveredResources", "config:SelectResourceConfig",
      "events:ListRules", "sns:GetSubscriptionAttributes", "sns:ListTopics", "ssm:ListDocuments"), ("*",)),
    ("ReadEvidenceConfiguration",
     ("cloudwatch:DescribeAlarms", "config:DescribeConfigurationRecorderStatus", "config:DescribeConfigurationRecorders",
      "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "dynamodb:GetResourcePolicy", "events:DescribeRule",
      "events:ListTargetsByRule", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies", "iam:ListPolicyVersions", "iam:ListRolePolicies", "logs:DescribeMetricFilters",
      "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "ssm:DescribeDocument", "ssm:DescribeDocumentPermission",
      "ssm:GetDocument"),
     ("iam::{account}:role/*", "iam::{account}:policy/*", "cloudwatch:{region}:{account}:alarm:*",
      "logs:{region}:{account}:log-group:*", "sns:{region}:{account}:*", "events:{region}:{account}:rule/*",
      "config:{region}:{account}:configuration-recorder/*", "dynamodb:{region}:{account}:table/*",
      "secretsmanager:{region}:{account}:secret:tc/{stack}/*", "ssm:{region}:*:document/*")),
)
"""What a reviewer reads to verify the evidence itself (issue 29), beyond what attest reads:
CloudTrail's digest public keys, every role and policy of the account (the owner's
administrators, break-glass and deploy role included), the alarms, their filters, subscriptions
and event rules, AWS Config's recorders and history, the SSM documents, the tables' and secrets'
resource policies. Configuration only: never an object, item, log event, secret value or key use.
Each action applies to its own kind of resource only (IAM matches both), so one statement holds
them all (a role's inline policies total at most 10,240 characters). The organization's SCPs are
read in the management account (organization/: the organization reader role).
(sid, actions, resources as `arn:aws:` suffixes with {region}, {account}, {stack})."""

VERIFY_BOUNDARY_ACTIONS = (
    "cloudtrail:ListPublicKeys", "cloudwatch:DescribeAlarms", "config:Describe*", "config:GetResourceConfigHistory",
    "config:ListDiscoveredResources", "config:SelectResourceConfig", "dynamodb:Describe*", "dynamodb:GetResourcePolicy",
    "events:DescribeRule", "events:List*", "iam:GetPolicy*", "iam:GetRole*", "iam:List*", "logs:DescribeMetricFilters",
    "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "sns:Get*Attributes", "sns:List*",
    "ssm:DescribeDocument*", "ssm:GetDocument", "ssm:ListDocuments",
)
"""The permission boundary's cap on `VERIFY_READS`, in fewer characters (a boundary is a managed
policy of at most 6,144): no read of a value (no GetObject, GetItem, GetSecretValue, GetParameter);
tests/unit/test_reviewers.py holds every verify action to it."""


def verify_read_statements(account_id: str, stack: str) -> list[dict[str, Any]]:
    fill = {"region": REGION, "account": account_id, "stack": stack}
    return [policies.statement(sid, actions, [f"arn:aws:{r.format(**fill)}" for r in resources] if resources != ("*",) else "*")
            for sid, actions, resources in VERIFY_READS]


def verify_boundary_statement() -> dict[str, Any]:
    return policies.statement("AllowAtMostEvidenceConfigurationReads", VERIFY_BOUNDARY_ACTIONS, "*")


def grant_log_group_read(role: Role, label: str, log_group_arns: Sequence[pulumi.Input[str]],
                         logs_endpoint_id: pulumi.Input[str] = "", *, queries: bool = True) -> aws.iam.RolePolicy:
    """Read the events of the named log groups, only through the center's Logs endpoint
    when one is given (a reviewer cannot read transcripts from a laptop)."""
    return role.add_policy(f"read-{label}", policies.log_group_read_statements(
        list(log_group_arns), through_endpoint=logs_endpoint_id or None, queries=queries))


def render_workstation(stack: str, organization: str, scopes: Sequence[str], session_user: str,
                       vpc_cidr: str, endpoints_cidr: str, s3_cidrs: Sequence[str]) -> hosts.RenderedHost:
    """A review workstation's provisioning, exactly as ReviewerZone renders its user data
    (also what the testinfra suite's `workstation` role should render)."""
    network = hosts.HostNetwork(vpc_cidr=vpc_cidr, endpoints_cidr=endpoints_cidr, s3_cidrs=tuple(sorted(s3_cidrs)))
    return hosts.render_host(workstation_profile(WorkstationValues(
        stack=stack, organization=organization, scopes=tuple(scopes), session_user=session_user, network=network)))
