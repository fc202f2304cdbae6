"""`transparency-center:localstack`: run the center against a LocalStack emulator.

Only the `local` stack sets it. The providers then send every AWS call to `endpoint`,
skip credential, account and metadata checks, and address S3 by path. Refused in prod:
a production stack never talks to an emulator.
"""

from __future__ import annotations

from urllib.parse import urlparse

from pydantic import Field, field_validator

from .base import StrictModel

LOCALSTACK_SERVICES = (
    "autoscaling", "cloudhsmv2", "cloudtrail", "cloudwatch", "cloudwatchlogs", "dynamodb", "ec2", "iam", "kms",
    "s3", "secretsmanager", "sqs", "ssm", "sts",
)
"""The AWS APIs the center calls; each is pointed at the emulator."""


class LocalStackConfig(StrictModel):
    endpoint: str = Field(default="http://localhost:4566", description="The LocalStack gateway URL.")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        url = urlparse(value)
        if url.scheme not in ("http", "https") or not url.hostname or url.path not in ("", "/") or url.query:
            raise ValueError(f"{value!r} is not a LocalStack gateway URL like http://localhost:4566")
        return value.rstrip("/")
