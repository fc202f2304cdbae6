"""An architecture picture of a plan: zones as clusters with their hosts, HSMs, keys,
stores and endpoints, and the reachability between zones as labelled edges.

Drawn from the plan (never from the program's code) with the `diagrams` package, which
needs Graphviz's `dot` on the PATH.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.awsfacts import REGION

from ..analysis import access, reach
from ..core.errors import ToolMissing
from ..core.planview import zones as zone_of_resources

INSTALL_HINT = ("install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `sudo dnf install graphviz` "
                "(Fedora) or `brew install graphviz` (macOS), then run the command again")

MAX_NODES_PER_KIND = 3
"""More of one kind in a zone are drawn as one node with a count, to keep the picture readable."""


class GraphvizMissing(ToolMissing):
    """The diagram cannot be drawn on this machine (no `dot`, or no `diagrams` package)."""


def _node_classes() -> dict[str, Any]:
    from diagrams.aws.compute import EC2, Lambda
    from diagrams.aws.database import Dynamodb
    from diagrams.aws.general import Users
    from diagrams.aws.management import Cloudtrail
    from diagrams.aws.network import APIGateway, Endpoint, PrivateSubnet, VPCRouter
    from diagrams.aws.security import KMS, CloudHSM
    from diagrams.aws.storage import S3

    return {
        "aws:ec2/instance:Instance": ("hosts", EC2),
        "aws:autoscaling/group:Group": ("cell groups", EC2),
        "aws:cloudhsmv2/hsm:Hsm": ("HSMs", CloudHSM),
        "aws:cloudhsmv2/cluster:Cluster": ("HSM clusters", CloudHSM),
        "aws:kms/key:Key": ("KMS keys", KMS),
        "aws:s3/bucket:Bucket": ("buckets", S3),
        "aws:dynamodb/table:Table": ("tables", Dynamodb),
        "aws:ec2/vpcEndpoint:VpcEndpoint": ("interface endpoints", Endpoint),
        "aws:cloudtrail/trail:Trail": ("trails", Cloudtrail),
        INTAKE_API: ("intake APIs", APIGateway),
        "aws:lambda/function:Function": ("functions", Lambda),
        "_zone": ("subnets", PrivateSubnet),
        "_customers": ("customers", Users),
        "_gateway": ("S3 gateway", VPCRouter),
    }


INTAKE_API = "aws:apigateway/restApi:RestApi"
CORE_ZONES = ("build", "signing", "data")
"""The middle row of the grid; reviewer zones above, endpoints and gateways below."""
NETWORK_TYPES = ("aws:ec2/instance:Instance", "aws:cloudhsmv2/hsm:Hsm", "aws:cloudhsmv2/cluster:Cluster",
                 "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:autoscaling/group:Group")
"""Drawn inside their zone; everything else (buckets, keys, tables, trails) is a regional
service outside the VPC, drawn in its area's box."""
LEGEND = (
    ("network path (ports)", {"color": "darkgreen"}),
    ("S3 / DynamoDB through a gateway endpoint", {"color": "steelblue", "style": "dashed"}),
    ("effective access (tcenter access)", {"color": "darkorange", "style": "dotted"}),
    ("build -> sign -> release", {"color": "purple", "style": "bold"}),
    ("sample intake: customers -> intake -> store", {"color": "brown", "style": "bold"}),
    ("samples -> cells -> verdicts -> AV builds", {"color": "firebrick", "style": "bold"}),
    ("from the internet", {"color": "red", "style": "bold"}),
)
"""Every line style the picture uses, explained in its legend."""
LEGEND_PER_ROW = 4
ACCESS_ZONES = ("build",)
"""Zones whose roles' effective access is drawn (with every reviewer zone)."""


def label(name: str) -> str:
    """A resource's label: without the kit's `tc-` prefix and without stuttering parts
    (`tc-build-key-key` -> `build-key`)."""
    parts = name.split("-")
    if parts and parts[0] == "tc":
        parts = parts[1:]
    kept: list[str] = []
    for part in parts:
        if not kept or kept[-1] != part:
            kept.append(part)
    if len(kept) > 1 and kept[-1] in KIND_SUFFIXES:  # the node already says "2 buckets"
        kept = kept[:-1]
    return "-".join(kept) or name


KIND_SUFFIXES = ("bucket", "key", "trail", "cluster", "table")


def counted(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


ISOLATED_ZONES = ("analysis",)
"""Drawn first in the top row, with the reviewer zones: they reach no zone of the center (issue 28's cells)."""


def _grid_order(network_zones: list[str]) -> list[list[str]]:
    reviewers = [z for z in ISOLATED_ZONES if z in network_zones] + [z for z in network_zones if z.startswith("reviewer")]
    core = [z for z in CORE_ZONES if z in network_zones]
    rest = [z for z in network_zones if z not in reviewers and z not in core]
    return [row for row in (reviewers, core, rest) if row]


def access_edges(plan: dict[str, Any], zones: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    """(zone of the role, area of the asset) -> access classes, for reviewer and build roles."""
    by_arn = {str((r.get("outputs") or {}).get("arn")): r for r in plan.get("resources", [])
              if r["type"] == "aws:iam/role:Role"}
    assets = {r["name"]: zones[r["urn"]] for r in plan.get("resources", [])}
    result = access.effective_access(plan)
    edges: dict[tuple[str, str], set[str]] = {}
    for key, entry in result["principals"].items():
        role = by_arn.get(key)
        if role is None or entry["via"]:
            continue
        zone = zones[role["urn"]]
        if not (zone.startswith("reviewer") or zone in ACCESS_ZONES):
            continue
        for asset, classes in entry["access"].items():
            area = assets.get(asset, "?")
            if area != zone:
                edges.setdefault((zone, area), set()).update(classes)
    return edges


class _Ids:
    """Sequential node ids: the same plan draws the same picture, byte for byte."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"n{self.count:04d}"


def _same_rank(nodes: list[Any]) -> None:
    from diagrams import getdiagram

    if len(nodes) > 1:
        getdiagram().dot.body.append("{rank=same; " + "; ".join(f'"{n._id}"' for n in nodes) + "}")


AREAS_PER_ROW = 3
CLUSTER_ATTR = {"fontsize": "17"}
"""Zone and area titles: read at 1600 px like every other label."""


@dataclass(frozen=True)
class _Layout:
    """What the picture shows, computed before anything is drawn."""

    plan: dict[str, Any]
    zones: dict[str, str]
    reachability: Any
    access: dict[tuple[str, str], set[str]]
    grouped: dict[str, dict[str, list[str]]]
    network_zones: list[str]


def _require_graphviz() -> None:
    """Graphviz's `dot` and the `diagrams` package are there, or GraphvizMissing."""
    if shutil.which("dot") is None:
        raise GraphvizMissing(f"Graphviz's `dot` is not on the PATH, so there is no diagram; {INSTALL_HINT}")
    try:
        import diagrams.generic.blank  # noqa: F401 - the legend's invisible end points
    except ImportError as error:
        raise GraphvizMissing(f"the `diagrams` package is missing ({error}); install it with "
                              "`.venv/bin/pip install 'diagrams==0.25.*'`") from None


def render(plan: dict[str, Any], out_dir: Path, filename: str = "architecture") -> list[Path]:
    """Draw PNG and SVG into OUT_DIR. Everything that can fail is computed before drawing
    starts, and the files are moved into place only when both are complete: a diagram is
    written whole (legend, access, release flow, icons inlined) or not at all."""
    _require_graphviz()
    classes = _node_classes()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    zones = zone_of_resources(plan)
    reachability = reach.compute(plan)
    network_zones = [z for z in reachability.sources if z != reach.INTERNET]
    grouped: dict[str, dict[str, list[str]]] = {}
    for r in plan.get("resources", []):
        if r["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint" and (r.get("inputs") or {}).get("vpcEndpointType") == "Gateway":
            continue  # drawn as the one gateway-endpoints node; the zone's count is of interface endpoints
        if r["type"] in classes and r.get("custom"):
            inside = r["type"] in NETWORK_TYPES and zones[r["urn"]] in network_zones
            area = zones[r["urn"]] if inside else f"area:{zones[r['urn']]}"
            grouped.setdefault(area, {}).setdefault(r["type"], []).append(r["name"])
    layout = _Layout(plan, zones, reachability, access_edges(plan, zones), grouped, network_zones)
    drawing = Path(tempfile.mkdtemp(prefix=f".{filename}-", dir=out_dir))
    try:
        _draw(layout, drawing / filename, classes)
        _embed_icons(drawing / f"{filename}.svg")
        for suffix in ("png", "svg"):
            os.replace(drawing / f"{filename}.{suffix}", out_dir / f"{filename}.{suffix}")
    finally:
        shutil.rmtree(drawing, ignore_errors=True)
    return [out_dir / f"{filename}.png", out_dir / f"{filename}.svg"]


def _draw(layout: _Layout, target: Path, classes: dict[str, Any]) -> None:
    from diagrams import Cluster, Diagram
    from diagrams import Edge as DiagramEdge
    from diagrams.generic.blank import Blank

    Edge = functools.partial(DiagramEdge, fontsize="15")  # noqa: N806 - diagrams' edges default to 13 pt
    plan, reachability, grouped, network_zones = layout.plan, layout.reachability, layout.grouped, layout.network_zones
    graph_attr = {"fontsize": "24", "pad": "0.25", "splines": "spline", "nodesep": "0.55", "ranksep": "1.1",
                  "newrank": "true"}
    ids = _Ids()
    anchors: dict[str, Any] = {}
    named: dict[str, Any] = {}
    row_nodes: list[Any] = []
    with Diagram(f"transparency center: {plan.get('stack', '')}", filename=str(target),
                 outformat=["png", "svg"], show=False, direction="TB", graph_attr=graph_attr,
                 node_attr={"fontsize": "16"}, edge_attr={"fontsize": "15"}):
        rows = _grid_order(network_zones)
        with Cluster(f"VPC ({plan.get('stack', '')}, {REGION}): no internet gateway, no NAT", graph_attr=CLUSTER_ATTR):
            for row in rows:
                for zone in row:
                    with Cluster(f"zone {zone}", graph_attr=CLUSTER_ATTR):
                        inside = reachability.cells.get((zone, zone))
                        within = f"\nwithin: {inside.ports}" if inside and inside.ports else ""
                        subnets = reachability_subnets(plan, zone)
                        text = f"{counted(len(subnets), 'subnet')}{within}"
                        anchors[zone] = classes["_zone"][1](text, nodeid=ids(), height=_height(text))
                        drawn = _draw_kinds(zone, grouped.get(zone, {}), classes, ids)
                        named.update(drawn)
                        row_nodes = [*row_nodes, anchors[zone], *drawn.values()] if zone != row[0] else \
                            [anchors[zone], *drawn.values()]
                _same_rank(row_nodes)
            anchors["_s3"] = classes["_gateway"][1]("S3 and DynamoDB\ngateway endpoints", nodeid=ids(), height="2.4")
        for upper, lower in zip(rows, rows[1:]):  # the grid: each row below the one before
            anchors[upper[0]] >> Edge(style="invis") >> anchors[lower[0]]
        anchors[rows[-1][0]] >> Edge(style="invis") >> anchors["_s3"]
        areas = sorted(a for a in grouped if a.startswith("area:"))
        area_rows = [areas[i:i + AREAS_PER_ROW] for i in range(0, len(areas), AREAS_PER_ROW)]
        with Cluster(f"{REGION} regional services: outside the VPC, reached only through its endpoints", graph_attr=CLUSTER_ATTR):
            for area_row in area_rows:
                for area in area_row:
                    with Cluster(f"{area[5:]}", graph_attr=CLUSTER_ATTR):
                        drawn = _draw_kinds(area[5:], grouped[area], classes, ids)
                        named.update(drawn)
                        anchors[area] = next(iter(drawn.values()))
                        row_nodes = [*row_nodes, *drawn.values()] if area != area_row[0] else list(drawn.values())
                _same_rank(row_nodes)
        previous = anchors["_s3"]
        for area_row in area_rows:
            previous >> Edge(style="invis") >> anchors[area_row[0]]
            previous = anchors[area_row[0]]
        for (src, dst), cell in sorted(reachability.cells.items()):
            if not cell.ports or src == dst:
                continue
            if dst in anchors and src in anchors:
                anchors[src] >> Edge(label=str(cell.ports), color="darkgreen") >> anchors[dst]
            elif dst in (reach.S3, "dynamodb") and src in anchors:
                anchors[src] >> Edge(label=str(cell.ports), color="steelblue", style="dashed") >> anchors["_s3"]
            elif reach.INTERNET in (src, dst):
                anchors.setdefault("_internet", classes["_gateway"][1]("INTERNET", nodeid=ids()))
                a, b = (anchors.get(src), anchors["_internet"]) if dst == reach.INTERNET else (anchors["_internet"], anchors.get(dst))
                if a is not None and b is not None:
                    a >> Edge(label=str(cell.ports), color="red", style="bold") >> b
        for (zone, area), kinds in sorted(layout.access.items()):
            if zone in anchors and f"area:{area}" in anchors:
                anchors[zone] >> Edge(xlabel=", ".join(sorted(kinds)), color="darkorange", style="dotted",
                                      fontcolor="darkorange") >> anchors[f"area:{area}"]
        _release_flow(named, Edge)
        _intake_flow(named, classes, ids, Edge)
        _analysis_flow(named, Edge)
        with Cluster("legend", graph_attr=CLUSTER_ATTR):
            tops, bottom = [], None
            for start in range(0, len(LEGEND), LEGEND_PER_ROW):  # rows: one row of all would set the picture's width
                row = []
                for text, style in LEGEND[start:start + LEGEND_PER_ROW]:
                    top = Blank("", nodeid=ids(), width="0.3", height="0.3")
                    end = Blank("", nodeid=ids(), width="0.3", height="0.3")
                    top >> Edge(label=text, fontsize="15", **style) >> end
                    row.append((top, end))
                _same_rank([top for top, _ in row])
                if bottom is not None:
                    bottom >> Edge(style="invis") >> row[0][0]
                bottom = row[0][1]
                tops.extend(top for top, _ in row)
        if area_rows:
            anchors[area_rows[-1][0]] >> Edge(style="invis") >> tops[0]


def _embed_icons(svg: Path) -> None:
    """Graphviz links icons by absolute path into this machine's virtualenv; inline them so the
    SVG shows the same anywhere and is the same file on every checkout."""
    import base64
    import re

    def inline(match: "re.Match[str]") -> str:
        data = base64.b64encode(Path(match.group(1)).read_bytes()).decode("ascii")
        return f'xlink:href="data:image/png;base64,{data}"'

    text = svg.read_text(encoding="utf-8")
    svg.write_text(re.sub(r'xlink:href="(/[^"]+\.png)"', inline, text), encoding="utf-8")


def _release_flow(named: dict[str, Any], Edge: Any) -> None:
    """builders -> artifacts bucket -> signer hosts -> releases bucket, where they are drawn."""
    def first(*needles: str) -> Any:
        return next((node for key, node in sorted(named.items()) if all(n in key for n in needles)), None)

    steps = [first("build", "hosts"), first("build", "buckets"), first("signing", "hosts"), first("signing", "buckets")]
    labels = ["1 build: artifacts", "2 sign", "3 release"]
    for index, ((a, b), text) in enumerate(zip(zip(steps, steps[1:]), labels)):
        if a is not None and b is not None:  # the artifacts go back up to the signers: no rank constraint
            a >> Edge(label=text, color="purple", style="bold", fontcolor="purple",
                      constraint="false" if index == 1 else "true") >> b


def _intake_flow(named: dict[str, Any], classes: dict[str, Any], ids: Any, Edge: Any) -> None:
    """customers' products -> the intake API (mutual TLS, in Zurich) -> their region's store, where
    the plan has an intake (components/intake.py): the one way anything enters from outside."""
    api = next((node for key, node in sorted(named.items()) if key.endswith(":intake APIs")), None)
    stores = next((node for key, node in sorted(named.items()) if key.startswith("data:") and key.endswith(":buckets")), None)
    if api is None or stores is None:
        return
    customers = classes["_customers"][1]("customers' products\n(product CA certificates)", nodeid=ids(), height="2.4")
    customers >> Edge(label="1 sha256, rule id\n(mutual TLS)", color="brown", style="bold", fontcolor="brown") >> api
    api >> Edge(label="2 presigned PUT:\nsamples/<sha256> only", color="brown", style="bold", fontcolor="brown",
                constraint="false") >> stores


def _analysis_flow(named: dict[str, Any], Edge: Any) -> None:
    """The one way out of customer data (issue 28): the stores' samples -> the analysis cells ->
    the stores' verdicts -> the AV-database builders, where they are drawn."""
    stores, cells, builders = named.get("data:buckets"), named.get("analysis:cell groups"), named.get("build:hosts")
    if stores is None or cells is None:
        return
    stores >> Edge(label="a samples/", color="firebrick", style="bold", fontcolor="firebrick", constraint="false") >> cells
    cells >> Edge(label="b verdicts/", color="firebrick", style="bold", fontcolor="firebrick", constraint="false") >> stores
    if builders is not None:
        stores >> Edge(label="c AV builds read verdicts/", color="firebrick", style="bold", fontcolor="firebrick",
                       constraint="false") >> builders


def reachability_subnets(plan: dict[str, Any], zone: str) -> list[str]:
    return [r["name"] for r in plan.get("resources", [])
            if r["type"] == "aws:ec2/subnet:Subnet" and (r["inputs"].get("tags") or {}).get("zone") == zone]


def _draw_kinds(where: str, kinds: dict[str, list[str]], classes: dict[str, Any], ids: Any) -> dict[str, Any]:
    """One node per kind: its count, and its members' labels while they are few."""
    drawn: dict[str, Any] = {}
    if "aws:cloudhsmv2/cluster:Cluster" in kinds:  # the cluster node says how many HSMs it has
        hsms = kinds.pop("aws:cloudhsmv2/hsm:Hsm", [])
        kinds["aws:cloudhsmv2/cluster:Cluster"] = [f"cluster of {counted(len(hsms), 'HSM')}"]
    for type_, names in sorted(kinds.items()):
        kind, cls = classes[type_]
        singular = kind[:-1] if kind.endswith("s") else kind
        if type_ == "aws:cloudhsmv2/cluster:Cluster":
            text = f"CloudHSM\n{names[0]}"
        elif len(names) > MAX_NODES_PER_KIND:
            text = counted(len(names), singular, kind)
        else:
            text = "\n".join([counted(len(names), singular, kind)] + [_wrap(label(n)) for n in sorted(names)])
        drawn[f"{where}:{kind}"] = cls(text, nodeid=ids(), height=_height(text))
    return drawn


def _height(text: str) -> str:
    """Room for the icon and every label line at the picture's font size (no label over its icon)."""
    return f"{1.9 + 0.5 * text.count(chr(10)):.1f}"


def _wrap(name: str, width: int = 22) -> str:
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
