"""The root ceremony (docs/tuf-root-ceremony.md): a new root version is proposed from the
previous one and the stack's `distribution.root` config, signed by each keyholder with its own
key on its own machine, and accepted only once it meets both its own threshold and the
previous version's (TUF 5.3.4): so the reviewer organizations that hold the old root must agree
to every rotation, and the vendor alone can never reach either threshold.

Also: signing any metadata file (`sign_metadata`: the top-level targets at the ceremony, the
products role by the reviewer who rebuilt a release), and the report of who signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from .errors import BadInput, MetadataRefused
from .keys import holder_of, is_vendor
from .repository import SPEC_VERSION


def load_metadata(data: bytes, where: str) -> Any:
    from tuf.api.metadata import Metadata

    try:
        return Metadata.from_bytes(data)
    except (ValueError, TypeError, KeyError) as error:
        raise BadInput(f"{where}: not TUF metadata ({error})") from None


def vendor_alone_problem(keys: Iterable[Any], threshold: int) -> str | None:
    """Why `threshold` over `keys` is not safe (None when it is): the vendor's keys must never
    meet it alone, and the keys must be able to."""
    keys = list(keys)
    vendor = [k for k in keys if is_vendor(k)]
    if threshold > len(keys):
        return f"threshold {threshold} is more than the {len(keys)} keys: no root could ever be signed"
    if len(vendor) >= threshold:
        return (f"threshold {threshold} is met by the vendor's {len(vendor)} key(s) alone; it must exceed the "
                "number of vendor keys so that reviewer organizations always have to sign")
    return None


def propose_root(previous: Any | None, *, root_keys: Iterable[Any], threshold: int,
                 online_keys: Mapping[str, Any] | None = None, expires_days: int = 365,
                 now: datetime | None = None) -> Any:
    """The next root version (or version 1), unsigned: `root_keys` hold root and the top-level
    targets at `threshold`; the online keys stay those of `previous` unless given."""
    from tuf.api.metadata import Metadata, Root

    root_keys = list(root_keys)
    problem = vendor_alone_problem(root_keys, threshold)
    if problem:
        raise BadInput(f"distribution.root: {problem}")
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    old = previous.signed if previous is not None else None
    root = Root(version=(old.version + 1) if old else 1, expires=now + timedelta(days=expires_days),
                consistent_snapshot=True, spec_version=SPEC_VERSION)
    for key in root_keys:
        root.add_key(key, "root")
        root.add_key(key, "targets")
    for role in ("snapshot", "timestamp"):
        if online_keys and role in online_keys:
            root.add_key(online_keys[role], role)
        elif old is not None:
            for keyid in old.roles[role].keyids:
                root.add_key(old.keys[keyid], role)
        else:
            raise BadInput(f"a first root needs the {role} key")
    root.roles["root"].threshold = threshold
    root.roles["targets"].threshold = threshold
    return Metadata(root)


def sign_metadata(metadata: Any, signer: Any) -> Any:
    """Append `signer`'s signature (a keyholder signs what it has read; see `report`)."""
    metadata.sign(signer, append=True)
    return metadata


@dataclass(frozen=True)
class RootReport:
    version: int
    threshold: int
    previous_threshold: int
    signed_by: tuple[str, ...]
    """`holder:keyid[:8]` of every key whose signature verifies."""
    missing_new: int
    missing_previous: int
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def verified(self) -> bool:
        return self.missing_new == 0 and self.missing_previous == 0


def report(new: Any, previous: Any | None) -> RootReport:
    """Who signed `new`, and how many more signatures its own threshold and `previous`'s need."""
    from tuf.api.serialization.json import CanonicalJSONSerializer

    root = new.signed
    if previous is not None and root.version != previous.signed.version + 1:
        raise BadInput(f"root version {root.version} does not follow version {previous.signed.version}")
    payload = CanonicalJSONSerializer().serialize(root)
    result = root.get_root_verification_result(previous.signed if previous else None, payload, new.signatures)
    old_ids = set(previous.signed.roles["root"].keyids) if previous else set()
    new_ids = set(root.roles["root"].keyids)
    old_keys = previous.signed.keys if previous else {}

    def label(keyid: str, keys: Mapping[str, Any]) -> str:
        return f"{holder_of(keys[keyid]) or '?'}:{keyid[:8]}"

    return RootReport(
        version=root.version, threshold=root.roles["root"].threshold,
        previous_threshold=previous.signed.roles["root"].threshold if previous else root.roles["root"].threshold,
        signed_by=tuple(sorted(f"{holder_of(k) or '?'}:{kid[:8]}" for kid, k in result.signed.items())),
        missing_new=result.second.missing, missing_previous=result.first.missing,
        added=tuple(sorted(label(k, root.keys) for k in new_ids - old_ids)) if previous else (),
        removed=tuple(sorted(label(k, old_keys) for k in old_ids - new_ids)))


def require_verified(new: Any, previous: Any | None) -> RootReport:
    found = report(new, previous)
    if not found.verified:
        raise MetadataRefused(
            f"root version {found.version} is signed by {list(found.signed_by) or 'nobody'}: "
            f"{found.missing_new} more of its own keys (threshold {found.threshold}) and {found.missing_previous} more "
            f"of the previous root's (threshold {found.previous_threshold}) must sign", check="root-threshold")
    return found
