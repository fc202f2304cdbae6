#!/usr/bin/python3
"""Take one analysis job, analyse its one sample, write its verdict, exit.

Installed verbatim on analysis cells as /usr/local/bin/tc-cell-run (not a jinja template: the
cell's values come from /etc/tc-cell/cell.json, written by components/analysis.py). Run once
per cell by tc-cell.service, which powers the cell off afterwards; the launch template
terminates it on shutdown, so no cell ever sees a second sample.

  tc-cell-run --config /etc/tc-cell/cell.json --one-job [--wait-seconds N]

1. Long-polls the cell's queues for one message, at most --wait-seconds (default: for ever;
   no job, exit 0: the cell is replaced anyway).
2. The job is one S3 `Object Created` event, as the store's EventBridge rule delivers it, of a
   bucket the cell serves, key `samples/<sha256>`. Anything else is refused (exit 4) and
   deleted, so no message can make a cell read or write another object.
3. Reads that sample (at most `max-sample-bytes`) into the cell's private directory and checks
   its SHA-256 against its name.
4. Runs the analyser: the image's executable (`analyser` in the config) with the sample's path,
   no shell, within the job's time; it prints one JSON object {"result": ..., "version": ...}.
   Without one, the runner's static triage (file type, size, entropy; result "unknown").
5. Writes `verdicts/<sha256>.json` of the same bucket, create-only (`If-None-Match: *`, which
   the store's policy requires): sample digest, the collection rule the sample was uploaded
   under (the object's `collection-rule` metadata, signed into the intake's presigned PUT),
   result, analyser version. An existing verdict (412) means another cell already answered.
6. Deletes the message. A failed analysis leaves it: it reappears for a fresh cell, and after
   the queue's last attempt SQS moves it to the region's failed jobs (the dead-letter queue).

Exit codes: 0 done or no job, 2 usage, 3 config, 4 job refused, 5 analyser failed, 6 AWS failed.
Needs python3-boto3 (Debian's package, in the cell image).
"""

import argparse
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

USAGE, CONFIG, REFUSED, ANALYSER, AWS = 2, 3, 4, 5, 6
CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")
OBJECT_CREATED = "Object Created"
RESULTS = ("malicious", "suspicious", "clean", "unknown")
TRIAGE_VERSION = "tc-cell-run static-triage 1"
MAGIC = (  # (prefix, type): enough to route a sample, not to judge it
    (b"MZ", "pe"), (b"\x7fELF", "elf"), (b"%PDF-", "pdf"), (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0", "ole2"),
    (b"\xca\xfe\xba\xbe", "mach-o-fat"), (b"\xcf\xfa\xed\xfe", "mach-o"), (b"#!", "script"), (b"dex\n", "dex"),
    (b"\x1f\x8b", "gzip"), (b"Rar!", "rar"), (b"7z\xbc\xaf", "7z"),
)


class Refused(Exception):
    """The message is not a job this cell may do."""


class Failed(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def log(event, **fields):
    """One JSON line per event on standard output (the journal): operators see logs, not hosts."""
    print(json.dumps({"event": event, **fields}, sort_keys=True), flush=True)


def load_config(path):
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise Failed(CONFIG, f"{path}: {error}") from None
    for key in ("region", "queues", "buckets", "samples-prefix", "verdicts-prefix"):
        if not config.get(key):
            raise Failed(CONFIG, f"{path}: {key!r} is missing")
    if config["samples-prefix"] == config["verdicts-prefix"]:
        raise Failed(CONFIG, f"{path}: samples-prefix and verdicts-prefix must differ")
    return config


def job_of(message, config):
    """(bucket, key, sha256) of the one sample a job names: an S3 `Object Created` event, as the
    store's EventBridge rule delivers it, of a bucket this cell serves, key samples/<sha256>."""
    try:
        event = json.loads(message["Body"])
    except ValueError:
        raise Refused("the message is not JSON") from None
    if not isinstance(event, dict) or event.get("source") != "aws.s3" or event.get("detail-type") != OBJECT_CREATED:
        kind = (event.get("source"), event.get("detail-type")) if isinstance(event, dict) else type(event).__name__
        raise Refused(f"not an S3 {OBJECT_CREATED!r} event: {kind}")
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key")
    if bucket not in config["buckets"]:
        raise Refused(f"bucket {bucket!r} is not a store this cell serves")
    prefix = config["samples-prefix"]
    if not isinstance(key, str) or not key.startswith(prefix) or not SHA256.match(key[len(prefix):]):
        raise Refused(f"key {key!r} is not {prefix}<sha256>")
    return bucket, key, key[len(prefix):]


def fetch(s3, bucket, key, sha256, target, limit):
    """The sample into TARGET, checked against its name; its collection rule (object metadata)."""
    response = s3.get_object(Bucket=bucket, Key=key)
    if response.get("ContentLength", 0) > limit:
        raise Refused(f"{key}: {response['ContentLength']} bytes, over max-sample-bytes {limit}")
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        for chunk in iter(lambda: response["Body"].read(CHUNK), b""):
            size += len(chunk)
            if size > limit:
                raise Refused(f"{key}: over max-sample-bytes {limit}")
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise Refused(f"{key}: its content's SHA-256 is {digest.hexdigest()}")
    return (response.get("Metadata") or {}).get("collection-rule")


def static_triage(path):
    with open(path, "rb") as handle:
        data = handle.read(CHUNK)
    kind = next((name for magic, name in MAGIC if data.startswith(magic)), "data")
    counts = [0] * 256
    for byte in data:
        counts[byte] += 1
    entropy = -sum(c / len(data) * math.log2(c / len(data)) for c in counts if c) if data else 0.0
    return {"result": "unknown", "version": TRIAGE_VERSION,
            "details": {"type": kind, "size": os.path.getsize(path), "entropy": round(entropy, 3)}}


def analyse(path, config, timeout):
    command = config.get("analyser")
    if not command:
        return static_triage(path)
    try:
        done = subprocess.run([command, path], capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Failed(ANALYSER, f"analyser {command}: {error}") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if done.returncode != 0 or not isinstance(answer, dict) or answer.get("result") not in RESULTS \
            or not isinstance(answer.get("version"), str):
        raise Failed(ANALYSER, f"analyser {command} exited {done.returncode} without a verdict "
                               f"(one JSON object, result one of {', '.join(RESULTS)}, a version)")
    return answer


def write_verdict(s3, bucket, config, sha256, rule, answer):
    """Create-only: the store denies a verdict PUT without If-None-Match (no verdict is rewritten)."""
    key = f"{config['verdicts-prefix']}{sha256}.json"
    verdict = {"sample-sha256": sha256, "collection-rule": rule, "result": answer["result"],
               "analyser-version": answer["version"], "details": answer.get("details", {}),
               "customer-region": config.get("customer-region"), "analysed-at": int(time.time())}
    from botocore.exceptions import ClientError

    try:
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(verdict, sort_keys=True).encode(),
                      ContentType="application/json")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412") \
                or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 412:
            log("verdict-exists", bucket=bucket, key=key)
            return key
        raise
    log("verdict", bucket=bucket, key=key, result=answer["result"])
    return key


def clients(config):
    import boto3
    from botocore.config import Config

    settings = Config(region_name=config["region"], retries={"max_attempts": 3, "mode": "standard"},
                      connect_timeout=10, read_timeout=60)
    s3 = boto3.client("s3", config=settings)
    # If-None-Match on every PUT, whatever boto3 the image has (IfNoneMatch arrived in 2024)
    s3.meta.events.register("before-sign.s3.PutObject", lambda request, **_: request.headers.__setitem__("If-None-Match", "*"))
    return s3, boto3.client("sqs", config=settings)


def receive_one(sqs, config, wait_seconds):
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    while True:
        for url in config["queues"]:
            left = 20 if deadline is None else max(0, min(20, int(deadline - time.monotonic())))
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=left).get("Messages", [])
            if messages:
                return url, messages[0]
        if deadline is not None and time.monotonic() >= deadline:
            return None, None


def do_job(s3, config, message, workdir):
    """The job of MESSAGE: its verdict written (or already there). Raises Refused or Failed."""
    bucket, key, sha256 = job_of(message, config)
    limit = int(config.get("max-sample-bytes", 512 << 20))
    with tempfile.TemporaryDirectory(dir=workdir) as private:
        sample = os.path.join(private, sha256)
        rule = fetch(s3, bucket, key, sha256, sample, limit)
        answer = analyse(sample, config, int(config.get("job-timeout-seconds", 900)))
    write_verdict(s3, bucket, config, sha256, rule, answer)


def run_one_job(config, wait_seconds, workdir):
    """A done or refused job's message is deleted; a failed one is left to reappear for a fresh cell."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3, sqs = clients(config)
        url, message = receive_one(sqs, config, wait_seconds)
        if message is None:
            log("no-job")
            return 0
        code = 0
        try:
            do_job(s3, config, message, workdir)
        except Refused as refusal:
            log("refused", queue=url, reason=str(refusal))
            code = REFUSED
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return code
    except (BotoCoreError, ClientError) as error:
        raise Failed(AWS, f"AWS: {error}") from None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tc-cell-run", description="Take one analysis job, write its verdict, exit.")
    parser.add_argument("--config", required=True, help="the cell's configuration (JSON)")
    parser.add_argument("--one-job", action="store_true", required=True, help="one job, then exit (the only mode)")
    parser.add_argument("--wait-seconds", type=int, default=None, help="give up waiting for a job after this long")
    parser.add_argument("--workdir", default=os.getcwd(), help="where the sample is held (private, removed after)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        try:
            import boto3  # noqa: F401 - Debian's python3-boto3, which the cell profile installs
        except ImportError as missing:
            raise Failed(CONFIG, f"{missing}: the cell image must install python3-boto3") from None
        return run_one_job(config, args.wait_seconds, args.workdir)
    except Failed as failure:
        print(f"tc-cell-run: {failure}", file=sys.stderr)
        return failure.code


if __name__ == "__main__":
    sys.exit(main())
