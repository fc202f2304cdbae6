"""Where tcenter keeps what it can compute again: plans of git revisions (tcenter/plan/cache.py)
and the IAM action lists access expands wildcards from. A content-addressed store: an entry's
name is the SHA-256 of everything it was computed from, so it is safe to share between
checkouts, processes and users, and an entry is never stale, only unused.

Where: `$TCENTER_CACHE_DIR`, else `$XDG_CACHE_HOME/tcenter`, else `~/.cache/tcenter`; when
that cannot be created, `.tcenter-cache/` in the checkout (gitignored). `TCENTER_NO_CACHE=1`
turns it off. Entries are written to a temporary file and renamed into place (atomic on
POSIX): a reader sees a whole entry or none. To clear it, delete the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .stackfiles import PROJECT_ROOT

ENV_DIR = "TCENTER_CACHE_DIR"
ENV_OFF = "TCENTER_NO_CACHE"
FALLBACK = PROJECT_ROOT / ".tcenter-cache"


def root() -> Path | None:
    """The cache folder (created), or None when caching is off or no folder can be made."""
    if os.environ.get(ENV_OFF):
        return None
    if os.environ.get(ENV_DIR):
        candidates = [Path(os.environ[ENV_DIR])]
    else:
        base = Path(os.environ["XDG_CACHE_HOME"]) if os.environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
        candidates = [base / "tcenter", FALLBACK]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    return None


def digest(inputs: Any) -> str:
    """The SHA-256 of INPUTS as canonical JSON: the name of what was computed from them."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def path(kind: str, key: str, suffix: str = ".json") -> Path | None:
    folder = root()
    return None if folder is None else folder / kind / f"{key}{suffix}"


def read(kind: str, key: str, suffix: str = ".json") -> bytes | None:
    where = path(kind, key, suffix)
    try:
        return where.read_bytes() if where is not None else None
    except OSError:
        return None


def write(kind: str, key: str, data: bytes, suffix: str = ".json") -> Path | None:
    """Store DATA under KEY atomically; a cache that cannot be written is no error (None)."""
    where = path(kind, key, suffix)
    if where is None:
        return None
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=where.parent, prefix=f".{key[:16]}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)  # readable by whoever shares the folder, like any cache
            os.replace(temporary, where)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return where
    except OSError:
        return None
