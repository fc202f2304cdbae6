"""Where a log lives, as a `log.Storage`: an S3 bucket, a public HTTPS URL (read-only) or a
directory (`open_location`).

`S3Storage` keeps the log's write rules with S3's conditional writes (S3 user guide,
"Conditional requests"; the bucket policy denies any other write, docs/transparency-infrastructure.md):

- create-only (tiles, entry bundles, `checkpoints/<size>`, cosignatures): `PutObject` with
  `If-None-Match: *`. A 412 means the key exists: if it holds the same bytes the write was a
  retry and succeeded; other bytes raise `AlreadyExists`.
- the checkpoint: `PutObject` with `If-Match: <the ETag this process read or wrote>`, or
  `If-None-Match: *` if it read none (compare-and-swap). A 412 raises `ChangedConcurrently`:
  somebody else wrote it since, and nothing is overwritten.
- a 409 `ConditionalRequestConflict` (a concurrent conditional write) is retried, a bounded
  number of times, with the same precondition.

Every call is bounded: connect and read timeouts, botocore's standard retry mode with a
fixed number of attempts, a size limit on every object read (an entry bundle is at most
256 * (2 + 65,535) bytes) and on the pages a listing walks.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .errors import AlreadyExists, ChangedConcurrently, StorageError
from .log import CHECKPOINT, LocalDirectoryStorage, Storage, check_path
from .tiles import MAX_ENTRY_BYTES, TILE_WIDTH

MAX_OBJECT_BYTES = TILE_WIDTH * (2 + MAX_ENTRY_BYTES)
"""The largest object of a log: a full entry bundle of maximal entries."""
MAX_LIST_PAGES = 1000
"""A listing walks at most this many pages of 1,000 keys."""
TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
TEXT_PREFIXES = ("checkpoints/", "cosignatures/")
"""Signed notes and cosignature lines are text, like the checkpoint (tlog-tiles: text/plain)."""
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
MAX_ATTEMPTS = 5
CONFLICT_RETRIES = 3


def client_config() -> Any:
    """botocore's Config for the log's clients: bounded timeouts and attempts."""
    from botocore.config import Config

    return Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                  retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"})


def content_type(path: str) -> str:
    return TEXT if path == CHECKPOINT or path.startswith(TEXT_PREFIXES) else BINARY


def _error_of(error: Exception) -> tuple[int, str, str]:
    response = getattr(error, "response", None) or {}
    status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    detail = response.get("Error") or {}
    return status, str(detail.get("Code", "")), str(detail.get("Message", "") or error)


class S3Storage:
    """The log's files in `bucket` under `prefix` (paths are relative to the prefix); `client`
    is a boto3 S3 client (see `client_config`)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", *, conflict_retries: int = CONFLICT_RETRIES,
                 max_object_bytes: int = MAX_OBJECT_BYTES):
        if prefix and not prefix.endswith("/"):
            raise StorageError(f"an S3 prefix ends in '/': {prefix!r}")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.conflict_retries = conflict_retries
        self.max_object_bytes = max_object_bytes
        self.etags: dict[str, str] = {}
        """The ETag of each path as this process last read or wrote it (the checkpoint's CAS)."""

    def __repr__(self) -> str:
        return f"S3Storage(s3://{self.bucket}/{self.prefix})"

    def _key(self, path: str) -> str:
        check_path(path)
        return self.prefix + path

    def get(self, path: str) -> bytes | None:
        key = self._key(path)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as e:
            status, code, message = _error_of(e)
            if status == 404 or code in ("NoSuchKey", "NotFound", "404"):
                self.etags.pop(path, None)
                return None
            raise StorageError(f"s3:GetObject s3://{self.bucket}/{key}: {code or type(e).__name__}: {message}") from None
        try:
            body = response["Body"].read(self.max_object_bytes + 1)
        except Exception as e:
            raise StorageError(f"s3:GetObject s3://{self.bucket}/{key}: reading the body failed: {e}") from None
        finally:
            response["Body"].close()
        if len(body) > self.max_object_bytes:
            raise StorageError(f"s3://{self.bucket}/{key} is larger than {self.max_object_bytes} bytes")
        self.etags[path] = response.get("ETag", "")
        return body

    def put(self, path: str, data: bytes, create_only: bool) -> None:
        key = self._key(path)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": bytes(data), "ContentType": content_type(path)}
        etag = None if create_only else self.etags.get(path)
        if etag:
            params["IfMatch"] = etag
        else:
            params["IfNoneMatch"] = "*"
        for attempt in range(self.conflict_retries + 1):
            try:
                response = self.client.put_object(**params)
            except Exception as e:
                status, code, message = _error_of(e)
                if status == 409 or code == "ConditionalRequestConflict":
                    time.sleep(min(0.1 * 2 ** attempt, 2.0))
                    continue
                if status == 412 or code == "PreconditionFailed":
                    if not create_only:
                        raise ChangedConcurrently(path) from None
                    if self.get(path) == bytes(data):
                        return  # a retried create: the key holds exactly these bytes
                    raise AlreadyExists(path) from None
                if etag and (status == 404 or code == "NoSuchKey"):
                    raise ChangedConcurrently(path) from None
                raise StorageError(f"s3:PutObject s3://{self.bucket}/{key}: {code or type(e).__name__}: {message}") from None
            self.etags[path] = response.get("ETag", "")
            return
        raise StorageError(f"s3:PutObject s3://{self.bucket}/{key}: {self.conflict_retries + 1} conditional-request "
                           "conflicts (409) in a row")

    def list(self, prefix: str) -> list[str]:
        found: list[str] = []
        token = None
        for _ in range(MAX_LIST_PAGES):
            params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix + prefix}
            if token:
                params["ContinuationToken"] = token
            try:
                page = self.client.list_objects_v2(**params)
            except Exception as e:
                status, code, message = _error_of(e)
                raise StorageError(f"s3:ListObjectsV2 s3://{self.bucket}/{self.prefix}{prefix}: "
                                   f"{code or type(e).__name__}: {message}") from None
            found += [item["Key"][len(self.prefix):] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(found)
            token = page.get("NextContinuationToken")
        raise StorageError(f"s3://{self.bucket}/{self.prefix}{prefix}: more than {MAX_LIST_PAGES} pages of keys")


class HttpsStorage:
    """A log read over HTTPS from its public URL (the CloudFront distribution, or any copy).
    Read-only and not listable. 404 (and 403, which S3 behind Origin Access Control answers for
    a key that does not exist) read as absent."""

    def __init__(self, base_url: str, *, timeout: float = READ_TIMEOUT, max_object_bytes: int = MAX_OBJECT_BYTES,
                 opener: Any = None):
        parsed = urllib.parse.urlsplit(base_url)
        local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
            raise StorageError(f"{base_url}: a log URL is https:// (plain http only on this machine)")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.max_object_bytes = max_object_bytes
        self._open = opener or urllib.request.build_opener().open

    def __repr__(self) -> str:
        return f"HttpsStorage({self.base_url})"

    def get(self, path: str) -> bytes | None:
        check_path(path)
        url = self.base_url + urllib.parse.quote(path)
        try:
            with self._open(urllib.request.Request(url, headers={"User-Agent": "tcenter-tlog"}), timeout=self.timeout) as r:
                body = r.read(self.max_object_bytes + 1)
        except urllib.error.HTTPError as e:
            if e.code in (403, 404):
                return None
            raise StorageError(f"GET {url}: HTTP {e.code}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            raise StorageError(f"GET {url}: {getattr(e, 'reason', e)}") from None
        if len(body) > self.max_object_bytes:
            raise StorageError(f"{url} is larger than {self.max_object_bytes} bytes")
        return body

    def put(self, path: str, data: bytes, create_only: bool) -> None:
        raise StorageError(f"{self.base_url} is read-only: write to the log's bucket (s3://...)")


def split_s3_url(location: str) -> tuple[str, str]:
    """`s3://bucket[/prefix/]` -> (bucket, prefix ending in '/' or '')."""
    parsed = urllib.parse.urlsplit(location)
    prefix = parsed.path.lstrip("/")
    if not parsed.netloc or parsed.query or parsed.fragment:
        raise StorageError(f"{location}: expected s3://BUCKET[/PREFIX/]")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return parsed.netloc, prefix


def s3_client(session: Any = None, region: str | None = None) -> Any:
    """A bounded S3 client from `session` (default: a boto3 Session from the environment)."""
    if session is None:
        import boto3

        session = boto3.Session(region_name=region)
    return session.client("s3", region_name=region or session.region_name, config=client_config())


def open_location(location: str, *, session: Any = None, region: str | None = None) -> Storage:
    """Storage for `location`: `s3://bucket[/prefix/]`, `https://host/prefix/`, or a directory."""
    if location.startswith("s3://"):
        bucket, prefix = split_s3_url(location)
        return S3Storage(s3_client(session, region), bucket, prefix)
    if location.startswith(("https://", "http://")):
        return HttpsStorage(location)
    path = Path(location)
    if not path.is_dir():
        raise StorageError(f"{location}: not a directory, s3://BUCKET/ or https:// URL of a log")
    return LocalDirectoryStorage(path, fsync=True)
