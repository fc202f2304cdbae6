"""The Zurich state backend: where `pulumi login s3://...` keeps the center's state.

Declares, in eu-central-2 only:
- a KMS key (alias `tc-pulumi-state`) that encrypts the state objects and is the
  secrets provider of every center stack (`--secrets-provider awskms://alias/tc-pulumi-state?region=eu-central-2`);
- a SecureBucket `tc-<account>-pulumi-state`: versioned (state history), SSE-KMS with that
  key, all public access blocked, TLS only, writable only by the deployer roles.
Both are protected and retained: losing them loses track of every deployed resource.
"""

import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from components import policies  # noqa: E402
from components.config.base import REGION  # noqa: E402
from components.kms import EncryptionKey, EncryptionKeyArgs  # noqa: E402
from components.layout import bucket_name, default_tags, resource_name  # noqa: E402
from components.storage import Lifecycle, SecureBucket, SecureBucketArgs  # noqa: E402
from components.teardown import Teardown  # noqa: E402

STATE_KEY_ALIAS = "tc-pulumi-state"

config = pulumi.Config()
account = config.require("accountId")
administrators = sorted(config.require_object("administrators"))
deployers = sorted(config.require_object("deployers"))

provider = aws.Provider(
    "state-aws", region=REGION, sts_region=REGION, allowed_account_ids=[account],
    default_tags={"tags": default_tags(pulumi.get_stack(), "state-backend")},
)
keep = Teardown.for_environment("prod")  # protect and retain, whatever the account

key = EncryptionKey(
    "state-key",
    EncryptionKeyArgs(
        description="transparency-center Pulumi state objects and stack secrets (secrets provider)",
        alias=STATE_KEY_ALIAS,
        account_id=account,
        administrators=administrators,
        via_services=("s3",),
        teardown=keep,
        # The Pulumi CLI of a deployer encrypts and decrypts stack secrets directly (not via S3).
        service_statements=(policies.key_statement(
            "DeployersUseAsSecretsProvider", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            principals={"AWS": deployers},
        ),),
    ),
    opts=pulumi.ResourceOptions(provider=provider),
)
state_bucket_name = bucket_name(account, "pulumi", "state")
bucket = SecureBucket(
    resource_name("state", "bucket"),
    SecureBucketArgs(
        bucket_name=state_bucket_name,
        key=key,
        teardown=keep,
        # Old state versions are the only way back from a bad `pulumi state` edit: keep a year.
        lifecycle=Lifecycle(noncurrent_version_expiration_days=365),
        writer_arns=tuple(deployers),
    ),
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export("backendUrl", f"s3://{state_bucket_name}?region={REGION}&awssdk=v2")
pulumi.export("secretsProvider", f"awskms://alias/{STATE_KEY_ALIAS}?region={REGION}")
pulumi.export("stateBucket", state_bucket_name)
pulumi.export("stateKeyArn", key.arn)
