"""`tcenter keys STACK`: how to get the center's public signing keys as PEM.

Offline it plans STACK on the mock engine and prints, per signing class, the one AWS CLI
line that writes `<class>.pub.pem`: `aws kms get-public-key` for the kms backend, the
exported public half that the CloudHSM ceremony published next to the releases
(docs/cloudhsm-ceremony.md, step 10) for cloudhsm. With `--fetch DIR` it does the same
with boto3 (needs credentials that may call kms:GetPublicKey or read the public key).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from components.awsfacts import REGION, SIGNING_CLASSES

from ..core.errors import InputError


def key_sources(plan: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """(region, [{class, kind, id, command}]) from the plan's outputs."""
    outputs = plan.get("outputs", {})
    region = next((r.get("inputs", {}).get("region") for r in plan.get("resources", [])
                   if r.get("type") == "pulumi:providers:aws" and r.get("inputs", {}).get("region")), REGION)
    backend = outputs.get("signingBackend")
    sources = []
    for signing_class in SIGNING_CLASSES:
        pem = f"{signing_class}.pub.pem"
        if backend == "kms":
            alias = outputs.get("signingKeyAliases", {}).get(signing_class)
            if not alias:
                raise InputError(f"the plan has no signingKeyAliases.{signing_class} output")
            command = (f"aws kms get-public-key --region {region} --key-id {shlex.quote(alias)} --query PublicKey "
                       f"--output text | base64 -d | openssl pkey -pubin -inform DER -out {pem}")
            sources.append({"class": signing_class, "kind": "kms", "id": alias, "command": command})
        elif backend == "cloudhsm":
            key = f"releases/{signing_class}/public-key.pem"
            url = f"s3://{outputs.get('releaseBucket')}/{key}"
            command = f"aws s3 cp --region {region} {url} {pem}"
            sources.append({"class": signing_class, "kind": "cloudhsm", "id": url, "command": command})
        else:
            raise InputError(f"the plan's signingBackend is {backend!r}; expected kms or cloudhsm")
    return region, sources


def fetch(region: str, sources: list[dict[str, str]], folder: Path) -> list[Path]:
    import boto3
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = folder / f"{source['class']}.pub.pem"
        if source["kind"] == "kms":
            der = boto3.client("kms", region_name=region).get_public_key(KeyId=source["id"])["PublicKey"]
            pem = load_der_public_key(der).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        else:
            bucket, _, key = source["id"][len("s3://"):].partition("/")
            pem = boto3.client("s3", region_name=region).get_object(Bucket=bucket, Key=key)["Body"].read()
        target.write_bytes(pem)
        written.append(target)
    return written


def builder_set(plan: dict[str, Any], stack: str) -> dict[str, Any]:
    """The stack's builder identities (`<pool>-<n>`, the keys of the builderRoleArns output),
    published with the keys for `tcenter verify --builders`."""
    from .verify import builder_set_document

    roles = plan.get("outputs", {}).get("builderRoleArns")
    if not isinstance(roles, dict) or not roles:
        raise InputError("the plan has no builderRoleArns output: no builder identities to publish")
    return builder_set_document(stack, sorted(roles))


def log_trust(plan: dict[str, Any]) -> dict[str, Any] | None:
    """What `tcenter verify --log-key ... --witness ... --quorum ...` needs from the stack: the log's
    origin and checkpoint key alias, the reviewer organizations' witness keys, the quorum per
    class (the plan's transparency outputs); None when the stack runs no transparency log."""
    outputs = plan.get("outputs", {})
    if not outputs.get("transparencyLogOrigin"):
        return None
    return {"origin": outputs["transparencyLogOrigin"], "keyAlias": outputs.get("transparencyCheckpointKeyAlias"),
            "witnesses": {org: list(keys) for org, keys in sorted((outputs.get("transparencyWitnessKeys") or {}).items())},
            "quorum": dict(sorted((outputs.get("transparencyVerification") or {}).items()))}


def fetch_log_key(region: str, trust: dict[str, Any]) -> str:
    """The log's verifier key (name+hex+base64) from its KMS checkpoint key (kms:GetPublicKey)."""
    import boto3

    from ..transparency.kms import kms_verifier

    return kms_verifier(trust["origin"], trust["keyAlias"], boto3.client("kms", region_name=region)).vkey
