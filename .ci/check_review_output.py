"""What a new user must find after the README's first command: the plan, the reachability
table and a complete diagram (legend, access edges, the build -> sign -> release flow, icons
inlined: no link into this machine's files). Standard library only.

    python3 .ci/check_review_output.py out/dev
"""

import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
RELEASE_FLOW = {"1 build: artifacts", "2 sign", "3 release"}
ACCESS_COLOUR = "darkorange"


def _numbers(d: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d or "")]


def _box(cluster) -> tuple[float, float, float, float]:
    values = _numbers(cluster.find(f"{SVG}path").get("d")) if cluster.find(f"{SVG}path") is not None else []
    xs, ys = values[0::2] or [0.0], values[1::2] or [0.0]
    return min(xs), min(ys), max(xs), max(ys)


def _inside(point: list[float], box: tuple[float, float, float, float]) -> bool:
    return len(point) == 2 and box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def problems(out: Path) -> list[str]:
    found: list[str] = []
    try:
        plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
        if not plan.get("resources"):
            found.append(f"{out}/plan.json declares no resources")
    except (OSError, ValueError) as error:
        found.append(f"{out}/plan.json: {error}")
    try:
        reach = json.loads((out / "reach.json").read_text(encoding="utf-8"))
        if not reach:
            found.append(f"{out}/reach.json is empty")
    except (OSError, ValueError) as error:
        found.append(f"{out}/reach.json: {error}")
    png = out / "architecture.png"
    if not png.is_file() or png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        found.append(f"{png} is missing or not a PNG")
    else:
        width, height = struct.unpack(">II", png.read_bytes()[16:24])
        if width < 200 or height < 200:
            found.append(f"{png} is only {width}x{height}")
    try:
        root = ET.parse(out / "architecture.svg").getroot()
    except (OSError, ET.ParseError) as error:
        return found + [f"{out}/architecture.svg: {error}"]
    hrefs = [image.get(XLINK_HREF) or "" for image in root.iter(f"{SVG}image")]
    if not hrefs:
        found.append("the diagram has no icons")
    linked = [h for h in hrefs if not h.startswith("data:")]
    if linked:
        found.append(f"the diagram links {len(linked)} files instead of inlining them, e.g. {linked[0]}")
    clusters = {g.find(f"{SVG}title").text: _box(g) for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"}
    legend = clusters.get("cluster_legend")
    if legend is None:
        found.append("the diagram has no legend")
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    edge_labels = {" ".join(t.text or "" for t in g.iter(f"{SVG}text")) for g in edges}
    if not RELEASE_FLOW <= edge_labels:
        found.append(f"the diagram lacks the release flow {sorted(RELEASE_FLOW - edge_labels)}")
    access = [g for g in edges if g.find(f"{SVG}path") is not None
              and g.find(f"{SVG}path").get("stroke") == ACCESS_COLOUR
              and not (legend and _inside(_numbers(g.find(f"{SVG}path").get("d"))[:2], legend))]
    if not access:
        found.append("the diagram draws no access edges (outside its legend)")
    return found


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: check_review_output.py OUT_DIR", file=sys.stderr)
        return 64
    found = problems(Path(sys.argv[1]))
    for problem in found:
        print(f"README's first command: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
