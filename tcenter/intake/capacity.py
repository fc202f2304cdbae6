"""`tcenter capacity STACK`: the intake's rates against the quotas that bind in eu-central-2.

The numbers come from components/intake_capacity.py (the model the stack itself uses for its
throttles, reserved concurrency and quota increase requests); this module only reads the
stack's config and renders them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.errors import InputError


def load_intake(stack: str, project_dir: Path | None = None) -> Any:
    """The validated intake section of a stack (components.config.IntakeConfig)."""
    from components.config import ConfigError, load_config

    from ..core.stackfiles import PROJECT_ROOT, load_stack_values

    values = load_stack_values(stack, project_dir or PROJECT_ROOT)
    try:
        config = load_config(values, stack)
    except ConfigError as error:
        raise InputError(" ".join(line.strip() for line in str(error).splitlines())) from None
    if config.intake is None:
        raise InputError(f"stack {stack!r} declares no transparency-center:intake section: there is no intake to size")
    return config.intake


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def report(stack: str, intake: Any) -> dict[str, Any]:
    from components.awsfacts import S3_PUTS_PER_PREFIX_PER_SECOND
    from components.intake_capacity import plan_capacity

    plan = plan_capacity(intake)
    c = intake.capacity
    return {
        "stack": stack,
        "inputs": {"clients": sum(c.clients.values()), "lookupsPerClientPerDay": c.lookups_per_client_per_day,
                   "uploadsPerClientPerDay": c.uploads_per_client_per_day, "peakFactor": c.peak_factor,
                   "brokerMilliseconds": c.broker_milliseconds, "headroom": c.headroom,
                   "meanSampleBytes": c.mean_sample_bytes},
        "regions": [{
            "region": r.region, "clients": r.clients, "meanRequestsPerSecond": r.mean_requests_per_second,
            "peakRequestsPerSecond": r.peak_requests_per_second, "peakUploadsPerSecond": r.peak_uploads_per_second,
            "throttleRate": r.throttle_rate, "throttleBurst": r.throttle_burst,
            "reservedConcurrency": r.reserved_concurrency, "peakDynamodbWritesPerSecond": r.peak_dynamodb_writes_per_second,
            "s3Partitions": r.s3_partitions, "keyHexDigits": r.key_hex_digits,
            "peakUploadBytesPerSecond": r.peak_upload_bytes_per_second,
        } for r in plan.regions],
        "total": {"meanRequestsPerSecond": plan.total_mean_requests_per_second,
                  "peakRequestsPerSecond": plan.total_peak_requests_per_second,
                  "peakUploadsPerSecond": sum(r.peak_uploads_per_second for r in plan.regions)},
        "quotas": [{
            "service": q.quota.service_code, "code": q.quota.quota_code, "name": q.quota.name, "scope": q.scope,
            "default": q.quota.default, "unit": q.quota.unit, "needed": q.needed, "increaseRequested": q.request,
            "source": q.quota.source,
        } for q in plan.quotas],
        "s3PutsPerPrefixPerSecond": S3_PUTS_PER_PREFIX_PER_SECOND,
        "apiBurstDefault": plan.api_burst_default,
        "perClient": {"hourlyNeedAtPeak": plan.per_client_hourly_need, "hourlyLimit": plan.per_client_hourly_limit},
    }


def _table(headers: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + \
               ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    numeric = [all(not r[i] or r[i][0].isdigit() for r in rows) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]


def render(data: dict[str, Any], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    markdown = fmt == "markdown"
    i = data["inputs"]
    lines = [f"capacity of the intake of {data['stack']}: {i['clients']:,} clients, {i['lookupsPerClientPerDay']:g} "
             f"lookups and {i['uploadsPerClientPerDay']:g} uploads per client per day, peak x{i['peakFactor']:g}, "
             f"{i['brokerMilliseconds']:g} ms per broker request, headroom x{i['headroom']:g}", ""]
    rows = [[r["region"], f"{r['clients']:,}", _rate(r["meanRequestsPerSecond"]), _rate(r["peakRequestsPerSecond"]),
             f"{r['throttleRate']:,}/{r['throttleBurst']:,}", f"{r['reservedConcurrency']:,}",
             _rate(r["peakDynamodbWritesPerSecond"]), f"{r['peakUploadsPerSecond']:.2f}",
             f"{r['s3Partitions']} ({r['keyHexDigits']} hex digit(s))"] for r in data["regions"]]
    t = data["total"]
    rows.append(["total", f"{i['clients']:,}", _rate(t["meanRequestsPerSecond"]), _rate(t["peakRequestsPerSecond"]),
                 "", "", "", f"{t['peakUploadsPerSecond']:.2f}", ""])
    lines += _table(["region", "clients", "mean req/s", "peak req/s", "API throttle rate/burst", "Lambda reserved",
                     "DynamoDB writes/s (peak)", "uploads/s (peak)", "S3 partitions"], rows, markdown)
    lines += ["", "quotas that bind in eu-central-2:"]
    quota_rows = [[f"{q['service']} {q['name']} ({q['code']})", q["scope"], f"{q['default']:,} {q['unit']}",
                   f"{q['needed']:,}", f"{q['increaseRequested']:,}" if q["increaseRequested"] else "no (default suffices)"]
                  for q in data["quotas"]]
    quota_rows.append(["s3 PUT per partitioned prefix", "per prefix (samples/<sha256>)",
                       f"{data['s3PutsPerPrefixPerSecond']:,} requests/s",
                       f"{max(r['peakUploadsPerSecond'] for r in data['regions']):.2f}",
                       "no quota: S3 partitions by key; see S3 partitions above"])
    lines += _table(["quota", "scope", "default", "needed", "increase requested"], quota_rows, markdown)
    pc = data["perClient"]
    lines += ["", f"API Gateway's account burst in Zurich is {data['apiBurstDefault']:,} and not requestable: AWS raises "
                  "it with the rate.",
              f"per client: {pc['hourlyNeedAtPeak']:.1f} requests an hour at peak, limit {pc['hourlyLimit']:,} an hour "
              "(the broker's counter answers 429 beyond it)."]
    return "\n".join(lines) + "\n"
