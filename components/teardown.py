"""Teardown rules per environment: the one place that decides what `pulumi destroy` may remove.

dev and staging are fully destroyable: nothing protected or retained, buckets emptied on
destroy. prod protects and retains every stateful resource (keys, stores, archives), so a
destroy or a replacement stops at them instead of erasing customer data or signing keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi

from .config.base import Environment

Statefulness = Literal["stateful", "stateless"]
"""stateful: keys, data stores, tables, archives. stateless: anything rebuilt from code."""

KEY_DELETION_WINDOW_DAYS = 30
"""The longest window KMS allows; a key scheduled for deletion can be rescued for 30 days."""


@dataclass(frozen=True)
class Teardown:
    environment: Environment
    protect_stateful: bool
    empty_buckets_on_destroy: bool

    @classmethod
    def for_environment(cls, environment: Environment) -> "Teardown":
        if environment == "prod":
            return cls(environment, protect_stateful=True, empty_buckets_on_destroy=False)
        return cls(environment, protect_stateful=False, empty_buckets_on_destroy=True)

    def options(self, statefulness: Statefulness) -> pulumi.ResourceOptions:
        """Resource options for a resource of this kind: protect and retain in prod."""
        keep = self.protect_stateful and statefulness == "stateful"
        return pulumi.ResourceOptions(protect=keep, retain_on_delete=keep)

    def force_destroy(self, statefulness: Statefulness) -> bool:
        """Whether destroying a bucket may delete its objects (never for prod's stateful buckets)."""
        return self.empty_buckets_on_destroy or statefulness == "stateless"
