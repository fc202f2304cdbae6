"""Session Manager preferences documents (document type `Session`), built as data.

Reviewers get one document per organization (components/reviewers.py); operators on
builders and signer hosts use the account's default document `SSM-SessionManagerRunShell`
(components/audit.py). Both log every session to S3 and CloudWatch, KMS-encrypted.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SESSION_DOCUMENT = "SSM-SessionManagerRunShell"
"""The document Session Manager uses when a session names none: it must log too."""


def session_preferences(
    *,
    description: str,
    bucket_name: Any,
    prefix: Any,
    log_group_name: Any,
    kms_key_id: Any,
    idle_timeout_minutes: int,
    max_session_minutes: int,
    run_as_user: str | None = None,
) -> dict[str, Any]:
    """Preferences that log every session to S3 and CloudWatch Logs, both encrypted, and
    encrypt the session stream itself with `kms_key_id`."""
    return {
        "schemaVersion": "1.0",
        "description": description,
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": bucket_name,
            "s3KeyPrefix": prefix,
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": log_group_name,
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "kmsKeyId": kms_key_id,
            "runAsEnabled": run_as_user is not None,
            "runAsDefaultUser": run_as_user or "",
            "idleSessionTimeout": str(idle_timeout_minutes),
            "maxSessionDuration": str(max_session_minutes),
            "shellProfile": {"linux": "cd ~ && umask 077", "windows": ""},
        },
    }
