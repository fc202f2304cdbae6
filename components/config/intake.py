"""`transparency-center:intake`: the sample intake (issue 27, docs/intake.md).

Customers' products send suspicious files to their region's store in Zurich through a
REGIONAL API Gateway with mutual TLS (the vendor's product CA is the truststore), a broker
function per customer region, and presigned uploads of exactly one key. Throttles, Lambda
concurrency and the quota increases the stack requests are derived from `capacity`
(components/intake_capacity.py); nothing here is a free-standing rate.
"""

from __future__ import annotations

import re

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..awsfacts import PRESIGNED_URL_MAX_SECONDS, REGION
from .base import ObjectLockMode, StrictModel, is_prod
from .data import CUSTOMER_REGIONS, CustomerRegion

MAX_SAMPLE_BYTES = 256 * 1024 * 1024
"""The largest sample any stack may accept (a single presigned PUT; S3 allows 5 GiB)."""
DEFAULT_MAX_SAMPLE_BYTES = 32 * 1024 * 1024
PROD_MIN_RULE_SET_QUORUM = 2
"""prod: a collection rule set takes effect only when two reviewer organizations signed it."""

HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CERTIFICATE_ARN = re.compile(rf"^arn:aws:acm:{REGION}:(\d{{12}}):certificate/[0-9a-f-]{{36}}$")
ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
CA_KEY_TYPES = ("RSA 2048-4096", "EC P-256", "EC P-384")
"""Key types API Gateway's mutual TLS accepts in a truststore (developer guide, "Configuring
your truststore")."""


def ca_certificate_problem(pem: str) -> str | None:
    """Why `pem` cannot be a product CA in the truststore (None when it can)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        return f"not a PEM X.509 certificate ({error})"
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return "has no basicConstraints: a truststore holds CA certificates (CA:TRUE), never a client's own"
    if not constraints.ca:
        return "is not a CA certificate (basicConstraints CA:FALSE): the truststore holds the product CA"
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey) and 2048 <= key.key_size <= 4096:
        return None
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1", "secp384r1"):
        return None
    return f"key type is not one API Gateway's truststore accepts ({', '.join(CA_KEY_TYPES)})"


class SampleSizeConfig(StrictModel):
    """The content-length range of one sample: the broker refuses a declared size outside it,
    and the presigned upload pins the declared size exactly (signed Content-Length)."""

    min_bytes: int = Field(default=1, ge=1)
    max_bytes: int = Field(default=DEFAULT_MAX_SAMPLE_BYTES, ge=1, le=MAX_SAMPLE_BYTES)

    @model_validator(mode="after")
    def _ordered(self) -> "SampleSizeConfig":
        if self.min_bytes > self.max_bytes:
            raise ValueError(f"minBytes {self.min_bytes} is larger than maxBytes {self.max_bytes}")
        return self


class CapacityConfig(StrictModel):
    """The load the intake is built for. `tcenter capacity STACK` prints every rate against the
    quotas that bind in eu-central-2; the stack derives its throttles, Lambda concurrency and
    quota increase requests from the same numbers."""

    clients: dict[CustomerRegion, int] = Field(description="Product installations per customer region.")
    lookups_per_client_per_day: float = Field(gt=0, le=100000)
    uploads_per_client_per_day: float = Field(ge=0, le=1000)
    peak_factor: float = Field(default=3.0, ge=1, le=100, description="Peak rate over the daily mean.")
    mean_sample_bytes: int = Field(default=2 * 1024 * 1024, ge=1, le=MAX_SAMPLE_BYTES)
    broker_milliseconds: float = Field(
        default=25.0, gt=0, le=30000,
        description="Billed duration of one broker request in Lambda (bench/bench_intake.py measures the "
                    "handler; add the DynamoDB round trips).")
    headroom: float = Field(default=1.25, ge=1, le=10, description="Margin over the peak for throttles and concurrency.")

    @field_validator("clients")
    @classmethod
    def _counts(cls, value: dict[str, int]) -> dict[str, int]:
        negative = sorted(region for region, count in value.items() if count < 0)
        if negative:
            raise ValueError(f"client counts must be >= 0 (negative for {negative})")
        return {region: value[region] for region in CUSTOMER_REGIONS if region in value}


class BrokerConfig(StrictModel):
    memory_mb: int = Field(default=256, ge=128, le=10240)
    timeout_seconds: int = Field(default=5, ge=1, le=29, description="API Gateway waits at most 29 s.")


class RecordLockConfig(StrictModel):
    """Object Lock of the intake bucket (the truststore and every published rule set)."""

    mode: ObjectLockMode = "GOVERNANCE"
    retention_days: int = Field(default=365, ge=1, le=36500)


class IntakeConfig(StrictModel):
    domain_name: str = Field(description="The intake's hostname: a REGIONAL custom domain with mutual TLS.")
    certificate_arn: str = Field(description="ACM certificate for domainName, in eu-central-2, this account.")
    product_ca_certificates: list[str] = Field(
        min_length=1, description="PEM CA certificates of the vendor's product CA: the mutual TLS truststore.")
    sample_size: SampleSizeConfig = SampleSizeConfig()
    upload_url_seconds: int = Field(default=PRESIGNED_URL_MAX_SECONDS, ge=30, le=PRESIGNED_URL_MAX_SECONDS)
    per_client_requests_per_hour: int = Field(default=60, ge=1, le=100000)
    rule_set_quorum: int = Field(
        default=1, ge=1, description="Reviewer organizations (of the approvals section) that must sign a rule set.")
    rule_publishers: list[str] = Field(
        min_length=1, description="Principals (the approval pipeline) that may assume the rule publisher role.")
    rules_refresh_seconds: int = Field(default=60, ge=5, le=3600)
    broker: BrokerConfig = BrokerConfig()
    record_lock: RecordLockConfig = RecordLockConfig()
    capacity: CapacityConfig

    @field_validator("domain_name")
    @classmethod
    def _hostname(cls, value: str) -> str:
        if not HOSTNAME.match(value):
            raise ValueError(f"{value!r} is not a lowercase DNS hostname")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str) -> str:
        if not CERTIFICATE_ARN.match(value):
            raise ValueError(f"must be an ACM certificate ARN in {REGION} (a regional custom domain ends TLS in Zurich; "
                             "an edge domain's us-east-1 certificate would end it at CloudFront)")
        return value

    @field_validator("product_ca_certificates")
    @classmethod
    def _cas(cls, value: list[str]) -> list[str]:
        for index, pem in enumerate(value):
            problem = ca_certificate_problem(pem)
            if problem:
                raise ValueError(f"certificate {index} {problem}")
        return [pem.strip() + "\n" for pem in value]

    @field_validator("rule_publishers")
    @classmethod
    def _publishers(cls, value: list[str]) -> list[str]:
        wrong = [arn for arn in value if not ROLE_ARN.match(arn)]
        if wrong:
            raise ValueError(f"{wrong}: rule publishers are IAM role ARNs (the approval pipeline's roles)")
        return sorted(value)

    @field_validator("rule_set_quorum")
    @classmethod
    def _prod_quorum(cls, value: int, info: ValidationInfo) -> int:
        if is_prod(info) and value < PROD_MIN_RULE_SET_QUORUM:
            raise ValueError(f"prod needs rule sets signed by at least {PROD_MIN_RULE_SET_QUORUM} reviewer organizations "
                             f"(got {value})")
        return value

    @property
    def certificate_account(self) -> str:
        found = CERTIFICATE_ARN.match(self.certificate_arn)
        return found.group(1) if found else ""


def intake_problems(intake: IntakeConfig, customer_regions: list[str], account_id: str,
                    approving_organizations: int, transparency_log: bool = True) -> list[tuple[str, str]]:
    """Rules that span sections: (key under intake, message)."""
    problems = []
    if not transparency_log:
        problems.append(("transparency.enabled", "the intake needs the transparency log: a collection rule set takes "
                                                 "effect only once it is logged and witnesses cosigned it"))
    if intake.certificate_account != account_id:
        problems.append(("intake.certificateArn",
                         f"the certificate belongs to account {intake.certificate_account}, not the stack's {account_id}"))
    listed, stores = set(intake.capacity.clients), set(customer_regions)
    if listed != stores:
        problems.append(("intake.capacity.clients",
                         f"must list exactly the stores' customer regions {customer_regions} "
                         f"(missing {sorted(stores - listed)}, extra {sorted(listed - stores)})"))
    if intake.rule_set_quorum > approving_organizations:
        problems.append(("intake.ruleSetQuorum",
                         f"{intake.rule_set_quorum} exceeds the {approving_organizations} organization(s) with an "
                         "unrevoked key in the approvals section: no rule set could ever take effect"))
    return problems
