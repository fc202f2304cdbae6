"""Cosigned checkpoints: where the witnesses' cosignatures live, and how a checkpoint that
carries them is put together.

    checkpoints/<size>          the checkpoint the log signed at that size (sequencer, create-only)
    cosignatures/<org>/<size>   organization <org>'s cosignature of it: the signature line(s) its
                                witness returned, as c2sp.org/tlog-witness answers add-checkpoint
                                (the organization's witness role, create-only)
    checkpoint                  the latest checkpoint; the sequencer merges into it the verified
                                cosignatures of its size

A cosignature line signs the checkpoint's text, so the cosigned checkpoint of size N is
`checkpoints/<N>` with the lines of `cosignatures/*/<N>` appended: anyone can put it together
(`assemble`), nothing in the bucket is ever rewritten for it, and a checkpoint cosigned long
after the log grew past it still proves the entries it covers. Clients never trust a line for
being in the bucket: they verify it against the organizations' keys (`cosignature.check_policy`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .cosignature import CosignatureVerifier
from .errors import Malformed, TlogError, TlogVerificationFailed
from .log import Storage, checkpoint_history_path
from .note import parse_signature_line, split_note
from .witness import add_signature_lines

COSIGNATURES = "cosignatures/"
MAX_COSIGNATURE_BYTES = 4096
_ORG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_PATH = re.compile(r"cosignatures/([a-z0-9][a-z0-9-]{0,62})/(0|[1-9][0-9]{0,18})")


def cosignature_path(organization: str, size: int) -> str:
    if not _ORG.fullmatch(organization):
        raise Malformed(f"organization {organization!r} is not a slug (a-z, 0-9, '-')")
    return f"{COSIGNATURES}{organization}/{size}"


def parse_cosignature_path(path: str) -> tuple[str, int] | None:
    """(organization, size) of a cosignature object's path, None for anything else."""
    match = _PATH.fullmatch(path)
    return (match.group(1), int(match.group(2))) if match else None


def encode_lines(lines: Sequence[str]) -> bytes:
    """The cosignature object: signature lines, each ending in a newline (syntax checked)."""
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    parse_lines(text.encode("utf-8"))
    return text.encode("utf-8")


def parse_lines(data: bytes) -> list[str]:
    """The signature lines of a cosignature object (`Malformed` unless it is only such lines)."""
    if not data or len(data) > MAX_COSIGNATURE_BYTES or not data.endswith(b"\n"):
        raise Malformed(f"a cosignature object is 1 to {MAX_COSIGNATURE_BYTES} bytes of signature lines")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("a cosignature object is not UTF-8") from None
    lines = text[:-1].split("\n")
    for line in lines:
        parse_signature_line(line)
    return [line + "\n" for line in lines]


def verified_lines(signed_checkpoint: bytes, lines: Iterable[str], keys: Sequence[CosignatureVerifier]) -> list[str]:
    """The lines among `lines` that are cosignatures by one of `keys` over this checkpoint's text."""
    text, _ = split_note(signed_checkpoint)
    message = text.encode("utf-8")
    by_id = {(k.name, k.key_id): k for k in keys}
    good = []
    for line in lines:
        try:
            sig = parse_signature_line(line.rstrip("\n"))
        except Malformed:
            continue
        key = by_id.get((sig.name, sig.key_id))
        if key is not None and key.verify(message, sig.signature) and line not in good:
            good.append(line if line.endswith("\n") else line + "\n")
    return good


@dataclass(frozen=True)
class Cosigned:
    """A checkpoint of `size` with the lines of the organizations that cosigned it."""

    size: int
    checkpoint: bytes
    organizations: tuple[str, ...]


def organization_lines(storage: Storage, size: int, organizations: Mapping[str, Sequence[CosignatureVerifier]],
                       signed_checkpoint: bytes) -> dict[str, list[str]]:
    """For each organization, its verified cosignature lines of `signed_checkpoint` (size `size`)
    read from `cosignatures/<org>/<size>`; organizations without one are left out. A malformed
    or foreign object is skipped (it proves nothing), never an error."""
    found: dict[str, list[str]] = {}
    for org in sorted(organizations):
        data = storage.get(cosignature_path(org, size))
        if data is None:
            continue
        try:
            lines = verified_lines(signed_checkpoint, parse_lines(data), organizations[org])
        except (TlogError, TlogVerificationFailed):
            continue
        if lines:
            found[org] = lines
    return found


def assemble(storage: Storage, size: int, organizations: Mapping[str, Sequence[CosignatureVerifier]]) -> Cosigned | None:
    """`checkpoints/<size>` with every organization's verified cosignature of it, or None if the
    log signed no checkpoint of that size."""
    base = storage.get(checkpoint_history_path(size))
    if base is None:
        return None
    lines = organization_lines(storage, size, organizations, base)
    merged = add_signature_lines(base, [line for org in sorted(lines) for line in lines[org]])
    return Cosigned(size, merged, tuple(sorted(lines)))


def cosigned_sizes(storage: Storage) -> dict[int, tuple[str, ...]]:
    """Size -> organizations with a cosignature object for it, from a listing of `cosignatures/`
    (empty if the storage cannot list: a log read over HTTPS)."""
    lister = getattr(storage, "list", None)
    if lister is None:
        return {}
    sizes: dict[int, set[str]] = {}
    for path in lister(COSIGNATURES):
        parsed = parse_cosignature_path(path)
        if parsed is not None:
            sizes.setdefault(parsed[1], set()).add(parsed[0])
    return {size: tuple(sorted(orgs)) for size, orgs in sorted(sizes.items())}
