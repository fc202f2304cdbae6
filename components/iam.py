"""IAM roles whose permissions are added by intent (`grant_*` on keys and buckets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from . import policies
from .awsfacts import IAM_POLICY_NAME
from .layout import resource_name


@dataclass(frozen=True)
class RoleArgs:
    role_name: str
    """The IAM name; deterministic, so key policies can name the role before it exists."""
    description: str
    trust_policy: dict[str, Any]
    permissions_boundary: pulumi.Input[str] | None = None
    instance_profile: bool = False
    max_session_seconds: int = 3600
    tags: dict[str, str] = field(default_factory=dict)


class Role(pulumi.ComponentResource):
    """A role with no permissions until something grants it some; every grant is one
    inline policy named after what it allows, a child of this component. There is no way
    to attach a managed policy: AWS's managed policies grant more than any host here needs
    (AmazonSSMManagedInstanceCore reads every parameter of the account), and a reviewer
    reads every permission in the role's own inline policies."""

    def __init__(self, name: str, args: RoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:iam:Role", name, None, opts)
        self._name = name
        self.role_name = args.role_name
        self.role = aws.iam.Role(
            resource_name(name, "role"),
            name=args.role_name,
            description=args.description,
            assume_role_policy=pulumi.Output.json_dumps(args.trust_policy),
            permissions_boundary=args.permissions_boundary,
            max_session_duration=args.max_session_seconds,
            tags=args.tags or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn: pulumi.Output[str] = self.role.arn
        self.instance_profile: aws.iam.InstanceProfile | None = None
        if args.instance_profile:
            self.instance_profile = aws.iam.InstanceProfile(
                resource_name(name, "profile"),
                name=args.role_name,
                role=self.role.name,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self._grants: set[str] = set()
        self.register_outputs({"arn": self.arn, "roleName": args.role_name})

    def add_policy(self, policy_name: str, statements: Sequence[dict[str, Any]]) -> aws.iam.RolePolicy:
        """Attach one inline policy. Called by `grant_*` methods; names must be unique per role."""
        if not IAM_POLICY_NAME.match(policy_name):
            raise ValueError(f"role {self._name}: inline policy name {policy_name!r} is refused by IAM"
                             " (letters, digits and +=,.@_- only, at most 128 characters)")
        if policy_name in self._grants:
            raise ValueError(f"role {self._name} already has a policy named {policy_name!r}")
        self._grants.add(policy_name)
        return aws.iam.RolePolicy(
            resource_name(self._name, policy_name),
            role=self.role.name,
            name=policy_name,
            policy=pulumi.Output.json_dumps(policies.document(*statements)),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def attach_policy(self, policy_name: str, statements: Sequence[dict[str, Any]], description: str) -> aws.iam.Policy:
        """One customer managed policy of the kit's own, attached to this role only: for a grant
        too large for the role's inline policies (10,240 characters together; a managed policy
        holds 6,144 on its own)."""
        if policy_name in self._grants:
            raise ValueError(f"role {self._name} already has a policy named {policy_name!r}")
        self._grants.add(policy_name)
        policy = aws.iam.Policy(
            resource_name(self._name, policy_name),
            name=f"{self.role_name}-{policy_name}",
            description=description,
            policy=pulumi.Output.json_dumps(policies.document(*statements)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            resource_name(self._name, f"{policy_name}-attachment"),
            role=self.role.name,
            policy_arn=policy.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return policy


def instance_role(
    name: str,
    *,
    role_name: str,
    description: str,
    account_id: str,
    opts: pulumi.ResourceOptions,
    session_manager: bool = True,
    permissions_boundary: pulumi.Input[str] | None = None,
    tags: dict[str, str] | None = None,
) -> Role:
    """The one way a host gets its role (builders, signers, workstations, data workers): EC2
    trust for this account, an instance profile, and, for hosts reached through Session
    Manager, only the SSM agent's narrow session actions. Everything else is granted by intent."""
    role = Role(
        name,
        RoleArgs(
            role_name=role_name,
            description=description,
            trust_policy=policies.assume_role_by_service("ec2.amazonaws.com", account_id),
            permissions_boundary=permissions_boundary,
            instance_profile=True,
            tags=tags or {},
        ),
        opts=opts,
    )
    role.add_policy("instance-credentials-stay-home", policies.instance_credentials_stay_in_their_vpc())
    if session_manager:
        role.add_policy("ssm-session-manager", policies.ssm_managed_instance_statements())
    return role
