"""The intake broker of one customer region (issue 27, docs/intake.md).

Two events reach it:

- API Gateway (REST API, Lambda proxy integration, payload format 1.0) behind a custom domain
  with mutual TLS: a product asks to send a sample. The broker checks the client's certificate
  subject (CN = client id, OU = customer region; API Gateway has already verified the chain
  against the vendor's product CA), that the request cites a rule of the approved collection
  rule set, the sample's SHA-256 and size; counts the client's requests; claims the hash with a
  conditional put (a hash already claimed or stored ends the request: "already have it"); and
  answers with a presigned PUT of exactly `samples/<sha256>`: size, SHA-256 checksum, SSE-KMS
  under the region's key and `If-None-Match: *` are signed headers, the URL expires within
  five minutes.
- S3 (ObjectCreated under `samples/`): a sample landed; its claim becomes `stored` for good.

It never reads customer data: no GetObject, no GetItem; its conditional writes return nothing.
The one object it reads is the approved rule set, which the approval pipeline publishes.

Standard library, boto3 and botocore only (what the Lambda Python runtime ships).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

SAMPLES_PREFIX = "samples/"
RULES_KEY = "rules/approved.json"
COLLECTION_RULE_METADATA = "collection-rule"
"""The sample's object metadata naming the rule it was collected under (read by the analysis cells)."""
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
REQUEST_FIELDS = frozenset({"sha256", "size", "ruleId", "ruleSetDigest"})
CLAIM_GRACE_SECONDS = 60
"""A claim outlives its URL by this much (an upload started just before expiry may still finish)."""
AWS_S3_ENDPOINT = "https://s3.{region}.amazonaws.com"


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a rule set: sorted keys, no insignificant white space, UTF-8.
    For the values a rule set holds (strings, integers, booleans, lists, objects) this is RFC 8785
    (JCS). tcenter.intake.rules computes the same bytes (tests/intake hold the two together)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Refusal(Exception):
    """A request the broker turns down: an HTTP status, a stable code and a one-line reason."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass(frozen=True)
class Settings:
    customer_region: str
    aws_region: str
    bucket: str
    key_arn: str
    table: str
    rules_bucket: str
    min_bytes: int
    max_bytes: int
    url_seconds: int
    per_client_per_hour: int
    rules_refresh_seconds: int
    s3_endpoint: str

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        aws_region = env.get("AWS_REGION", "eu-central-2")
        return cls(
            customer_region=env["CUSTOMER_REGION"], aws_region=aws_region, bucket=env["SAMPLES_BUCKET"],
            key_arn=env["SAMPLES_KEY_ARN"], table=env["INTAKE_TABLE"], rules_bucket=env["RULES_BUCKET"],
            min_bytes=int(env["MIN_BYTES"]), max_bytes=int(env["MAX_BYTES"]), url_seconds=int(env["URL_SECONDS"]),
            per_client_per_hour=int(env["PER_CLIENT_PER_HOUR"]), rules_refresh_seconds=int(env["RULES_REFRESH_SECONDS"]),
            s3_endpoint=env.get("S3_ENDPOINT") or AWS_S3_ENDPOINT.format(region=aws_region),
        )


@dataclass(frozen=True)
class ApprovedRules:
    digest: str
    max_bytes: dict[str, int]
    """Rule id -> its size cap."""


def parse_subject(dn: str) -> dict[str, list[str]]:
    """Attributes of a distinguished name as API Gateway forwards it (`CN=...,OU=...`, RFC 4514
    escaping of `,` `+` `\\`)."""
    parts, current, escaped = [], [], False
    for char in dn:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",+":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    attributes: dict[str, list[str]] = {}
    for part in parts:
        name, sep, value = part.partition("=")
        if sep:
            attributes.setdefault(name.strip().upper(), []).append(value.strip())
    return attributes


_CERT_TIME = "%b %d %H:%M:%S %Y %Z"


def _cert_time(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(" ".join(text.split()), _CERT_TIME).replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def client_identity(event: dict[str, Any], now: float) -> tuple[str, str]:
    """(client id, customer region) from the mutual-TLS certificate API Gateway verified."""
    cert = ((event.get("requestContext") or {}).get("identity") or {}).get("clientCert")
    if not isinstance(cert, dict) or not cert.get("subjectDN"):
        raise Refusal(401, "no-client-certificate",
                      "no client certificate: the intake accepts products authenticated by mutual TLS only")
    subject = parse_subject(str(cert["subjectDN"]))
    names, units = subject.get("CN", []), subject.get("OU", [])
    if len(names) != 1 or not CLIENT_ID.match(names[0]) or len(units) != 1:
        raise Refusal(401, "bad-client-certificate",
                      "client certificate subject must carry one CN (client id: letters, digits, . _ -) and one OU "
                      "(customer region)")
    validity = cert.get("validity") or {}
    not_before, not_after = _cert_time(validity.get("notBefore", "")), _cert_time(validity.get("notAfter", ""))
    moment = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    if not_before is None or not_after is None or not (not_before <= moment <= not_after):
        raise Refusal(401, "client-certificate-not-valid", "client certificate is not valid at this time")
    return names[0], units[0]


def parse_request(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("httpMethod") != "POST":
        raise Refusal(405, "method-not-allowed", "only POST is served", {"Allow": "POST"})
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise Refusal(400, "bad-request", "body is not base64 UTF-8") from None
    try:
        request = json.loads(body)
    except (TypeError, ValueError):
        raise Refusal(400, "bad-request", "body must be a JSON object") from None
    if not isinstance(request, dict) or set(request) != REQUEST_FIELDS:
        raise Refusal(400, "bad-request", f"body must hold exactly {sorted(REQUEST_FIELDS)}")
    if not isinstance(request["sha256"], str) or not SHA256_HEX.match(request["sha256"]):
        raise Refusal(400, "bad-sha256", "sha256 must be 64 lowercase hex digits")
    if not isinstance(request["size"], int) or isinstance(request["size"], bool) or request["size"] < 0:
        raise Refusal(400, "bad-size", "size must be a non-negative integer (bytes)")
    if not isinstance(request["ruleId"], str) or not RULE_ID.match(request["ruleId"]):
        raise Refusal(400, "no-rule", "ruleId must name a rule of the approved collection rule set")
    if not isinstance(request["ruleSetDigest"], str) or not DIGEST.match(request["ruleSetDigest"]):
        raise Refusal(400, "no-rule-set", "ruleSetDigest must be sha256:<64 hex digits> of the approved rule set")
    return request


def rules_from_bundle(document: bytes) -> ApprovedRules:
    """The parts of the published bundle the broker needs, after checking its digest."""
    bundle = json.loads(document)
    rule_set = bundle["ruleSet"]
    digest = "sha256:" + hashlib.sha256(canonical_json(rule_set)).hexdigest()
    if bundle.get("digest") != digest:
        raise ValueError(f"published digest {bundle.get('digest')!r} is not the rule set's {digest}")
    return ApprovedRules(digest, {rule["id"]: int(rule["maxBytes"]) for rule in rule_set["rules"]})


class Broker:
    def __init__(self, settings: Settings, dynamodb: Any, s3: Any, credentials: Callable[[], Any],
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.dynamodb = dynamodb
        self.s3 = s3
        self.credentials = credentials
        self.clock = clock
        self._rules: ApprovedRules | None = None
        self._rules_loaded = float("-inf")
        self._lock = threading.Lock()

    # --- entry point -------------------------------------------------------------------------

    def handle(self, event: dict[str, Any]) -> dict[str, Any] | None:
        records = event.get("Records")
        if isinstance(records, list) and records and all(r.get("eventSource") == "aws:s3" for r in records):
            self.confirm(records)
            return None
        try:
            status, body = self.request(event)
            return _response(status, body)
        except Refusal as refusal:
            return _response(refusal.status, {"error": {"code": refusal.code, "message": refusal.message}},
                             refusal.headers)

    # --- a product asks to send a sample ------------------------------------------------------

    def request(self, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        s = self.settings
        now = self.clock()
        client, region = client_identity(event, now)
        if region != s.customer_region:
            raise Refusal(403, "wrong-region",
                          f"a client of {region} sends only to its own region's intake, not {s.customer_region}'s")
        request = parse_request(event)
        size = request["size"]
        if not s.min_bytes <= size <= s.max_bytes:
            raise Refusal(413, "size-out-of-range", f"size {size} is outside {s.min_bytes}-{s.max_bytes} bytes")
        rules = self.approved_rules(now)
        if rules is None:
            raise Refusal(403, "no-approved-rule-set", "no collection rule set is approved: nothing may be uploaded")
        if request["ruleSetDigest"] != rules.digest:
            raise Refusal(409, "rule-set-superseded",
                          f"rule set {request['ruleSetDigest']} is not the approved one ({rules.digest}): fetch it again")
        cap = rules.max_bytes.get(request["ruleId"])
        if cap is None:
            raise Refusal(403, "rule-not-approved", f"rule {request['ruleId']!r} is not in the approved rule set")
        if size > cap:
            raise Refusal(413, "size-over-rule-cap", f"size {size} exceeds rule {request['ruleId']!r}'s cap of {cap} bytes")
        self.count_request(client, now)
        if not self.claim(request, now):
            return 200, {"status": "known", "sha256": request["sha256"]}
        return 201, {"status": "upload", "sha256": request["sha256"], "key": SAMPLES_PREFIX + request["sha256"],
                     "upload": self.presign(request["sha256"], size, now, request["ruleId"])}

    def approved_rules(self, now: float) -> ApprovedRules | None:
        s = self.settings
        with self._lock:
            if now - self._rules_loaded < s.rules_refresh_seconds:
                return self._rules
            try:
                body = self.s3.get_object(Bucket=s.rules_bucket, Key=RULES_KEY)["Body"].read()
                self._rules = rules_from_bundle(body)
            except Exception as error:  # noqa: BLE001 - every failure is decided below
                if _error_code(error) in ("NoSuchKey", "404"):
                    self._rules = None
                elif self._rules is None or now - self._rules_loaded > 10 * s.rules_refresh_seconds:
                    raise Refusal(503, "rules-unavailable", "the approved rule set cannot be read now; retry later") from None
                else:
                    return self._rules  # keep serving the last verified set for a while
            self._rules_loaded = now
            return self._rules

    def count_request(self, client: str, now: float) -> None:
        hour = int(now // 3600)
        try:
            self.dynamodb.update_item(
                TableName=self.settings.table,
                Key={"pk": {"S": f"client#{client}#{hour}"}},
                UpdateExpression="ADD n :one SET expiresAt = if_not_exists(expiresAt, :expires)",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(self.settings.per_client_per_hour)},
                                           ":expires": {"N": str((hour + 2) * 3600)}},
                ReturnValues="NONE",
            )
        except Exception as error:  # noqa: BLE001
            if _error_code(error) == "ConditionalCheckFailedException":
                retry = int((hour + 1) * 3600 - now) + 1
                raise Refusal(429, "client-rate-limited",
                              f"more than {self.settings.per_client_per_hour} requests this hour from this client",
                              {"Retry-After": str(retry)}) from None
            raise _unavailable(error) from None

    def claim(self, request: dict[str, Any], now: float) -> bool:
        """True when this request claimed the hash; False when it is stored or claimed by an upload in flight."""
        try:
            self.dynamodb.put_item(
                TableName=self.settings.table,
                Item={"pk": {"S": f"sample#{request['sha256']}"}, "state": {"S": "claimed"},
                      "claimedAt": {"N": str(int(now))},
                      "claimExpiresAt": {"N": str(int(now) + self.settings.url_seconds + CLAIM_GRACE_SECONDS)},
                      "ruleId": {"S": request["ruleId"]}, "ruleSetDigest": {"S": request["ruleSetDigest"]},
                      "size": {"N": str(request["size"])}},
                ConditionExpression="attribute_not_exists(pk) OR (#state = :claimed AND claimExpiresAt < :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":claimed": {"S": "claimed"}, ":now": {"N": str(int(now))}},
                ReturnValues="NONE",
            )
            return True
        except Exception as error:  # noqa: BLE001
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise _unavailable(error) from None

    def presign(self, sha256: str, size: int, now: float, rule_id: str) -> dict[str, Any]:
        """A presigned PUT of exactly samples/<sha256>: every header below is signed, so the upload
        must carry these values (a changed size, checksum, key, rule or precondition breaks the
        signature). The collection rule travels with the sample as its metadata: the analysis cell
        that reads the sample writes it into the verdict (the cells reach no table)."""
        from botocore.auth import S3SigV4QueryAuth
        from botocore.awsrequest import AWSRequest

        s = self.settings
        key = SAMPLES_PREFIX + sha256
        headers = {
            "Content-Length": str(size),
            "If-None-Match": "*",
            "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(sha256)).decode("ascii"),
            f"x-amz-meta-{COLLECTION_RULE_METADATA}": rule_id,
            "x-amz-sdk-checksum-algorithm": "SHA256",
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": s.key_arn,
        }
        request = AWSRequest(method="PUT", url=self._object_url(key), headers=dict(headers))
        signer = S3SigV4QueryAuth(self.credentials(), "s3", s.aws_region, expires=s.url_seconds)
        # SigV4's add_auth, with the broker's clock as X-Amz-Date (the claim and expiresAt use it too).
        request.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(int(now)))
        signer._modify_request_before_signing(request)
        canonical = signer.canonical_request(request)
        signer._inject_signature_to_request(request, signer.signature(signer.string_to_sign(request, canonical), request))
        expires = datetime.datetime.fromtimestamp(int(now) + s.url_seconds, datetime.timezone.utc)
        return {"method": "PUT", "url": request.url, "headers": headers,
                "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def _object_url(self, key: str) -> str:
        s = self.settings
        endpoint = s.s3_endpoint.rstrip("/")
        if endpoint == AWS_S3_ENDPOINT.format(region=s.aws_region):
            return f"https://{s.bucket}.s3.{s.aws_region}.amazonaws.com/{key}"  # virtual-hosted, Zurich
        return f"{endpoint}/{s.bucket}/{key}"  # path-style (an emulator)

    # --- S3 says a sample landed --------------------------------------------------------------

    def confirm(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            s3 = record.get("s3") or {}
            key = (s3.get("object") or {}).get("key", "")
            bucket = (s3.get("bucket") or {}).get("name")
            sha256 = key[len(SAMPLES_PREFIX):] if key.startswith(SAMPLES_PREFIX) else ""
            if not str(record.get("eventName", "")).startswith("ObjectCreated") or bucket != self.settings.bucket \
                    or not SHA256_HEX.match(sha256):
                continue
            self.dynamodb.update_item(
                TableName=self.settings.table,
                Key={"pk": {"S": f"sample#{sha256}"}},
                UpdateExpression="SET #state = :stored, storedAt = :now REMOVE claimExpiresAt",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":stored": {"S": "stored"}, ":now": {"N": str(int(self.clock()))}},
                ReturnValues="NONE",
            )


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


def _unavailable(error: Exception) -> Refusal:
    if _error_code(error) in ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"):
        return Refusal(503, "busy", "the intake is at capacity; retry later", {"Retry-After": "5"})
    return Refusal(503, "unavailable", "the intake cannot record the request now; retry later")


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", **(headers or {})},
            "body": json.dumps(body, sort_keys=True), "isBase64Encoded": False}


_broker: Broker | None = None


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any] | None:
    """The Lambda entry point: one Broker per execution environment."""
    global _broker
    if _broker is None:
        import boto3

        session = boto3.session.Session()
        settings = Settings.from_environment()
        credentials = session.get_credentials()
        _broker = Broker(settings, session.client("dynamodb", region_name=settings.aws_region),
                         session.client("s3", region_name=settings.aws_region),
                         credentials.get_frozen_credentials)
    return _broker.handle(event)
