"""An architecture picture of a plan: zones as clusters with their hosts, HSMs, keys,
stores and endpoints, and the reachability between zones as labelled edges.

Drawn from the plan (never from the program's code) with the `diagrams` package, which
needs Graphviz's `dot` on the PATH.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

from . import reach

INSTALL_HINT = ("install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `sudo dnf install graphviz` "
                "(Fedora) or `brew install graphviz` (macOS), then run the command again")

MAX_NODES_PER_KIND = 3
"""More of one kind in a zone are drawn as one node with a count, to keep the picture readable."""


class GraphvizMissing(RuntimeError):
    """The diagram cannot be drawn on this machine (no `dot`, or no `diagrams` package)."""


def _node_classes() -> dict[str, Any]:
    from diagrams.aws.compute import EC2
    from diagrams.aws.database import Dynamodb
    from diagrams.aws.management import Cloudtrail
    from diagrams.aws.network import Endpoint, PrivateSubnet, VPCRouter
    from diagrams.aws.security import KMS, CloudHSM
    from diagrams.aws.storage import S3

    return {
        "aws:ec2/instance:Instance": ("hosts", EC2),
        "aws:cloudhsmv2/hsm:Hsm": ("HSMs", CloudHSM),
        "aws:cloudhsmv2/cluster:Cluster": ("HSM clusters", CloudHSM),
        "aws:kms/key:Key": ("KMS keys", KMS),
        "aws:s3/bucket:Bucket": ("buckets", S3),
        "aws:dynamodb/table:Table": ("tables", Dynamodb),
        "aws:ec2/vpcEndpoint:VpcEndpoint": ("endpoints", Endpoint),
        "aws:cloudtrail/trail:Trail": ("trails", Cloudtrail),
        "_zone": ("subnets", PrivateSubnet),
        "_gateway": ("S3 gateway", VPCRouter),
    }


def zone_of_resources(plan: dict[str, Any]) -> dict[str, str]:
    """Each resource's zone: its `zone` tag, else the zone of its subnet, else the zone in
    its provider's default tags (every area has its own provider)."""
    resources = plan.get("resources", [])
    providers = {r["urn"]: r for r in resources if r["type"].startswith("pulumi:providers:")}
    subnet_zone = {}
    for r in resources:
        if r["type"] == "aws:ec2/subnet:Subnet":
            subnet_zone[str(r.get("outputs", {}).get("id"))] = (r["inputs"].get("tags") or {}).get("zone", "?")
    zones: dict[str, str] = {}
    for r in resources:
        inputs = r.get("inputs") or {}
        tags = inputs.get("tags")
        zone = tags.get("zone") if isinstance(tags, dict) else None
        if not zone:
            subnets = [inputs.get("subnetId")] + list(inputs.get("subnetIds") or [])
            zone = next((subnet_zone[s] for s in subnets if s in subnet_zone), None)
        if not zone and r.get("provider") in providers:
            default = (providers[r["provider"]].get("inputs") or {}).get("defaultTags")
            if isinstance(default, str):
                with contextlib.suppress(json.JSONDecodeError):
                    default = json.loads(default)
            if isinstance(default, dict) and isinstance(default.get("tags"), dict):
                zone = default["tags"].get("zone")
        zones[r["urn"]] = zone or "?"
    return zones


def render(plan: dict[str, Any], out_dir: Path, filename: str = "architecture") -> list[Path]:
    if shutil.which("dot") is None:
        raise GraphvizMissing(f"Graphviz's `dot` is not on the PATH, so there is no diagram; {INSTALL_HINT}")
    try:
        from diagrams import Cluster, Diagram, Edge
        classes = _node_classes()
    except ImportError as error:
        raise GraphvizMissing(f"the `diagrams` package is missing ({error}); install it with "
                              "`.venv/bin/pip install 'diagrams==0.25.*'`") from None

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    zones = zone_of_resources(plan)
    reachability = reach.compute(plan)
    network_zones = [z for z in reachability.sources if z != reach.INTERNET]

    grouped: dict[str, dict[str, list[str]]] = {}
    for r in plan.get("resources", []):
        if r["type"] in classes and r.get("custom"):
            grouped.setdefault(zones[r["urn"]], {}).setdefault(r["type"], []).append(r["name"])

    graph_attr = {"fontsize": "20", "pad": "0.4", "splines": "spline", "nodesep": "0.5", "ranksep": "0.9"}
    anchors: dict[str, Any] = {}
    with Diagram(f"transparency center: {plan.get('stack', '')}", filename=str(out_dir / filename),
                 outformat=["png", "svg"], show=False, direction="TB", graph_attr=graph_attr):
        with Cluster(f"VPC ({plan.get('stack', '')}, eu-central-2)"):
            for zone in network_zones:
                with Cluster(f"zone {zone}"):
                    label, cls = classes["_zone"]
                    inside = reachability.cells.get((zone, zone))
                    within = f"\nwithin: {inside.ports}" if inside and inside.ports else ""
                    anchors[zone] = cls(f"{zone}\n{len(reachability_subnets(plan, zone))} subnets{within}")
                    _draw_kinds(grouped.get(zone, {}), classes)
            anchors["_s3"] = classes["_gateway"][1]("S3 gateway endpoint")
        for zone in sorted(set(grouped) - set(network_zones)):
            with Cluster(f"area {zone} (regional services)"):
                _draw_kinds(grouped[zone], classes)
        for (src, dst), cell in sorted(reachability.cells.items()):
            if not cell.ports or src == dst:
                continue
            if dst in anchors and src in anchors:
                anchors[src] >> Edge(label=str(cell.ports), color="darkgreen") >> anchors[dst]
            elif dst == reach.S3 and src in anchors:
                anchors[src] >> Edge(label=str(cell.ports), color="steelblue", style="dashed") >> anchors["_s3"]
            elif reach.INTERNET in (src, dst):
                anchors.setdefault("_internet", classes["_gateway"][1]("INTERNET"))
                a, b = (anchors.get(src), anchors["_internet"]) if dst == reach.INTERNET else (anchors["_internet"], anchors.get(dst))
                if a is not None and b is not None:
                    a >> Edge(label=str(cell.ports), color="red", style="bold") >> b
    return [out_dir / f"{filename}.png", out_dir / f"{filename}.svg"]


def reachability_subnets(plan: dict[str, Any], zone: str) -> list[str]:
    return [r["name"] for r in plan.get("resources", [])
            if r["type"] == "aws:ec2/subnet:Subnet" and (r["inputs"].get("tags") or {}).get("zone") == zone]


def _draw_kinds(kinds: dict[str, list[str]], classes: dict[str, Any]) -> None:
    for type_, names in sorted(kinds.items()):
        label, cls = classes[type_]
        if len(names) > MAX_NODES_PER_KIND:
            cls(f"{len(names)} {label}")
        else:
            for name in sorted(names):
                cls(_wrap(name))


def _wrap(name: str, width: int = 16) -> str:
    parts, line = [], ""
    for piece in name.split("-"):
        candidate = f"{line}-{piece}" if line else piece
        if len(candidate) > width and line:
            parts.append(line + "-")
            line = piece
        else:
            line = candidate
    parts.append(line)
    return "\n".join(parts)
