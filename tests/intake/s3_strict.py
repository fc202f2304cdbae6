"""What S3 checks on a presigned PUT and moto's server does not (moto 5.2: presigned requests are
not authenticated at all, X-Amz-Expires is never compared with the clock, and a declared
x-amz-checksum-sha256 is stored without being compared with the body). `refusal` performs those
checks the way S3 documents them, recomputing the signature with botocore's own SigV4
canonicalization (AWS's SDK, not the broker's code); a test sends an upload to moto only after it.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGV4_TIME = "%Y%m%dT%H%M%SZ"


def refusal(url: str, headers: dict[str, str], body: bytes, credentials: Credentials, now: float) -> str | None:
    """S3's answer to a presigned PUT as an error code with a reason, or None when S3 would accept it."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return "AccessDenied: not a SigV4 presigned request"
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"], SIGV4_TIME).replace(tzinfo=datetime.timezone.utc)
    expires = int(query["X-Amz-Expires"])
    if now > signed_at.timestamp() + expires:
        return "AccessDenied: Request has expired"
    lowered = {k.lower(): v for k, v in headers.items()}
    signed = query["X-Amz-SignedHeaders"].split(";")
    missing = [h for h in signed if h != "host" and h not in lowered]
    if missing:
        return f"AccessDenied: signed headers missing from the request: {missing}"
    if "content-length" in lowered and int(lowered["content-length"]) != len(body):
        return "IncompleteBody: Content-Length is not the body's length"
    stripped = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "X-Amz-Signature"]
    request = AWSRequest(method="PUT", url=urlunsplit(parts._replace(query=urlencode(stripped))),
                         headers={h: lowered[h] for h in signed if h != "host"})
    request.context["timestamp"] = query["X-Amz-Date"]
    auth = S3SigV4QueryAuth(credentials, "s3", query["X-Amz-Credential"].split("/")[2], expires=expires)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, query["X-Amz-Signature"]):
        return "SignatureDoesNotMatch: the request is not the one the broker signed"
    if "x-amz-checksum-sha256" in lowered:
        actual = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if actual != lowered["x-amz-checksum-sha256"]:
            return "BadDigest: the body's SHA-256 is not x-amz-checksum-sha256"
    return None
