"""Capacity as code for the sample intake: rates from the config, against the quotas that
bind in eu-central-2. Pure (no Pulumi): the stack derives its throttles, Lambda concurrency
and quota increase requests from `plan_capacity`, and `tcenter capacity STACK` prints it.

Per customer region, from `intake.capacity`:
  mean requests/s = clients x (lookups + uploads per client per day) / 86,400
  peak requests/s = mean x peakFactor            (what API Gateway and Lambda must carry)
  throttle        = peak x headroom              (API Gateway method throttle of the region)
  concurrency     = peak x brokerMilliseconds/1000 x headroom   (Little's law; reserved per function)
  DynamoDB writes = peak x 2 + peak uploads      (the client counter and the hash claim per request,
                                                  the confirmation per stored sample)
  S3 partitions   = peak uploads / 3,500 PUT/s per partitioned prefix; keys are samples/<sha256>,
                    uniformly spread, so S3 can split them on the first hex digits of the hash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .awsfacts import (
    API_GATEWAY_THROTTLE_RATE, API_GATEWAY_ZURICH_BURST, DYNAMODB_TABLE_READ_THROUGHPUT, DYNAMODB_TABLE_WRITE_THROUGHPUT,
    LAMBDA_CONCURRENT_EXECUTIONS, LAMBDA_UNRESERVED_MINIMUM, S3_PUTS_PER_PREFIX_PER_SECOND, ServiceQuotaFact,
)

if TYPE_CHECKING:
    from .config.intake import IntakeConfig

SECONDS_PER_DAY = 86400
DYNAMODB_WRITES_PER_REQUEST = 2
"""Every broker request updates the client's hourly counter and tries the hash claim (a failed
conditional write still consumes a write unit); items stay under 1 KB (one unit each)."""
MIN_THROTTLE_RATE = 10
MIN_RESERVED_CONCURRENCY = 2


@dataclass(frozen=True)
class RegionLoad:
    region: str
    clients: int
    mean_requests_per_second: float
    peak_requests_per_second: float
    peak_uploads_per_second: float
    throttle_rate: int
    throttle_burst: int
    reserved_concurrency: int
    peak_dynamodb_writes_per_second: float
    s3_partitions: int
    key_hex_digits: int
    peak_upload_bytes_per_second: float


@dataclass(frozen=True)
class QuotaCheck:
    quota: ServiceQuotaFact
    scope: str
    needed: int
    request: int | None
    """The value the stack asks Service Quotas for; None when the default suffices."""

    @property
    def exceeds_default(self) -> bool:
        return self.request is not None


@dataclass(frozen=True)
class CapacityPlan:
    regions: tuple[RegionLoad, ...]
    quotas: tuple[QuotaCheck, ...]
    per_client_hourly_need: float
    per_client_hourly_limit: int
    api_burst_default: int = API_GATEWAY_ZURICH_BURST

    def region(self, name: str) -> RegionLoad:
        return next(r for r in self.regions if r.region == name)

    @property
    def total_peak_requests_per_second(self) -> float:
        return sum(r.peak_requests_per_second for r in self.regions)

    @property
    def total_mean_requests_per_second(self) -> float:
        return sum(r.mean_requests_per_second for r in self.regions)

    @property
    def increases(self) -> tuple[QuotaCheck, ...]:
        return tuple(q for q in self.quotas if q.exceeds_default)


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def _request(needed: int, quota: ServiceQuotaFact, step: int) -> int | None:
    return _round_up(needed, step) if needed > quota.default else None


def region_load(region: str, clients: int, config: "IntakeConfig") -> RegionLoad:
    capacity = config.capacity
    per_client_per_day = capacity.lookups_per_client_per_day + capacity.uploads_per_client_per_day
    mean = clients * per_client_per_day / SECONDS_PER_DAY
    peak = mean * capacity.peak_factor
    peak_uploads = clients * capacity.uploads_per_client_per_day / SECONDS_PER_DAY * capacity.peak_factor
    rate = max(MIN_THROTTLE_RATE, math.ceil(peak * capacity.headroom))
    partitions = max(1, math.ceil(peak_uploads / S3_PUTS_PER_PREFIX_PER_SECOND))
    return RegionLoad(
        region=region, clients=clients,
        mean_requests_per_second=mean,
        peak_requests_per_second=peak,
        peak_uploads_per_second=peak_uploads,
        throttle_rate=rate,
        throttle_burst=max(MIN_THROTTLE_RATE, math.ceil(rate / 2)),
        reserved_concurrency=max(MIN_RESERVED_CONCURRENCY,
                                 math.ceil(peak * capacity.broker_milliseconds / 1000 * capacity.headroom)),
        peak_dynamodb_writes_per_second=peak * DYNAMODB_WRITES_PER_REQUEST + peak_uploads,
        s3_partitions=partitions,
        key_hex_digits=0 if partitions == 1 else math.ceil(math.log(partitions, 16)),
        peak_upload_bytes_per_second=peak_uploads * capacity.mean_sample_bytes,
    )


def plan_capacity(config: "IntakeConfig") -> CapacityPlan:
    regions = tuple(region_load(region, clients, config) for region, clients in config.capacity.clients.items())
    api_needed = sum(r.throttle_rate for r in regions)
    lambda_needed = sum(r.reserved_concurrency for r in regions) + LAMBDA_UNRESERVED_MINIMUM
    table_writes = math.ceil(max((r.peak_dynamodb_writes_per_second for r in regions), default=0) * config.capacity.headroom)
    quotas = (
        QuotaCheck(API_GATEWAY_THROTTLE_RATE, "account, all APIs", api_needed,
                   _request(api_needed, API_GATEWAY_THROTTLE_RATE, 100)),
        QuotaCheck(LAMBDA_CONCURRENT_EXECUTIONS, "account, all functions", lambda_needed,
                   _request(lambda_needed, LAMBDA_CONCURRENT_EXECUTIONS, 100)),
        QuotaCheck(DYNAMODB_TABLE_WRITE_THROUGHPUT, "per table (busiest region)", table_writes,
                   _request(table_writes, DYNAMODB_TABLE_WRITE_THROUGHPUT, 1000)),
        QuotaCheck(DYNAMODB_TABLE_READ_THROUGHPUT, "per table (the broker reads nothing)", 0, None),
    )
    capacity = config.capacity
    hourly = (capacity.lookups_per_client_per_day + capacity.uploads_per_client_per_day) / 24 * capacity.peak_factor
    return CapacityPlan(regions, quotas, hourly, config.per_client_requests_per_hour)
