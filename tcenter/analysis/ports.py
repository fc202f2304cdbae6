"""Sets of TCP ports as merged ranges: what reachability computes with, layer by layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALL_PORTS = (0, 65535)


# --- port sets ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ports:
    """A set of TCP ports as sorted, merged, inclusive ranges."""

    ranges: tuple[tuple[int, int], ...] = ()

    @staticmethod
    def of(*ranges: tuple[int, int]) -> "Ports":
        merged: list[list[int]] = []
        for lo, hi in sorted(r for r in ranges if r[0] <= r[1]):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return Ports(tuple((lo, hi) for lo, hi in merged))

    def __or__(self, other: "Ports") -> "Ports":
        return Ports.of(*self.ranges, *other.ranges)

    def __and__(self, other: "Ports") -> "Ports":
        out = []
        for a_lo, a_hi in self.ranges:
            for b_lo, b_hi in other.ranges:
                lo, hi = max(a_lo, b_lo), min(a_hi, b_hi)
                if lo <= hi:
                    out.append((lo, hi))
        return Ports.of(*out)

    def __sub__(self, other: "Ports") -> "Ports":
        out = list(self.ranges)
        for b_lo, b_hi in other.ranges:
            nxt = []
            for lo, hi in out:
                if b_hi < lo or b_lo > hi:
                    nxt.append((lo, hi))
                    continue
                if lo < b_lo:
                    nxt.append((lo, b_lo - 1))
                if hi > b_hi:
                    nxt.append((b_hi + 1, hi))
            out = nxt
        return Ports.of(*out)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def covers(self, lo: int, hi: int) -> bool:
        return not (Ports.of((lo, hi)) - self)

    def __str__(self) -> str:
        if not self.ranges:
            return "-"
        if self.ranges == (ALL_PORTS,):
            return "all"
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges)


NO_PORTS = Ports()
EVERY_PORT = Ports.of(ALL_PORTS)


def rule_ports(protocol: Any, lo: Any, hi: Any) -> Ports:
    """The TCP ports a rule (protocol, from, to) covers; every port for protocol -1 / all."""
    if str(protocol).lower() in ("-1", "all"):
        return EVERY_PORT
    try:
        lo_i, hi_i = int(lo if lo is not None else 0), int(hi if hi is not None else 65535)
    except (TypeError, ValueError):
        return NO_PORTS
    if lo_i == hi_i == 0 and str(protocol) not in ("tcp", "6"):
        return EVERY_PORT
    return Ports.of((max(lo_i, 0), min(hi_i, 65535)))
