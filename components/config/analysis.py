"""`transparency-center:analysis`: the cells that analyse collected samples (issue 28).

Each customer region's store has its own cell group: ephemeral hosts in the `analysis` zone that
take one job (a new `samples/<sha256>`) from the region's queue, write one verdict under
`verdicts/`, and terminate. A group reads only its own region's samples unless `alsoServes`
names other regions explicitly.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import Field, field_validator

from .base import StrictModel
from .build import AmiId, InstanceType
from .data import CustomerRegion

ANALYSIS_ZONE = "analysis"
"""The cells' zone: a zone of the center's VPC with its own S3 gateway endpoint and nothing else."""
ANALYSER_PATH = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
"""The analyser is run without a shell: one absolute path, no arguments."""
MIN_LIFETIME_SECONDS = 86_400
"""Auto Scaling's shortest maximum instance lifetime (one day); 0 would mean 'forever'."""
MAX_LIFETIME_SECONDS = 604_800
"""A week: a cell that took no job within it is replaced anyway."""


class AnalysisConfig(StrictModel):
    enabled: bool = False
    cidr: str | None = Field(default=None, description="The analysis zone's CIDR; default: the last free zone slot.")
    ami_id: AmiId | None = Field(default=None, description="The cell image; the build image when absent.")
    instance_type: InstanceType = "c6i.large"
    cells_per_region: int = Field(default=1, ge=1, le=16, description="Cells per customer region (one job each).")
    max_lifetime_seconds: int = Field(default=MIN_LIFETIME_SECONDS, ge=MIN_LIFETIME_SECONDS, le=MAX_LIFETIME_SECONDS)
    job_timeout_seconds: int = Field(default=900, ge=60, le=43_200,
                                     description="SQS visibility timeout: how long one job may take.")
    analyser: str | None = Field(
        default=None, description="The image's analyser executable (absolute path): run with the sample's path, it "
                                  "prints {result, version}. Absent: the cell runner's static triage (result unknown).")
    also_serves: dict[CustomerRegion, list[CustomerRegion]] = Field(
        default_factory=dict,
        description="Explicit cross-region service: region -> other regions whose samples its cells read.")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.IPv4Network(value, strict=True))
        except ValueError as error:
            raise ValueError(f"{value!r} is not an IPv4 CIDR with its host bits zero ({error})") from None

    @field_validator("analyser")
    @classmethod
    def _analyser(cls, value: str | None) -> str | None:
        if value is not None and not ANALYSER_PATH.match(value):
            raise ValueError(f"{value!r} is not an absolute path of letters, digits, '.', '_', '-' and '/'")
        return value

    @field_validator("also_serves")
    @classmethod
    def _also_serves(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for region, others in value.items():
            if region in others:
                raise ValueError(f"{region}: a region's cells serve its own samples already; list other regions only")
        return {region: sorted(set(others)) for region, others in sorted(value.items())}

    def served(self, region: str) -> tuple[str, ...]:
        """The regions whose samples the cells of `region` read: its own, and what `alsoServes` adds."""
        return tuple(sorted({region, *self.also_serves.get(region, [])}))  # type: ignore[call-overload]
