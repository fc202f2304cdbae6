"""The intake's world for tests: a product CA with client certificates, two reviewer organizations
with real SSH keys and their own witness keys, a transparency log in a directory (tcenter's own
library: its appends, checkpoints and the organizations' witnesses cosigning them), a moto
server on 127.0.0.1 (free port, started and stopped here) holding each customer region's key,
store and intake table, the intake bucket with a quorum-approved, logged rule set published by
`tcenter.intake.publish`, and one broker (the Lambda handler's Broker) per region.

Every client of moto counts its requests (REQUEST_BUDGET per test) and has short timeouts."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

pytest.importorskip("moto.server", reason="moto[server] is a test dependency (pyproject.toml)")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "functions"))

from intake_broker import handler as broker_module  # noqa: E402

from components.config.approvals import ApprovalsConfig  # noqa: E402
from tcenter.intake import approval, bundle, publish, rules, tlog  # noqa: E402
from tcenter.transparency.cosignature import CosignatureSigner, WitnessPolicy  # noqa: E402
from tcenter.transparency.log import LocalDirectoryStorage, TransparencyLog  # noqa: E402
from tcenter.transparency.note import Ed25519Signer  # noqa: E402
from tcenter.transparency.witness import Witness  # noqa: E402
from tests import moto_server  # noqa: E402
from tests.intake import s3_strict  # noqa: E402

ACCOUNT = "111111111111"
REGION = "eu-central-2"
CUSTOMER_REGIONS = ("europe", "japan")
RULES_BUCKET = "tc-111111111111-test-intake"
REQUEST_BUDGET = 200
URL_SECONDS = 300
MAX_BYTES = 4096
RULE_SET_PATH = ROOT / "collection-rules" / "example.yaml"
STACK = "test"
BASE = {"sequence": 3, "record": "ab" * 32, "commit": "cd" * 20}
"""The deployed base the test approvals name (a ledger record's `base()`)."""
LOG_ORIGIN = "log.intake-test.example"

needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None and not os.environ.get("CI"),
                                      reason="ssh-keygen (openssh-client) is not installed; scripts/bootstrap.sh installs it")


# --- the vendor's product PKI ----------------------------------------------------------------

@dataclass
class Pki:
    ca_pem: str
    ca_key: Any
    ca_cert: Any
    rogue_key: Any
    rogue_cert: Any

    def client(self, cn: str, ou: str, *, rogue: bool = False, days: int = 30,
               not_before: datetime.datetime | None = None) -> tuple[Any, Any]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        issuer_key, issuer = (self.rogue_key, self.rogue_cert) if rogue else (self.ca_key, self.ca_cert)
        start = not_before or datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
                                         x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(issuer_key, hashes.SHA256()))
        return cert, key


def _ca(name: str) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=2))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


@pytest.fixture(scope="session")
def pki() -> Pki:
    from cryptography.hazmat.primitives import serialization

    ca_cert, ca_key = _ca("Test Vendor Product CA")
    rogue_cert, rogue_key = _ca("Someone Else's CA")
    return Pki(ca_cert.public_bytes(serialization.Encoding.PEM).decode(), ca_key, ca_cert, rogue_key, rogue_cert)


def subject_dn(cert: Any) -> str:
    """The subject as API Gateway forwards it (RFC 4514, most specific first)."""
    return cert.subject.rfc4514_string()


def cert_time(moment: datetime.datetime) -> str:
    return moment.strftime("%b %d %H:%M:%S %Y GMT")


def gateway_event(body: Any, cert: Any | None, *, method: str = "POST", region_path: str = "europe") -> dict[str, Any]:
    """A REST API (payload 1.0) proxy event as API Gateway sends it after mutual TLS."""
    identity: dict[str, Any] = {"sourceIp": "198.51.100.7"}
    if cert is not None:
        identity["clientCert"] = {
            "clientCertPem": "-----BEGIN CERTIFICATE-----...", "subjectDN": subject_dn(cert),
            "issuerDN": cert.issuer.rfc4514_string(), "serialNumber": format(cert.serial_number, "x"),
            "validity": {"notBefore": cert_time(cert.not_valid_before_utc), "notAfter": cert_time(cert.not_valid_after_utc)},
        }
    return {"resource": f"/v1/{region_path}/samples", "path": f"/v1/{region_path}/samples", "httpMethod": method,
            "headers": {"Content-Type": "application/json"}, "isBase64Encoded": False,
            "body": body if isinstance(body, str) else json.dumps(body),
            "requestContext": {"stage": "v1", "httpMethod": method, "identity": identity}}


# --- reviewer organizations --------------------------------------------------------------------

@dataclass
class Orgs:
    keys: dict[str, Path]
    approvers: ApprovalsConfig
    quorum: int = 2


def ssh_key(directory: Path, name: str, kind: str = "ed25519") -> tuple[Path, str]:
    path = directory / f"key-{name}"
    extra = ["-b", "256"] if kind == "ecdsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *extra, "-N", "", "-C", name, "-f", str(path)], check=True)
    return path, Path(f"{path}.pub").read_text().strip()


@pytest.fixture(scope="session")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> Orgs:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen (openssh-client) is not installed")
    directory = tmp_path_factory.mktemp("orgs")
    made = {name: ssh_key(directory, name, kind) for name, kind in
            (("lab", "ed25519"), ("cert", "ecdsa"), ("stranger", "ed25519"), ("old", "ed25519"))}
    approvers = ApprovalsConfig.model_validate({"quorum": 2, "organizations": [
        {"name": "lab", "keys": [{"key": made["lab"][1]}, {"key": made["old"][1], "revoked": True}]},
        {"name": "cert", "keys": [{"key": made["cert"][1]}]},
    ]}, context={"environment": "prod"})
    return Orgs({name: path for name, (path, _) in made.items()}, approvers)


def approvals_by(rule_set: rules.RuleSet, orgs: Orgs, signers: dict[str, str], *, stack: str = STACK,
                 days: int = 3, issued: datetime.datetime | None = None) -> list[approval.Approval]:
    """Statements about `rule_set` signed by `signers` (organization -> key name)."""
    return [approval.make_approval(stack, BASE, rule_set, org, str(orgs.keys[key]), days, issued)
            for org, key in signers.items()]


# --- the transparency log and the organizations' witnesses --------------------------------------

@dataclass
class Log:
    """A log in a directory, sequenced with its own key, and one witness per organization."""

    storage: LocalDirectoryStorage
    log: TransparencyLog
    signer: Ed25519Signer
    witnesses: dict[str, Witness]

    @property
    def verifier(self) -> Any:
        return self.signer.verifier()

    def policy(self, quorum: int = 2, organizations: tuple[str, ...] = ("lab", "cert")) -> WitnessPolicy:
        """The products' witness policy: QUORUM of ORGANIZATIONS (the stranger's witness is not in it)."""
        return WitnessPolicy(quorum, {org: [self.witnesses[org].signer.verifier()] for org in organizations})

    def cosign(self, organizations: tuple[str, ...] = ("lab", "cert")) -> None:
        """Each organization's witness checks the published checkpoint against what it cosigned
        (consistency proof) and cosigns; the lines are merged into the checkpoint."""
        checkpoint = self.log.checkpoint()
        assert checkpoint is not None
        lines = []
        for org in organizations:
            witness = self.witnesses[org]
            record = witness.state().get(LOG_ORIGIN)
            old = record.size if record else 0
            lines.append(witness.cosign(checkpoint, self.log.consistency_proof(old), old).line)
        self.log.add_cosignatures(lines)

    def add(self, entry: bytes, cosigners: tuple[str, ...] = ("lab", "cert")) -> int:
        """Append ENTRY (as the sequencer does) and have COSIGNERS' witnesses cosign."""
        index = self.log.append([entry]).first_index
        if cosigners:
            self.cosign(cosigners)
        return index


def make_log(root: Path, organizations: tuple[str, ...] = ("lab", "cert", "stranger"), seed: int = 0) -> Log:
    """A fresh log under ROOT with its sequencer's key and one witness per organization."""
    signer = Ed25519Signer.from_seed(LOG_ORIGIN, bytes([seed]) * 32)
    storage = LocalDirectoryStorage(root / "log", fsync=False)
    log = TransparencyLog(storage, LOG_ORIGIN, signer, signer.verifier())
    witnesses = {org: Witness(root / f"witness-{org}.json",
                              CosignatureSigner.from_seed(f"witness.{org}.example", bytes([seed + n]) * 32),
                              {LOG_ORIGIN: [signer.verifier()]})
                 for n, org in enumerate(organizations, start=1)}
    return Log(storage, log, signer, witnesses)


@pytest.fixture(scope="session")
def test_log(tmp_path_factory: pytest.TempPathFactory) -> Log:
    return make_log(tmp_path_factory.mktemp("tlog"))


@pytest.fixture(scope="session")
def trust(orgs: Orgs, test_log: Log) -> bundle.Trust:
    return bundle.Trust(STACK, orgs.approvers, orgs.quorum, test_log.verifier, test_log.policy(),
                        context=rules.LintContext(MAX_BYTES * 8192))


def signed_bundle(rule_set: rules.RuleSet, orgs: Orgs, signers: dict[str, str], log: Log,
                  cosigners: tuple[str, ...] = ("lab", "cert"), **options: Any) -> dict[str, Any]:
    """A bundle with approvals by `signers` (organization -> key name), its entry appended to the
    log and the checkpoint cosigned by `cosigners`."""
    made = approvals_by(rule_set, orgs, signers, **options)
    entry = bundle.log_entry(rule_set, made)
    log.add(entry, cosigners)
    proof = tlog.prove(entry, log.storage, log.verifier)
    assert proof is not None
    return bundle.make_bundle(STACK, rule_set, made, orgs.quorum, proof)


@pytest.fixture(scope="session")
def example_rules() -> rules.RuleSet:
    return rules.load(RULE_SET_PATH, rules.LintContext(MAX_BYTES * 8192))


@pytest.fixture(scope="session")
def approved_bundle(example_rules: rules.RuleSet, orgs: Orgs, test_log: Log) -> dict[str, Any]:
    return signed_bundle(example_rules, orgs, {"lab": "lab", "cert": "cert"}, test_log)


@pytest.fixture(scope="session")
def prod_plan() -> dict[str, Any]:
    from tcenter.plan.format import plan_stack

    return plan_stack("zurich-prod")


# --- moto ----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server.running({"MOTO_ACCOUNT_ID": ACCOUNT}) as endpoint:
        yield endpoint

class Budget:
    """Counts every request the test's AWS clients and uploads send to moto."""

    def __init__(self, limit: int) -> None:
        self.limit, self.count = limit, 0

    def spend(self, **_: Any) -> None:
        self.count += 1
        assert self.count <= self.limit, f"more than {self.limit} requests to moto in one test"


@dataclass
class World:
    endpoint: str
    session: Any
    budget: Budget
    keys: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    brokers: dict[str, broker_module.Broker] = field(default_factory=dict)
    clock: list[float] = field(default_factory=lambda: [0.0])
    puts: list[str] = field(default_factory=list)

    def client(self, service: str) -> Any:
        from botocore.config import Config

        made = self.session.client(service, region_name=REGION, endpoint_url=self.endpoint,
                                   config=Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 1}))
        made.meta.events.register("before-send", self.budget.spend)
        return made

    def credentials(self) -> Any:
        return self.session.get_credentials().get_frozen_credentials()

    def upload(self, url: str, headers: dict[str, str], path: Path) -> int:
        """S3's checks moto skips (tests/intake/s3_strict.py), then the PUT to moto itself."""
        import requests

        body = Path(path).read_bytes()
        self.puts.append(url)
        refused = s3_strict.refusal(url, headers, body, self.credentials(), self.clock[0])
        if refused:
            return 403 if not refused.startswith(("BadDigest", "IncompleteBody")) else 400
        self.budget.spend()
        return requests.put(url, data=body, headers=headers, timeout=20).status_code


def _reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture
def world(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, approved_bundle: dict[str, Any]) -> Iterator[World]:
    import time

    import boto3

    for variable in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    _reset(moto_endpoint)
    session = boto3.session.Session(aws_access_key_id="AKIAINTAKETESTKEY000", aws_secret_access_key="intake-test-secret",
                                    region_name=REGION)
    world = World(moto_endpoint, session, Budget(REQUEST_BUDGET))
    world.clock[0] = time.time()
    kms, s3, dynamodb = world.client("kms"), world.client("s3"), world.client("dynamodb")
    s3.create_bucket(Bucket=RULES_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=RULES_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for region in CUSTOMER_REGIONS:
        key = kms.create_key(Description=f"customer data of {region}")["KeyMetadata"]["Arn"]
        bucket = f"tc-{ACCOUNT}-test-data-{region}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION},
                         ObjectLockEnabledForBucket=True)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
            "BucketKeyEnabled": True}]})
        table = f"tc-test-data-{region}-intake"
        dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        world.keys[region], world.buckets[region], world.tables[region] = key, bucket, table
        settings = broker_module.Settings(
            customer_region=region, aws_region=REGION, bucket=bucket, key_arn=key, table=table,
            rules_bucket=RULES_BUCKET, min_bytes=1, max_bytes=MAX_BYTES, url_seconds=URL_SECONDS,
            per_client_per_hour=5, rules_refresh_seconds=60, s3_endpoint=moto_endpoint)
        world.brokers[region] = broker_module.Broker(settings, dynamodb, s3, world.credentials,
                                                     clock=lambda: world.clock[0])
    publish.publish(approved_bundle, RULES_BUCKET, s3)
    yield world


def transport(broker: broker_module.Broker, cert: Any) -> Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]:
    """What API Gateway does for a client that passed mutual TLS with `cert`: the proxy event."""
    def send(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = broker.handle(gateway_event(body, cert))
        return response["statusCode"], json.loads(response["body"])
    return send


def stored_notice(world: World, region: str, sha256: str, size: int) -> dict[str, Any]:
    """The ObjectCreated event S3 sends the region's broker when a sample lands."""
    return {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "awsRegion": REGION,
                         "s3": {"bucket": {"name": world.buckets[region]},
                                "object": {"key": f"samples/{sha256}", "size": size}}}]}
