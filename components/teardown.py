"""Teardown rules per environment: the one place that decides what `pulumi destroy` may remove.

dev and staging are fully destroyable: nothing protected or retained, buckets emptied on
destroy, Object Lock in GOVERNANCE mode (which a destroy may bypass) or off. prod protects
and retains every stateful resource (keys, stores, tables, archives) and turns on deletion
protection where AWS has it, so a destroy or a replacement stops at them instead of erasing
customer data, evidence or keys; prod's audit archive is locked in COMPLIANCE mode.

The config model calls `object_lock_problem` to refuse a stack that breaks these rules, so
a wrong mode is a config error with its key, not a surprise at `pulumi destroy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pulumi

from .awsfacts import is_stateful

if TYPE_CHECKING:  # the config model imports this module; only the type is needed here
    from .config.base import Environment

Statefulness = Literal["stateful", "stateless"]
"""stateful: keys, data stores, tables, archives. stateless: anything rebuilt from code."""

KEY_DELETION_WINDOW_DAYS = 30
"""The longest window KMS allows; a key scheduled for deletion can be rescued for 30 days."""

DESTROYABLE_LOCK_MODES = ("GOVERNANCE",)
"""Object Lock modes a destroyable stack may use: GOVERNANCE retention can be bypassed
(s3:BypassGovernanceRetention, which force_destroy uses); COMPLIANCE cannot, even by root."""

PROD_ARCHIVE_LOCK_MODE = "COMPLIANCE"


def object_lock_problem(environment: str, mode: str, *, archive: bool = False) -> str | None:
    """Why `mode` breaks the teardown rule of `environment` (None when it does not)."""
    if environment != "prod" and mode not in DESTROYABLE_LOCK_MODES:
        return (f"{environment} stacks stay destroyable by `pulumi destroy`: {mode} retention cannot be "
                f"shortened or bypassed, even by root, so the bucket could not be emptied; "
                f"use {' or '.join(DESTROYABLE_LOCK_MODES)}")
    if environment == "prod" and archive and mode != PROD_ARCHIVE_LOCK_MODE:
        return (f"prod's audit archive uses Object Lock {PROD_ARCHIVE_LOCK_MODE} mode: nobody, root "
                f"included, can shorten it (got {mode})")
    return None


@dataclass(frozen=True)
class Teardown:
    environment: "Environment"
    protect_stateful: bool
    empty_buckets_on_destroy: bool
    key_break_glass_role: str | None = None
    """The one role that may disable or schedule deletion of a prod key (access.breakGlassRole)."""

    @classmethod
    def for_environment(cls, environment: "Environment", key_break_glass_role: str | None = None) -> "Teardown":
        if environment == "prod":
            return cls(environment, protect_stateful=True, empty_buckets_on_destroy=False,
                       key_break_glass_role=key_break_glass_role)
        return cls(environment, protect_stateful=False, empty_buckets_on_destroy=True,
                   key_break_glass_role=key_break_glass_role)

    def key_lifecycle(self) -> dict[str, object]:
        """Keyword arguments for the key policy builders: prod guards DisableKey and
        ScheduleKeyDeletion; destroyable stacks let the administrators destroy keys."""
        return {"guard_lifecycle": self.protect_stateful, "break_glass_role": self.key_break_glass_role}

    def options(self, statefulness: Statefulness) -> pulumi.ResourceOptions:
        """Resource options for a resource of this kind: protect and retain in prod."""
        keep = self.protect_stateful and statefulness == "stateful"
        return pulumi.ResourceOptions(protect=keep, retain_on_delete=keep)

    def keep_stateful(self, args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        """A transformation the center applies to everything it declares: in prod every
        resource of a stateful type (awsfacts.STATEFUL_TYPES) is protected and retained,
        whether or not its component remembered to ask. The one table decides, not a list
        of call sites."""
        if not self.protect_stateful or not is_stateful(args.type_):
            return None
        keep = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
        return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, keep))

    def force_destroy(self, statefulness: Statefulness) -> bool:
        """Whether destroying a bucket may delete its objects (never for prod's stateful buckets)."""
        return self.empty_buckets_on_destroy or statefulness == "stateless"

    def deletion_protection(self, statefulness: Statefulness) -> bool:
        """AWS-side deletion protection (DynamoDB tables): on for prod's stateful resources,
        so even a delete outside Pulumi is refused."""
        return self.protect_stateful and statefulness == "stateful"

    def object_lock_mode(self, mode: str, *, archive: bool = False) -> str:
        """`mode` if this environment's rule allows it; the config model has already refused
        anything else, so a failure here is a programming error, not a config one."""
        problem = object_lock_problem(self.environment, mode, archive=archive)
        if problem is not None:
            raise ValueError(problem)
        return mode
