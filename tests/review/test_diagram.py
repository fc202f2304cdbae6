"""The architecture picture as a reviewer sees it, read back from the SVG Graphviz drew:
its size, its fonts, where each icon landed, and a legend for every line style."""

from __future__ import annotations

import os
import re
import shutil
import struct
import xml.etree.ElementTree as ET

import pytest

from tcenter.render import diagram

SVG = "{http://www.w3.org/2000/svg}"
README_WIDTH = 1600
MIN_FONT_PT = 14

needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"),
                               reason="Graphviz's dot is not installed (scripts/bootstrap.sh installs it; CI always has it)")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory, plan_of):
    out = tmp_path_factory.mktemp("diagram")
    png, svg = diagram.render(plan_of("zurich-prod"), out)
    return png, ET.parse(svg).getroot()


@needs_dot
def test_the_svg_stands_alone_and_is_the_same_every_time(tmp_path, plan_of, drawn):
    """No link into this machine's virtualenv (icons are inlined); the same plan, the same file."""
    _, root = drawn
    hrefs = [image.get("{http://www.w3.org/1999/xlink}href") for image in root.iter(f"{SVG}image")]
    assert hrefs and all(h.startswith("data:image/png;base64,") for h in hrefs)
    first = diagram.render(plan_of("zurich-prod"), tmp_path / "a")[1].read_bytes()
    second = diagram.render(plan_of("zurich-prod"), tmp_path / "b")[1].read_bytes()
    assert first == second


def _numbers(d: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]


def _clusters(root) -> dict[str, tuple[float, float, float, float]]:
    boxes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "cluster":
            title = g.find(f"{SVG}title").text.removeprefix("cluster_")
            values = _numbers(g.find(f"{SVG}path").get("d"))
            xs, ys = values[0::2], values[1::2]
            boxes[title] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


def _nodes(root) -> list[tuple[str, float, float]]:
    found = []
    for g in root.iter(f"{SVG}g"):
        image = g.find(f"{SVG}image")
        if g.get("class") == "node" and image is not None:
            text = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
            found.append((text, float(image.get("x")), float(image.get("y"))))
    return found


@needs_dot
def test_legible_at_readme_width(drawn):
    png, root = drawn
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    # At 1600 px the smallest label (14 pt, ~19 px) stays above ~10 px: the picture may be at most ~1.9x wider.
    assert width <= 1.9 * README_WIDTH, width
    sizes = {float(t.get("font-size")) for t in root.iter(f"{SVG}text")}
    assert min(sizes) >= MIN_FONT_PT, sorted(sizes)


@needs_dot
def test_labels_do_not_stutter_or_miscount(drawn):
    _, root = drawn
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    for text in texts:
        assert not re.search(r"\b([a-z]+)-\1\b", text), text
        assert not re.match(r"1 (subnets|hosts|buckets|KMS keys|tables|endpoints)\b", text), text


@needs_dot
def test_regional_services_are_drawn_outside_the_vpc(drawn):
    _, root = drawn
    (vpc,) = [box for title, box in _clusters(root).items() if title.startswith("VPC")]
    regional = [n for n in _nodes(root) if re.search(r"\b(buckets?|KMS keys?|tables?|trails?)\b", n[0])]
    assert regional
    for text, x, y in regional:
        assert not (vpc[0] <= x <= vpc[2] and vpc[1] <= y <= vpc[3]), f"{text!r} is drawn inside the VPC"
    inside = [n for n in _nodes(root) if re.search(r"\bhosts?\b|subnets?\b", n[0])]
    assert inside and all(vpc[0] <= x <= vpc[2] and vpc[1] <= y <= vpc[3] for _, x, y in inside)


@needs_dot
def test_the_legend_explains_every_line_style(drawn):
    _, root = drawn
    (legend,) = [box for title, box in _clusters(root).items() if title == "legend"]
    styles_used, styles_explained = set(), set()
    for g in root.iter(f"{SVG}g"):
        path = g.find(f"{SVG}path")
        if g.get("class") != "edge" or path is None or path.get("stroke") in (None, "transparent"):
            continue
        style = (path.get("stroke"), path.get("stroke-dasharray"))
        x, y = _numbers(path.get("d"))[:2]
        inside = legend[0] <= x <= legend[2] and legend[1] <= y <= legend[3]
        (styles_explained if inside else styles_used).add(style)
    assert styles_used and styles_used <= styles_explained, styles_used - styles_explained


@needs_dot
def test_access_and_the_release_flow_are_drawn(drawn, plan_of):
    _, root = drawn
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    labels = {" ".join(t.text or "" for t in g.iter(f"{SVG}text")) for g in edges}
    assert {"1 build: artifacts", "2 sign", "3 release"} <= labels
    access = diagram.access_edges(plan_of("zurich-prod"), diagram.zone_of_resources(plan_of("zurich-prod")))
    assert any(zone.startswith("reviewer") for zone, _ in access) and any(zone == "build" for zone, _ in access)
    assert all(area != "data" for zone, area in access if zone.startswith("reviewer")), "reviewers reach customer data"


@needs_dot
def test_the_analysis_flow_is_drawn_from_the_stores_through_the_cells_to_the_av_builders(drawn):
    """Issue 28: samples -> cells -> verdicts -> AV builds, each edge between the nodes it names."""
    _, root = drawn
    edges = {" ".join(t.text or "" for t in g.iter(f"{SVG}text")): g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"}
    assert {"a samples/", "b verdicts/", "c AV builds read verdicts/"} <= set(edges)
    nodes = {g.findtext(f"{SVG}title"): " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
             for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    ends = {label: [nodes.get(part, "") for part in (edges[label].findtext(f"{SVG}title") or "").split("->")]
            for label in ("a samples/", "b verdicts/", "c AV builds read verdicts/")}
    assert "buckets" in ends["a samples/"][0] and "cell groups" in ends["a samples/"][1], ends
    assert "cell groups" in ends["b verdicts/"][0] and "buckets" in ends["b verdicts/"][1], ends
    assert "hosts" in ends["c AV builds read verdicts/"][1], ends


def test_label_drops_prefix_stutter_and_the_kind():
    assert diagram.label("tc-build-key-key") == "build"
    assert diagram.label("tc-audit-archive-bucket") == "audit-archive"
    assert diagram.counted(1, "subnet") == "1 subnet" and diagram.counted(3, "subnet") == "3 subnets"


@needs_dot
def test_the_endpoint_count_is_the_interface_endpoints_reach_counts(drawn, plan_of):
    """The diagram said 10 endpoints where reach says 8/8: gateways are drawn as their own node."""
    _, root = drawn
    per_zone: dict[str, int] = {}  # the endpoints zone's, and the analysis zone's own (issue 28)
    for r in plan_of("zurich-prod")["resources"]:
        if r["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint" and r["inputs"].get("vpcEndpointType") == "Interface":
            per_zone[r["inputs"]["tags"]["zone"]] = per_zone.get(r["inputs"]["tags"]["zone"], 0) + 1
    assert sorted(per_zone) == ["analysis", "endpoints"]
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for n in per_zone.values():
        assert f"{n} interface endpoint{'s' if n > 1 else ''}" in texts
    assert not re.search(r"\b\d+ endpoints\b", texts)


@needs_dot
def test_the_intake_is_drawn_customers_to_intake_to_store(drawn, plan_of):
    """customers' products -> the intake API -> the data zone's stores (issue 27): two edges in
    the intake's line style, from a customers node to the API node, and from it to the buckets."""
    assert any(r["type"] == diagram.INTAKE_API for r in plan_of("zurich-prod")["resources"])
    _, root = drawn
    style = dict(diagram.LEGEND)["sample intake: customers -> intake -> store"]
    nodes = {g.find(f"{SVG}title").text: " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
             for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    flow = {}
    for g in root.iter(f"{SVG}g"):
        path = g.find(f"{SVG}path")
        if g.get("class") != "edge" or path is None or path.get("stroke") != style["color"]:
            continue
        tail, head = g.find(f"{SVG}title").text.split("->")
        label = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
        if label.startswith(("1 ", "2 ")):
            flow[label[0]] = (nodes[tail], nodes[head], label)
    assert set(flow) == {"1", "2"}, flow
    assert "customers" in flow["1"][0] and "intake API" in flow["1"][1] and "mutual TLS" in flow["1"][2]
    assert flow["2"][0] == flow["1"][1] and "bucket" in flow["2"][1] and "samples/<sha256>" in flow["2"][2]
