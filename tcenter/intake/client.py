"""The reference client: what a product does with a suspicious file (docs/intake.md).

    client = IntakeClient(bundle, trust, send=https_transport(url, cert, key))
    outcome = client.offer(Path("dropper.exe"), detection="HEUR:Trojan-Dropper.Win32.Generic")

It verifies the rule set it holds before it ever uploads, with the `Trust` it was built with
(never the bundle's own claims): the bundle's digest and the lints, that the set is in the
transparency log by a tlog-proof whose checkpoint `k` witness organizations cosigned, and a
quorum of reviewer organizations' signatures valid when it was logged (bundle.verify_bundle).
It uploads only a file an approved rule covers (file type from the file's first bytes,
detection name, host path, size), hashes the file, asks the broker, and uploads with the presigned
PUT exactly as signed. "Already have it" (200 from the broker, or 412 from S3 when another client's
upload landed first) uploads nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import bundle as bundles
from . import rules

Transport = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]
"""Sends the request body to the region's intake route; returns (HTTP status, JSON body)."""
Uploader = Callable[[str, dict[str, str], Path], int]
"""PUTs the file to the presigned URL with exactly these headers; returns the HTTP status."""


@dataclass(frozen=True)
class Outcome:
    status: str
    """uploaded | known | not-collected | refused"""
    sha256: str | None = None
    rule_id: str | None = None
    detail: str = ""
    http_status: int | None = None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def put_with_requests(url: str, headers: dict[str, str], path: Path, timeout: float = 120.0) -> int:
    import requests

    with open(path, "rb") as body:
        return requests.put(url, data=body, headers=headers, timeout=timeout).status_code


def https_transport(url: str, cert: Path, key: Path, ca: Path | None = None, timeout: float = 10.0) -> Transport:
    """The product's side of mutual TLS: its own certificate and key from the vendor's product CA."""
    import requests

    def send(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = requests.post(url, json=body, cert=(str(cert), str(key)), verify=str(ca) if ca else True,
                                 timeout=timeout)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"error": {"code": "not-json", "message": response.text[:200]}}
    return send


class IntakeClient:
    def __init__(self, bundle: dict[str, Any], trust: bundles.Trust, send: Transport, upload: Uploader = put_with_requests):
        self.rule_set = bundles.verify_bundle(bundle, trust).rule_set
        self.digest = rules.digest(self.rule_set)
        self.send = send
        self.upload = upload

    def rule_for(self, path: Path, detection: str, host_path: str | None = None) -> rules.CollectionRule | None:
        with open(path, "rb") as stream:
            head = stream.read(16)
        kind = rules.file_type(head, Path(path).name, self.rule_set)
        return rules.matching_rule(self.rule_set, kind, detection, host_path or str(path), Path(path).stat().st_size)

    def offer(self, path: Path, detection: str, host_path: str | None = None) -> Outcome:
        rule = self.rule_for(path, detection, host_path)
        if rule is None:
            return Outcome("not-collected", detail=f"no rule of the approved set {self.digest} covers this file")
        sha256 = sha256_file(path)
        size = Path(path).stat().st_size
        status, body = self.send({"sha256": sha256, "size": size, "ruleId": rule.id, "ruleSetDigest": self.digest})
        if status == 200 and body.get("status") == "known":
            return Outcome("known", sha256, rule.id, "the intake already has it", status)
        if status != 201 or body.get("status") != "upload":
            error = body.get("error") or {}
            return Outcome("refused", sha256, rule.id, f"{error.get('code', '?')}: {error.get('message', '')}", status)
        upload = body["upload"]
        if body.get("key") != f"samples/{sha256}" or upload.get("method") != "PUT":
            return Outcome("refused", sha256, rule.id, f"the broker offered another key ({body.get('key')!r})", status)
        put = self.upload(upload["url"], dict(upload["headers"]), Path(path))
        if put == 200:
            return Outcome("uploaded", sha256, rule.id, body["key"], put)
        if put == 412:
            return Outcome("known", sha256, rule.id, "another client's upload landed first", put)
        return Outcome("refused", sha256, rule.id, f"the store answered {put} to the upload", put)
