"""Reading the live account for `tcenter attest`: read-only boto3 calls (Describe/Get/List,
paginated, standard retries), AccessDenied and not-implemented answers turned into findings,
and the live resources put into the plan's own shape (`Live`).

The readers per service group (`read_network`, `read_compute`, `read_iam`, `read_keys`,
`read_storage`, `read_audit`, `read_cells`) each put what they read with `Live.put(type, key, inputs, ids)`:
KEY is the identity the declared resource is found by (tcenter/live/identity.py), INPUTS the
live values under the plan's input names, IDS the live ids and ARNs under the plan's output
names (what the plan's stand-ins resolve to), and report what the plan cannot hold as extras.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from components.awsfacts import REGION

from ..core import iamdoc

from .report import Finding, Report

READ_PREFIXES = ("Describe", "Get", "List")


def policy_data(text: Any) -> Any:
    """A live policy document as data (its text when it is not a JSON object)."""
    document = iamdoc.parse_document(text) if isinstance(text, str) else None
    return text if document is None else document


def canonical_policy(document: Any) -> Any:
    """Policies compare as data: statements in any order, one-element lists as scalars."""
    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            items = sorted((norm(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))  # canonical order
            return items[0] if len(items) == 1 else items
        return value

    document = policy_data(document)
    if isinstance(document, dict) and isinstance(document.get("Statement"), dict):
        document = {**document, "Statement": [document["Statement"]]}
    return norm(document)


def tags_of(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """AWS's tag list ({Key, Value} or {key, value}) as the plan's map; AWS's own `aws:` tags left out."""
    out = {}
    for t in items or []:
        key, value = t.get("Key", t.get("key")), t.get("Value", t.get("value"))
        if key is not None and not str(key).startswith("aws:"):
            out[key] = value
    return out


def local_account_host(client: Any) -> None:
    """s3control names the account in the host (`ACCOUNT.s3-control...`); an endpoint on a loopback
    address (moto's server in tests) has no such host names: the request goes to the endpoint as given."""
    from urllib.parse import urlsplit, urlunsplit

    def direct(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        account, _, rest = parts.netloc.partition(".")
        if account.isdigit() and rest.split(":")[0] in ("127.0.0.1", "localhost", "::1"):
            request.url = urlunsplit(parts._replace(netloc=rest))

    client.meta.events.register("before-send.s3-control", direct)


class Unread(Exception):
    """The service answered AccessDenied or does not implement the call; already on the report."""


def local_endpoint(url: str) -> bool:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def client_config() -> Any:
    from botocore.config import Config

    return Config(region_name=REGION, retries={"mode": "standard", "max_attempts": 3},
                  connect_timeout=5, read_timeout=20)


class Reader:
    """Read-only calls, paginated, with AccessDenied and NotImplemented turned into findings."""

    DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
                        "UnrecognizedClientException", "InvalidClientTokenId"})

    def __init__(self, session: Any, report: Report):
        self.session = session
        self.report = report
        self.clients: dict[str, Any] = {}
        self.unread: set[str] = set()
        self.unsupported: set[str] = set()

    def client(self, service: str) -> Any:
        from botocore.config import Config

        if service not in self.clients:
            client = self.session.client(service, config=client_config())
            if local_endpoint(client.meta.endpoint_url):  # an emulator: no throttling to ride out, and
                # the APIs it lacks answer 500, which AWS's retry policy would try thrice
                client = self.session.client(service, config=client_config().merge(
                    Config(retries={"mode": "standard", "total_max_attempts": 1})))
            client.meta.events.register("before-call", self.count)
            if service == "s3control":
                local_account_host(client)
            self.clients[service] = client
        return self.clients[service]

    def count(self, **_: Any) -> None:
        self.report.calls += 1

    def call(self, service: str, operation: str, key: str | None = None, **params: Any) -> Any:
        """One operation (snake_case), every page; `key` collects that list across pages."""
        from botocore.exceptions import ClientError

        if service in self.unread:
            raise Unread(service)
        client = self.client(service)
        api = f"{service}:{client.meta.method_to_api_mapping.get(operation, operation)}"
        if api in self.unsupported:
            raise Unread(api)
        try:
            if client.can_paginate(operation):
                pages = list(client.get_paginator(operation).paginate(**params))
            else:
                pages = [getattr(client, operation)(**params)]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in self.DENIED:
                self.unread.add(service)
                self.report.findings.append(Finding("unread", service, api, f"{service}: {code}: not read; "
                                                    "its resources are neither attested nor reported missing"))
                raise Unread(service) from None
            if code in ("NotImplemented", "InternalFailure", "404", "500", "501") or status in (500, 501):
                self.unsupported.add(api)
                self.report.findings.append(Finding("unsupported", service, api,
                                                    f"{api} is not implemented by this endpoint: not attested"))
                raise Unread(api) from None
            raise
        except Exception as error:  # an endpoint answering HTML where the API speaks XML or JSON
            if type(error).__name__ != "ResponseParserError":
                raise
            self.unsupported.add(api)
            self.report.findings.append(Finding("unsupported", service, api,
                                                f"{api} is not implemented by this endpoint: not attested"))
            raise Unread(api) from None
        if key is None:
            return pages[0] if len(pages) == 1 else pages
        return [item for page in pages for item in page.get(key, [])]

    def optional(self, service: str, operation: str, missing_codes: tuple[str, ...], **params: Any) -> Any:
        """A Get whose 'not configured' answer is an error code: None then."""
        from botocore.exceptions import ClientError

        try:
            return self.call(service, operation, **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") in missing_codes:
                return None
            raise


@dataclass
class LiveResource:
    type: str
    key: str
    inputs: dict[str, Any]
    ids: dict[str, Any]
    vpc: str | None = None
    """The VPC a network piece lives in: pieces of a VPC the plan does not declare are reported with it."""
    exempt: str | None = None
    """Why it is never an extra: a key of coverage.AWS_CREATED (created by AWS itself)."""
    label: str = ""
    """How an extra names it (its id, ARN, what it does)."""


@dataclass
class Live:
    """Live resources in the plan's shape, by (type, identity); extras found; what was read."""

    by_key: dict[tuple[str, str], LiveResource] = field(default_factory=dict)
    extras: list[Finding] = field(default_factory=list)
    read_types: set[str] = field(default_factory=set)
    account: str = ""
    key_arns: dict[str, str] = field(default_factory=dict)
    """Any way of naming a customer managed key (id, ARN, alias name, alias ARN) -> its ARN."""
    prefix_lists: dict[str, list[str]] = field(default_factory=dict)
    """Service (s3, dynamodb) -> the CIDRs of its AWS-managed prefix list in the region."""
    prefix_list_ids: dict[str, str] = field(default_factory=dict)

    def put(self, kind: str, key: str | None, inputs: dict[str, Any], ids: dict[str, Any] | None = None, *,
            vpc: str | None = None, exempt: str | None = None, label: str = "") -> None:
        """One live resource; a second one under the same identity is an extra (a copy of a host)."""
        ids = dict(ids or {})
        key = key if key is not None else f"<{ids.get('id') or label or len(self.by_key)}>"
        if (kind, key) in self.by_key:
            self.extras.append(Finding("extra", kind, key, f"{key}: a second {kind.rsplit(':', 1)[-1]} under the same "
                                       f"identity ({label or ids.get('id') or ids.get('arn') or 'no id'}): not in the plan"))
            return
        self.by_key[(kind, key)] = LiveResource(kind, key, inputs, ids, vpc, exempt, label)

    def extra(self, kind: str, name: str, message: str) -> None:
        self.extras.append(Finding("extra", kind, name, message))

    def key_ref(self, value: Any) -> Any:
        """A key named any way (id, ARN, alias) as its ARN; anything else unchanged."""
        if not isinstance(value, str):
            return value
        if value in self.key_arns:
            return self.key_arns[value]
        if value.startswith("alias/") and f"arn:aws:kms:{REGION}:{self.account}:{value}" in self.key_arns:
            return self.key_arns[f"arn:aws:kms:{REGION}:{self.account}:{value}"]
        return value
