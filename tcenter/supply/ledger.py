"""The deployment ledger: what the last successful `tcenter up` of each stack deployed, and so
who approves the next change (issue 31, docs/lifecycle.md "The deployment ledger").

A record is one JSON object per deployment, append-only, numbered per stack:

    <ledger>/<stack>/<sequence, 8 digits>.json
    {"format": "transparency-center-deployment", "version": 1, "stack", "sequence",
     "previous": sha256 of the previous record's bytes (null for the first),
     "commit", "tree" (the program tree deployed), "environment",
     "approvals": the deployed config's approvals section (who approves the NEXT change),
     "deployedAt", and what the gate saw: "subjectDigest", "planDigest", "approvedBy", "gate"}

The head (highest sequence) is the *base* of every approval: approvers, quorum and expiry
come from it, never from the change or the caller, and an approval names the head's digest,
so it cannot be replayed once anything else was deployed.

Where records live is the deployment environment's choice, not the change's (`--ledger URL`
or TCENTER_LEDGER):
- `s3://BUCKET/PREFIX`: the production ledger, a prefix of the audit archive under Object
  Lock that only the deploy role may write (create-only: If-None-Match: *), everyone reads;
- `file:///PATH`: a directory (dev, tests; only as trustworthy as the file system).
A transparency log is the next backend: `Ledger` is the seam (`head`, `append`); a log-backed
ledger also proves to reviewers that no record was withheld.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from components.awsfacts import REGION

from ..core.errors import InputError, UsageError

FORMAT = "transparency-center-deployment"
VERSION = 1
LEDGER_ENV = "TCENTER_LEDGER"
RECORD_NAME = re.compile(r"[0-9]{8}\.json")
MAX_RECORD_BYTES = 1 << 20


@dataclass(frozen=True)
class Record:
    """A deployment record as stored, with the digest of its exact bytes."""

    data: dict[str, Any]
    digest: str

    @property
    def sequence(self) -> int:
        return int(self.data["sequence"])

    @property
    def commit(self) -> str:
        return str(self.data["commit"])

    @property
    def environment(self) -> str:
        return str(self.data["environment"])

    @property
    def approvals(self) -> Any:
        return self.data["approvals"]

    def base(self) -> dict[str, Any]:
        """What an approval names as its base."""
        return {"sequence": self.sequence, "record": self.digest, "commit": self.commit}


NO_BASE = {"sequence": 0, "record": None, "commit": None}
"""The base of a stack's first deployment (`up --bootstrap`)."""


def parse_record(body: bytes, stack: str, where: str, sequence: int | None = None) -> Record:
    if len(body) > MAX_RECORD_BYTES:
        raise InputError(f"{where}: a deployment record larger than {MAX_RECORD_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError:
        raise InputError(f"{where}: not a deployment record (not JSON)") from None
    problems = []
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise InputError(f"{where}: not a {FORMAT} record of version {VERSION}")
    if data.get("stack") != stack:
        problems.append(f"stack {data.get('stack')!r}, not {stack!r}")
    if not isinstance(data.get("sequence"), int) or data["sequence"] < 1 or (sequence is not None and data["sequence"] != sequence):
        problems.append(f"sequence {data.get('sequence')!r} (file says {sequence})")
    for key in ("commit", "tree", "environment"):
        if not isinstance(data.get(key), str) or not data[key]:
            problems.append(f"no {key}")
    if not isinstance(data.get("approvals"), dict):
        problems.append("no approvals section")
    if problems:
        raise InputError(f"{where}: deployment record refused: {'; '.join(problems)}")
    return Record(data, hashlib.sha256(body).hexdigest())


def new_record(stack: str, head: Record | None, *, commit: str, tree: str, environment: str,
               approvals: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "stack": stack,
            "sequence": (head.sequence if head else 0) + 1, "previous": head.digest if head else None,
            "commit": commit, "tree": tree, "environment": environment, "approvals": approvals,
            "deployedAt": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **extra}


def record_bytes(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


class Ledger(Protocol):
    """Where deployment records live. A transparency-log ledger implements the same two calls."""

    url: str

    def head(self, stack: str) -> Record | None: ...

    def append(self, stack: str, record: dict[str, Any]) -> Record: ...


@dataclass(frozen=True)
class FileLedger:
    """A directory of records: `<path>/<stack>/<sequence>.json`, created exclusively."""

    path: Path

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def head(self, stack: str) -> Record | None:
        folder = self.path / stack
        names = sorted(p.name for p in folder.iterdir() if RECORD_NAME.fullmatch(p.name)) if folder.is_dir() else []
        if not names:
            return None
        path = folder / names[-1]
        try:
            body = path.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read the deployment record {path}: {error.strerror}") from None
        return parse_record(body, stack, str(path), int(names[-1][:8]))

    def append(self, stack: str, record: dict[str, Any]) -> Record:
        folder = self.path / stack
        folder.mkdir(parents=True, exist_ok=True)
        body = record_bytes(record)
        path = folder / f"{record['sequence']:08d}.json"
        try:
            with open(path, "xb") as stream:  # never overwrites: a concurrent deployment fails here
                stream.write(body)
        except FileExistsError:
            raise InputError(f"deployment record {path} exists already: another deployment of {stack} ran") from None
        return Record(record, hashlib.sha256(body).hexdigest())


@dataclass(frozen=True)
class S3Ledger:
    """Records under `s3://bucket/prefix<stack>/<sequence>.json`, written create-only
    (If-None-Match: *) into a bucket whose Object Lock keeps them (the audit archive)."""

    bucket: str
    prefix: str
    client: Any = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _client(self) -> Any:
        if self.client is not None:
            return self.client
        import boto3

        return boto3.client("s3", region_name=REGION)

    def head(self, stack: str) -> Record | None:
        client = self._client()
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.prefix}{stack}/"):
            keys += [o["Key"] for o in page.get("Contents", []) if RECORD_NAME.fullmatch(o["Key"].rsplit("/", 1)[-1])]
        if not keys:
            return None
        key = max(keys)
        body = client.get_object(Bucket=self.bucket, Key=key)["Body"].read(MAX_RECORD_BYTES + 1)
        return parse_record(body, stack, f"s3://{self.bucket}/{key}", int(key.rsplit("/", 1)[-1][:8]))

    def append(self, stack: str, record: dict[str, Any]) -> Record:
        body = record_bytes(record)
        key = f"{self.prefix}{stack}/{record['sequence']:08d}.json"
        self._client().put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*",
                                  ContentType="application/json")
        return Record(record, hashlib.sha256(body).hexdigest())


def open_ledger(url: str | None, environ: Any = None) -> Ledger | None:
    """The ledger at URL (or $TCENTER_LEDGER); None when neither names one."""
    url = url or (os.environ if environ is None else environ).get(LEDGER_ENV)
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme == "file" and parsed.path:
        return FileLedger(Path(parsed.path))
    if parsed.scheme == "s3" and parsed.netloc:
        prefix = parsed.path.lstrip("/")
        return S3Ledger(parsed.netloc, prefix if not prefix or prefix.endswith("/") else prefix + "/")
    raise UsageError(f"--ledger / {LEDGER_ENV} takes s3://BUCKET/PREFIX or file:///PATH, not {url!r}")


def read_record_file(path: Path, stack: str) -> Record:
    """A record a reviewer fetched (`--base-record FILE`): it only names the base of an
    approval; the gate compares it with the ledger's own head."""
    try:
        body = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the deployment record {path}: {error.strerror}") from None
    return parse_record(body, stack, str(path))
