"""The principals a stack's plan names, computed once from its validated config.

The center's resource policies admit exactly these (explicit Deny unless `aws:PrincipalArn` is
one of them), and the organization's SCPs exempt exactly these from their fences (exact ARNs of
the center's account, never a role name in any account). Both read this one function, so the
names are generated, never typed twice; tests/owner holds it to the roles the plan declares.

The account's administrators are deliberately absent: they are not in the plan, and nothing of
the center trusts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .awsfacts import PARTITION, REGION, role_arn
from .config import CenterConfig
from .config.signing import SIGNING_CLASSES
from .layout import account_name


@dataclass(frozen=True)
class CenterPrincipals:
    account_id: str
    stack: str
    deployer: str
    """Runs `pulumi up`: passes the center's roles, launches into its subnets, writes its policies."""
    key_administrators: tuple[str, ...]
    break_glass: str | None
    data_deletion: str | None
    source_mirror_writer: str | None
    builders: dict[str, str] = field(default_factory=dict)
    """builder identity -> role ARN"""
    signers: dict[str, str] = field(default_factory=dict)
    """signing class -> role ARN"""
    ingest: dict[str, str] = field(default_factory=dict)
    """customer region -> ingestion role ARN"""
    analyze: dict[str, str] = field(default_factory=dict)
    reviewers: dict[str, str] = field(default_factory=dict)
    """organization -> reviewer role ARN"""
    workstations: dict[str, str] = field(default_factory=dict)
    """organization -> workstation role ARN (organizations with workstations)"""
    scopes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    remote_reviewers: tuple[str, ...] = ()
    """Reviewer roles of organizations with their own account and no workstations: they read from
    that account, outside the center's endpoints (read actions only)."""
    service_roles: tuple[str, ...] = ()
    """Roles AWS services assume for the center (trail and flow log delivery, event forwarding)."""
    sequencer: str | None = None
    """The transparency log's sequencer host role (when the log is enabled)."""
    witnesses: dict[str, str] = field(default_factory=dict)
    """organization -> its witness role ARN (writes only its cosignatures)"""
    intake_brokers: dict[str, str] = field(default_factory=dict)
    """customer region -> its intake broker's role ARN (a Lambda function's execution role; when the
    stack has an intake): writes samples/ of its store, reads nothing"""
    rule_publisher: str | None = None
    """The intake's rule publisher role (the approval pipeline writes rules/ of the intake bucket)."""
    publisher: str | None = None
    """The update repositories' publisher host role (when distribution is enabled): the one writer
    of the repositories and the one signer with their online keys."""
    cells: dict[str, str] = field(default_factory=dict)
    """customer region -> its analysis cells' role ARN (when analysis is enabled): alone read samples/"""

    # --- what the plan names, by use ----------------------------------------------------------

    def instance_roles(self) -> tuple[str, ...]:
        """Roles handed to EC2 as instance profiles (declared or not yet hosted): only the deployer passes them."""
        return tuple(sorted({*self.builders.values(), *self.signers.values(), *self.ingest.values(),
                             *self.analyze.values(), *self.workstations.values(), *self.cells.values(),
                             *(r for r in (self.sequencer, self.publisher) if r)}))

    def function_roles(self) -> tuple[str, ...]:
        """Roles handed to Lambda as execution roles: only the deployer passes them."""
        return tuple(sorted(self.intake_brokers.values()))

    def privileged(self) -> tuple[str, ...]:
        """Roles the config names and the plan does not declare, whose powers the SCPs grant:
        nobody but break-glass may create, change or delete them."""
        return tuple(sorted({self.deployer, *self.key_administrators,
                             *(r for r in (self.break_glass, self.data_deletion, self.source_mirror_writer) if r)}))

    def readers_of(self, scope: str) -> tuple[str, ...]:
        """Reviewer and workstation roles of the organizations that may review `scope`."""
        return tuple(sorted({arn for org, scopes in self.scopes.items() if scope in scopes
                             for arn in (self.reviewers[org], self.workstations.get(org)) if arn}))

    def remote_readers_of(self, scope: str) -> tuple[str, ...]:
        """Reviewer roles of organizations without workstations that may review `scope`: they read
        from their own account, so the buckets admit their reads from outside the endpoints."""
        return tuple(sorted(arn for org, arn in self.reviewers.items()
                            if arn in self.remote_reviewers and scope in self.scopes[org]))

    def session_hosts(self) -> tuple[str, ...]:
        """Host roles whose SSM agent writes session transcripts into the archive."""
        return tuple(sorted({*self.builders.values(), *self.signers.values(), *self.workstations.values(),
                             *(r for r in (self.sequencer, self.publisher) if r)}))

    # --- ARN patterns of what the center declares ----------------------------------------------

    def center_role_pattern(self) -> str:
        return role_arn(self.account_id, account_name(self.stack, "*"))

    def center_instance_profile_pattern(self) -> str:
        return f"arn:{PARTITION}:iam::{self.account_id}:instance-profile/{account_name(self.stack, '*')}"

    def center_bucket_pattern(self) -> str:
        return f"arn:{PARTITION}:s3:::tc-{self.account_id}-{self.stack}-*"

    def center_table_pattern(self) -> str:
        return f"arn:{PARTITION}:dynamodb:{REGION}:{self.account_id}:table/{account_name(self.stack, '*')}"

    def center_function_pattern(self) -> str:
        """Every Lambda function of the center (`tc-<stack>-...`, the intake brokers)."""
        return f"arn:{PARTITION}:lambda:{REGION}:{self.account_id}:function:{account_name(self.stack, '*')}"

    def center_secret_pattern(self) -> str:
        return f"arn:{PARTITION}:secretsmanager:{REGION}:{self.account_id}:secret:tc/{self.stack}/*"


def center_principals(config: CenterConfig) -> CenterPrincipals:
    """Every principal the plan of this config names, by the components' own naming functions."""
    from .analysis import cell_role_name
    from .build import builder_names, builder_role_name
    from .data import intake_broker_role_name, store_role_name
    from .distribution import publisher_role_name
    from .evidence import forwarder_role_name
    from .intake import edge_role_name, rule_publisher_role_name
    from .reviewers import role_name as reviewer_role_name
    from .signing import signer_role_name
    from .transparency import sequencer_role_name, witness_role_name

    stack, account = config.stack, config.access.account_id
    orgs = config.reviewers.organizations
    reviewers = {org.name: role_arn(account, reviewer_role_name(stack, org.name)) for org in orgs}
    return CenterPrincipals(
        account_id=account,
        stack=stack,
        deployer=config.access.deployer,
        key_administrators=tuple(config.access.key_administrators),
        break_glass=config.access.break_glass_role,
        data_deletion=config.access.data_deletion_role,
        source_mirror_writer=config.build.source_mirror_writer,
        builders={b: role_arn(account, builder_role_name(stack, b)) for pool in config.build.pools
                  for b in builder_names(pool)},
        signers={c: role_arn(account, signer_role_name(stack, c)) for c in SIGNING_CLASSES},
        ingest={r: role_arn(account, store_role_name(stack, r, "ingest")) for r in config.data_stores.customer_regions},
        analyze={r: role_arn(account, store_role_name(stack, r, "analyze")) for r in config.data_stores.customer_regions},
        reviewers=reviewers,
        workstations={org.name: role_arn(account, f"{reviewer_role_name(stack, org.name)}-workstation")
                      for org in orgs if org.workstations},
        scopes={org.name: tuple(org.scopes) for org in orgs},
        remote_reviewers=tuple(sorted(reviewers[org.name] for org in orgs if not org.workstations and org.own_account)),
        service_roles=tuple(sorted(role_arn(account, name) for name in (
            account_name(stack, "cloudtrail-logs"), account_name(stack, "vpc-flow-logs"), forwarder_role_name(stack),
            *([edge_role_name(stack)] if config.intake is not None else [])))),
        sequencer=role_arn(account, sequencer_role_name(stack)) if config.transparency.enabled else None,
        witnesses={org.name: role_arn(account, witness_role_name(stack, org.name))
                   for org in orgs if config.transparency.enabled},
        intake_brokers={r: role_arn(account, intake_broker_role_name(stack, r)) for r in config.data_stores.customer_regions
                        if config.intake is not None},
        rule_publisher=role_arn(account, rule_publisher_role_name(stack)) if config.intake is not None else None,
        publisher=role_arn(account, publisher_role_name(stack)) if config.distribution.enabled else None,
        cells={r: role_arn(account, cell_role_name(stack, r)) for r in config.data_stores.customer_regions
               if config.analysis.enabled},
    )
