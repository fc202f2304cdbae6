"""Layer by layer: what a change widens toward the center's guarded assets, and what still blocks it.

Each layer of tcenter.analysis.layers is evaluated alone on both plans, with the evaluators
`access` and `reach` use for effective access and reachability (`access.Walls`,
`reach.path_walls`). A layer that newly lets through a guarded (principal, asset, access
class), or new ports on a path to, from or between zones, is widened; an explicit Deny that
no longer holds is a wall removed. When another layer still blocks, the danger says which
("still blocked by ..."): dangerous all the same, since the next change may remove that wall.
When nothing blocks any more, effective access or reachability changed: those dangers name
the layer that opened.

Only what a change can reach is evaluated: the roles and assets whose policies changed
(all of them when an SCP or endpoint policy changed), the paths when a network layer changed.
Nothing of this runs for a change that touches no layer (a tag).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import iamdoc
from ..core.planview import resource_key, same
from . import access, layers, reach
from .danger import Danger, blocked_text, removed_denies

ASSET_TYPES = ("aws:s3/bucket:Bucket", "aws:dynamodb/table:Table", "aws:kms/key:Key",
               "aws:cloudhsmv2/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup")
IAM_TYPES = frozenset({t for kind in layers.LAYER_KINDS if kind.family == "iam" for t in kind.resources} | set(ASSET_TYPES))
NETWORK_TYPES = frozenset({t for kind in layers.LAYER_KINDS if kind.family == "network" for t in kind.resources}
                          | {"aws:ec2/subnet:Subnet", "aws:cloudhsmv2/hsm:Hsm", "aws:cloudhsmv2/cluster:Cluster"})
IGNORED_INPUTS = ("tags", "tagsAll")
"""Inputs neither evaluator reads (a tag change reaches no layer); `zone` tags of network
resources are read by reach, so network resources compare whole."""


def _inputs(resource: dict[str, Any] | None, network: bool) -> dict[str, Any] | None:
    if resource is None:
        return None
    inputs = resource.get("inputs", {})
    return inputs if network else {k: v for k, v in inputs.items() if k not in IGNORED_INPUTS}


def changed(base: dict[str, Any], head: dict[str, Any], types: frozenset) -> list[tuple[dict | None, dict | None]]:
    """(base, head) of every resource of TYPES whose inputs differ (None: absent on that side)."""
    old = {resource_key(r["urn"]): r for r in base.get("resources", []) if r["type"] in types}
    new = {resource_key(r["urn"]): r for r in head.get("resources", []) if r["type"] in types}
    network = types is NETWORK_TYPES
    return [(old.get(k), new.get(k)) for k in sorted(set(old) | set(new))
            if old.get(k) is None or new.get(k) is None or not same(_inputs(old[k], network), _inputs(new[k], network))]


def _layers_changed(pairs: list[tuple[dict | None, dict | None]]) -> set[str]:
    found: set[str] = set()
    for b, h in pairs:
        either = h or b
        props = set((b or {}).get("inputs", {})) | set((h or {}).get("inputs", {}))
        if b is None or h is None:
            found.update(layers.layers_of(either["type"]))
            continue
        for prop in props:
            if not same(b["inputs"].get(prop), h["inputs"].get(prop)):
                found.update(layers.layers_of(either["type"], prop))
    return found


@dataclass
class Scope:
    """The (principal, asset) pairs a change can reach: roles whose own policies changed, assets
    whose own policies changed; None means all (an SCP, an endpoint policy)."""
    roles: set[str] | None
    assets: set[str] | None
    layers: set[str]

    def covers(self, principal: access.Principal, asset: access.Asset) -> bool:
        if self.roles is None or self.assets is None:
            return True
        return access.principal_name(principal.key) in self.roles or asset.resource in self.assets


def _index(*plans: dict[str, Any]) -> dict[str, dict[str, set[str]]]:
    """Names that point at roles and assets, from both plans: bucket names, table and key ARNs
    and ids, managed policy ARNs (-> the roles attaching them or bounded by them)."""
    out: dict[str, dict[str, set[str]]] = {"asset": {}, "policy": {}}
    for plan in plans:
        for r in plan.get("resources", []):
            i, o, t = r.get("inputs", {}), r.get("outputs", {}), r["type"]
            if t in ASSET_TYPES:
                for alias in (i.get("bucket"), o.get("arn"), o.get("keyId"), o.get("id")):
                    if alias:
                        out["asset"].setdefault(str(alias), set()).add(r["name"])
            if t == "aws:iam/role:Role" and i.get("permissionsBoundary"):
                out["policy"].setdefault(i["permissionsBoundary"], set()).add(i.get("name") or r["name"])
            if t == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
                out["policy"].setdefault(i.get("policyArn", ""), set()).add(i.get("role", ""))
            if t == "aws:iam/policyAttachment:PolicyAttachment":
                out["policy"].setdefault(i.get("policyArn", ""), set()).update(map(str, i.get("roles") or []))
    return out


def _reaches(resource: dict[str, Any], index: dict[str, dict[str, set[str]]]) -> tuple[set[str] | None, set[str] | None]:
    """(roles, assets) one changed resource can reach; (None, None) when it reaches everyone."""
    i, t = resource.get("inputs", {}), resource["type"]
    if t == "aws:iam/role:Role":
        return {i.get("name") or resource["name"]}, set()
    if t in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        return {str(i.get("role", ""))}, set()
    if t == "aws:iam/policyAttachment:PolicyAttachment":
        return set(map(str, i.get("roles") or [])), set()
    if t == "aws:iam/policy:Policy":
        return set(index["policy"].get(str(resource.get("outputs", {}).get("arn", "")), set())), set()
    if t in ASSET_TYPES:
        return set(), {resource["name"]}
    for key in ("bucket", "resourceArn", "keyId"):  # bucket/table policies, key policies, grants
        if key in i:
            return set(), set(index["asset"].get(str(i[key]), set()))
    return None, None


def iam_scope(base: dict[str, Any], head: dict[str, Any]) -> Scope | None:
    """What the IAM evaluation must look at for this change; None when no IAM layer changed."""
    pairs = changed(base, head, IAM_TYPES)
    if not pairs:
        return None
    index = _index(base, head)
    scope = Scope(set(), set(), _layers_changed(pairs))
    for b, h in pairs:
        for resource in (b, h):
            if resource is None:
                continue
            roles, assets = _reaches(resource, index)
            if roles is None or assets is None:
                return Scope(None, None, scope.layers)
            scope.roles |= roles  # type: ignore[operator]
            scope.assets |= assets  # type: ignore[operator]
    return scope


def effective_access_danger(asset: access.Asset, cls: str) -> bool:
    """The access danger (effective access, every layer combined) as it has always been: customer data
    newly read, decrypted or deleted, or anything newly signed. Other guarded asset classes are
    judged layer by layer (class `layer`, with "nothing else blocks it" when effective)."""
    return (asset.customer_data and cls in ("read", "decrypt", "delete")) or cls == "sign"


def _guarded(asset: access.Asset) -> list[tuple[str, str]]:
    """(access class, asset class) of an asset that count toward a guarded asset class."""
    return [(cls, found) for cls in access.CLASSES
            if (found := layers.asset_class_of(asset.kind, asset.name, asset.customer_data, cls))]


@dataclass
class IamFindings:
    dangers: list[Danger]
    opened: dict[tuple[str, str, str], tuple[set[str], list[str]]]
    """(principal, asset, access class) whose effective access changed -> the layers that widened,
    and what still blocks when it is only conditional."""


def _by_name(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in plan.get("resources", []):
        out.setdefault(r["name"], r)
    return out


def iam_findings(base: dict[str, Any], head: dict[str, Any]) -> IamFindings:
    """Effective access newly granted (class `access`), each IAM layer widened while another layer
    still blocks (class `layer`), and Deny statements removed (class `deny-removed`) with what
    still blocks what they denied."""
    scope = iam_scope(base, head)
    removals = removed_denies({resource_key(r["urn"]): r for r in base.get("resources", [])},
                              {resource_key(r["urn"]): r for r in head.get("resources", [])})
    if scope is None and not removals:
        return IamFindings([], {})
    scope = scope or Scope(set(), set(), set())
    mb = access.collect_model(base) if base.get("resources") else access.Model({}, [], "")
    mh = access.collect_model(head)
    named = _by_name(head)
    opened: dict[tuple[str, str, str], tuple[set[str], list[str]]] = {}
    grouped: dict[tuple, list[str]] = {}
    old_assets = {a.name: a for a in mb.assets}
    for key, p_h in mh.principals.items():
        p_b = mb.principals.get(key)
        if p_h.via or p_b is None:
            continue
        for a_h in mh.assets:
            a_b = old_assets.get(a_h.name)
            guarded = _guarded(a_h)
            if a_b is None or not guarded or not scope.covers(p_h, a_h):
                continue
            _widen_pair(mb, mh, p_b, p_h, a_b, a_h, guarded, scope.layers, opened, grouped)
    dangers = []
    for (layer, who, cls, asset_class, source, blockers, effective), assets in grouped.items():
        resource = named.get(source.rsplit(" in ", 1)[-1], {})
        dangers.append(Danger(
            "layer", f"{layers.label(layer)} widened toward {layers.ASSETS[asset_class].label}: {source} lets {who} "
                     f"{cls} {', '.join(assets)}" + (blocked_text(blockers) or "; nothing else blocks it"),
            resource.get("urn", ""), resource.get("type", ""), layer, asset_class, blockers, effective))
    dangers += _deny_removals(removals, mb, mh, _index(base, head))
    return IamFindings(_access_dangers(base, head, mb, mh, scope, opened) + dangers, opened)


def _access_dangers(base, head, mb: access.Model, mh: access.Model, scope: Scope,
                    opened: dict[tuple[str, str, str], set[str]]) -> list[Danger]:
    """Effective access newly granted on a guarded asset (every layer combined), for the pairs the
    change can reach (the others are the same on both sides by construction)."""
    if not head.get("resources") or not (scope.roles is None or scope.roles or scope.assets):
        return []
    before = access.effective_access(base, mb, scope.covers) if base.get("resources") else {"principals": {}, "assets": {}}
    after = access.effective_access(head, mh, scope.covers)
    assets = {a.name: a for a in mh.assets}
    named = _by_name(head)
    out = []
    for key, entry in after["principals"].items():
        old = before["principals"].get(key, {}).get("access", {})
        who = access.principal_name(key)
        for name, row in entry["access"].items():
            asset = assets[name]
            for cls, text in row.items():
                asset_class = layers.asset_class_of(asset.kind, name, asset.customer_data, cls)
                was = old.get(name, {}).get(cls)
                bucket = name.split("/")[0]  # a prefix fenced apart (access.fenced_prefixes): said once, with its bucket,
                if bucket != name and (entry["access"].get(bucket, {}).get(cls), old.get(bucket, {}).get(cls)) == (text, was):
                    continue  # unless it changes otherwise
                if asset_class and effective_access_danger(asset, cls) and was != text and (was is None or text == "yes"):
                    resource = named.get(name, {})
                    opened_by, blockers = opened.get((access.principal_name(entry["via"] or key), name, cls), (set(), []))
                    out.append(Danger("access", f"{who} can newly {cls} {name} ({text})", resource.get("urn", ""),
                                      resource.get("type", ""), ", ".join(sorted(opened_by)), asset_class,
                                      tuple(blockers), text))
    return out


def _widen_pair(mb, mh, p_b, p_h, a_b, a_h, guarded, changed_layers, opened, grouped) -> None:
    wb, wh = access.walls(mb, p_b, a_b), access.walls(mh, p_h, a_h)
    present = [layer for layer in wh.layers() if layer in changed_layers]
    if not present:
        return
    candidates = access.covered_actions([s for layer in present for s in wh.layer_statements(layer)], a_h.service)
    classes = access.class_actions(a_h.service)
    who = access.principal_name(p_h.key)
    for cls, asset_class in guarded:
        actions = [a for a in classes.get(cls, ()) if a in candidates]
        if not actions:
            continue
        for layer in present:
            before = access.NEVER
            after = access.NEVER
            first = None
            for action in actions:
                now, then = wh.layer_allows(layer, action), wb.layer_allows(layer, action)
                after |= now
                before |= then
                if first is None and access.render_clauses(now) != access.render_clauses(then) and now:
                    first = action
            old, new = access.render_clauses(before), access.render_clauses(after)
            if first is None or old == new or not (old == "" or new == "yes"):
                continue
            effective = access.NEVER
            for action in actions:
                effective |= wh.effective(action)
            effective_text = access.render_clauses(effective)
            blockers = tuple(wh.blockers(first)) if effective_text != "yes" else ()
            if effective_access_danger(a_h, cls):
                was = access.NEVER
                for action in actions:
                    was |= wb.effective(action)
                was_text = access.render_clauses(was)
                if was_text != effective_text and (was_text == "" or effective_text == "yes"):
                    entry = opened.setdefault((who, a_h.name, cls), (set(), []))  # the access danger says it
                    entry[0].add(layer)
                    entry[1].extend(b for b in blockers if b not in entry[1])
                    continue
            base_statements = set(wb.layer_statements(layer))
            source = next((s.named() for s in wh.layer_statements(layer)
                           if s not in base_statements and any(s.covers(first, r, partly=True) for r in a_h.arns)),
                          f"the {layers.label(layer)}")
            grouped.setdefault((layer, who, cls, asset_class, source, blockers, effective_text or "no"), []).append(a_h.name)


def _deny_removals(removals: list[tuple[dict, str, dict]], mb: access.Model, mh: access.Model,
                   index: dict[str, dict[str, set[str]]]) -> list[Danger]:
    """A Deny statement gone: its layer, and for what it denied (guarded assets only) the walls that
    still block, or who it no longer stops. Only the pairs its resource reaches are looked at."""
    out = []
    assets_h = {a.name: a for a in mh.assets}
    for resource, prop, raw in removals:
        reach_roles, reach_assets = _reaches(resource, index)
        reached = Scope(reach_roles, reach_assets, set())
        sid = raw.get("Sid") or "(no Sid)"
        own_sid = raw.get("Sid") or f"statement {iamdoc.statements(resource['inputs'].get(prop)).index(raw)}"
        kinds = layers.layers_of(resource["type"], prop)
        if resource["type"] == "aws:iam/policy:Policy":
            bounded = any(p.boundary_name == resource["name"] for p in mb.principals.values())
            kinds = ["permissions-boundary" if bounded else "identity"]
        walls_left: list[str] = []
        ungranted, opened = 0, []
        for key, p_b in mb.principals.items() if prop != "assumeRolePolicy" else ():
            p_h = mh.principals.get(key)
            if p_b.via or p_h is None:
                continue
            for a_b in mb.assets:
                a_h = assets_h.get(a_b.name)
                guarded = _guarded(a_b)
                if a_h is None or not guarded or not reached.covers(p_b, a_b):
                    continue
                wb = access.walls(mb, p_b, a_b)
                denies = [s for _, s in wb.denies] + [s for policy in wb.endpoints or [] for s in policy if s.effect == "Deny"]
                gone = [s for s in denies if s.source == resource["name"]
                        and s.sid == own_sid and not s.deny_decided]
                wh = None
                for cls, _ in guarded if gone else ():
                    action = next((a for a in access.class_actions(a_b.service).get(cls, ())
                                   if any(s.covers(a, r) for s in gone for r in a_b.arns)), None)
                    if action is None:
                        continue
                    wh = wh or access.walls(mh, p_h, a_h)
                    if access.render_clauses(wh.effective(action)) == "yes":
                        opened.append(f"{access.principal_name(key)} {cls} {a_b.name}")
                        continue
                    named = [b for b in wh.blockers(action) if not b.startswith("no ")]
                    walls_left += [b for b in named if b not in walls_left]
                    ungranted += not named
        blockers = tuple(walls_left[:6]) + ((f"no policy grants it ({ungranted} principal-asset pairs it stopped)",)
                                            if ungranted else ())
        sentence = f"{resource['name']}: Deny statement {sid} removed or changed"
        if opened:
            sentence += f"; nothing else blocks {'; '.join(opened[:3])}" + (f" and {len(opened) - 3} more" if len(opened) > 3 else "")
        out.append(Danger("deny-removed", sentence + blocked_text(blockers), resource["urn"], resource["type"],
                          ", ".join(kinds), "", blockers))
    return out


def _direction(wall: reach.Wall) -> str:
    """A wall's direction without its peer, to group the zones it widened toward."""
    if wall.side == "path":
        return wall.detail
    return ("ingress" if wall.side == "destination" else "egress") + (" and replies" if wall.layer == "nacl" else "")


@dataclass
class NetworkFindings:
    dangers: list[Danger]
    opened: dict[tuple[str, str], set[str]]
    """(source, destination) -> the layers that widened and now let new ports through."""


def network_findings(base: dict[str, Any], head: dict[str, Any]) -> NetworkFindings:
    """Each network layer (security groups, NACLs, routes) on each path, alone on both plans. One
    danger per widened wall and new ports, listing the zones at its other end."""
    pairs = changed(base, head, NETWORK_TYPES)
    if not pairs or not base.get("resources") or not head.get("resources"):
        return NetworkFindings([], {})
    changed_layers = _layers_changed(pairs)
    changed_names = {r["name"]: r for b, h in pairs for r in (h, b) if r is not None}
    nb, nh = reach.build_network(base), reach.build_network(head)
    old_paths = set(reach.paths(nb))
    opened: dict[tuple[str, str], set[str]] = {}
    grouped: dict[tuple, tuple[list[str], list[str]]] = {}
    for src, dst in reach.paths(nh):
        if (src, dst) not in old_paths:
            continue
        before = {(w.layer, w.side): w for w in reach.path_walls(nb, src, dst)}
        walls = reach.path_walls(nh, src, dst)
        for wall in walls:
            if wall.layer not in changed_layers:
                continue
            was = before.get((wall.layer, wall.side))
            new = wall.ports - (was.ports if was else reach.EVERY_PORT)
            if not new:
                continue
            through = new
            for other in walls:
                through &= other.ports
            if through:
                opened.setdefault((src, dst), set()).add(wall.layer)
                continue
            names = wall.names
            if wall.parts:  # name the groups that widened, not every group of the zone
                grown = [name for name, ports in wall.parts if ports - dict(was.parts if was else ()).get(name, reach.NO_PORTS)]
                names = tuple(grown) or wall.names
            anchor, peer = (dst, src) if wall.side == "destination" else (src, dst)
            detail = _direction(wall)
            asset_class = layers.zone_class(*(z for z in (dst, src) if z not in (reach.INTERNET, reach.S3)))
            key = (wall.layer, wall.side, names, detail, anchor, str(new), asset_class)
            peers, blockers = grouped.setdefault(key, ([], []))
            peers.append(peer)
            blockers += [b for b in (f"{', '.join(o.names)} ({_direction(o)})" for o in walls
                                     if o is not wall and (o.ports & new) != new) if b not in blockers]
    dangers = []
    for (layer, side, names, detail, anchor, ports, asset_class), (peers, blockers) in grouped.items():
        resource = next((changed_names[n] for n in names if n in changed_names),
                        next((r for r in changed_names.values() if layer in layers.layers_of(r["type"])), {}))
        if side == "path":
            what, path = f"{', '.join(names)} ({detail})", f"{anchor} -> {', '.join(peers)}"
        elif side == "destination":
            what, path = f"{', '.join(names)} ({detail})", f"{', '.join(peers)} -> {anchor}"
        else:
            what, path = f"{', '.join(names)} ({detail})", f"{anchor} -> {', '.join(peers)}"
        dangers.append(Danger(
            "layer", f"{layers.label(layer)} widened toward {layers.ASSETS[asset_class].label}: {what} now lets "
                     f"{path} through on {ports}{blocked_text(tuple(blockers))}",
            resource.get("urn", ""), resource.get("type", ""), layer, asset_class, tuple(blockers), "-"))
    return NetworkFindings(dangers, opened)
