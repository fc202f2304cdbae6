"""Customer managed KMS keys for encryption at rest, with grants by intent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from . import policies
from .iam import Role
from .layout import resource_name
from .teardown import KEY_DELETION_WINDOW_DAYS, Teardown


@dataclass(frozen=True)
class EncryptionKeyArgs:
    description: str
    alias: str
    """Without the `alias/` prefix, e.g. `tc/dev/build`."""
    account_id: str
    administrators: Sequence[str]
    via_services: Sequence[str]
    """AWS services (s3, ec2, logs, dynamodb, ...) through which principals of this account may use the key."""
    teardown: Teardown
    service_statements: Sequence[dict[str, Any]] = ()
    """Extra key policy statements for AWS service principals (CloudWatch Logs, CloudTrail)."""
    named_users: Sequence[Any] | None = None
    """When set, only these principals use the key (through `via_services`), named in the key
    policy itself: no statement delegates use to the account root (customer data keys)."""
    grant_makers: Sequence[str] = ()
    """With `named_users`: principals that only create grants through DynamoDB (who creates or
    restores a table encrypted with the key)."""


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric key: rotated yearly, single-Region, 30-day deletion window, admins who
    cannot use it, and usage only through named services by roles granted below."""

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transparency-center:kms:EncryptionKey", name, None, opts)
        self._name = name
        keep = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), args.teardown.options("stateful"))
        self.key = aws.kms.Key(
            resource_name(name, "key"),
            description=args.description,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            multi_region=False,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=pulumi.Output.json_dumps(
                policies.encryption_key_policy(
                    args.account_id, args.administrators, args.via_services, args.service_statements,
                    **args.teardown.key_lifecycle())
                if args.named_users is None else policies.document(
                    *policies.named_key_policy(
                        args.account_id, args.administrators, args.named_users, args.via_services, args.grant_makers,
                        **args.teardown.key_lifecycle())["Statement"],
                    *args.service_statements)),
            opts=keep,
        )
        self.alias = aws.kms.Alias(
            resource_name(name, "alias"),
            name=f"alias/{args.alias}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn: pulumi.Output[str] = self.key.arn
        self.register_outputs({"arn": self.arn, "alias": self.alias.name})

    def grant_encrypt_decrypt(self, role: Role) -> aws.iam.RolePolicy:
        return role.add_policy(f"kms-use-{self._name}", [policies.statement(
            "UseKey", policies.KEY_ENCRYPT_DECRYPT_ACTIONS, [self.arn])])

    def grant_decrypt(self, role: Role) -> aws.iam.RolePolicy:
        return role.add_policy(f"kms-decrypt-{self._name}", [policies.statement(
            "DecryptWithKey", policies.KEY_DECRYPT_ACTIONS, [self.arn])])
