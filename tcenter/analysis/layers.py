"""The layer model: which resources form each layer of the center's defence in depth, and
which assets the layers guard. The one home of both tables: `tcenter diff` judges every
widening with them (tcenter/analysis/widening.py), docs/review.md prints them, and
tests/review/test_layer_widenings.py generates its planted changes from them.

A change that widens any single layer toward an asset class is dangerous even when another
layer still blocks it: defence in depth holds only if each wall is guarded on its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping

ALL = ("*",)
"""Every property of the type forms the layer."""


@dataclass(frozen=True)
class LayerKind:
    name: str
    label: str
    family: str                                   # iam | network
    resources: Mapping[str, tuple[str, ...]]      # Pulumi type -> properties that form the layer
    role: str                                     # what the layer does in AWS's evaluation


LAYER_KINDS: tuple[LayerKind, ...] = (
    LayerKind("identity", "identity grant", "iam", {
        "aws:iam/rolePolicy:RolePolicy": ("policy", "role"),
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ALL,
        "aws:iam/policyAttachment:PolicyAttachment": ALL,
        "aws:iam/role:Role": ("inlinePolicies", "managedPolicyArns"),
        "aws:iam/policy:Policy": ("policy",),
    }, "grants: a role's own policies (an explicit Deny in them is a wall of its own)"),
    LayerKind("resource-policy", "resource policy", "iam", {
        "aws:s3/bucketPolicy:BucketPolicy": ("policy", "bucket"),
        "aws:dynamodb/resourcePolicy:ResourcePolicy": ("policy", "resourceArn"),
    }, "grants: a bucket's or table's policy naming the principal"),
    LayerKind("key-policy", "key policy", "iam", {
        "aws:kms/key:Key": ("policy",),
        "aws:kms/keyPolicy:KeyPolicy": ALL,
    }, "grants, and must allow every use of the key (directly, or by leaving it to IAM)"),
    LayerKind("grant", "KMS grant", "iam", {
        "aws:kms/grant:Grant": ALL,
    }, "grants: a key's operations to a grantee"),
    LayerKind("permissions-boundary", "permissions boundary", "iam", {
        "aws:iam/role:Role": ("permissionsBoundary",),
        "aws:iam/policy:Policy": ("policy",),
    }, "caps what a role's identity policies (and policies naming its ARN) can grant"),
    LayerKind("scp", "service control policy", "iam", {
        "aws:organizations/policy:Policy": ("content", "type"),
        "aws:organizations/policyAttachment:PolicyAttachment": ALL,
    }, "caps every role of the account (Deny-only: FullAWSAccess stays attached)"),
    LayerKind("endpoint-policy", "VPC endpoint policy", "iam", {
        "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy",),
        "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": ALL,
    }, "caps what passes through the center's VPC endpoints"),
    LayerKind("security-group", "security group", "network", {
        "aws:ec2/securityGroup:SecurityGroup": ("ingress", "egress", "tags"),
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ingress", "egress"),
        "aws:ec2/securityGroupRule:SecurityGroupRule": ALL,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ALL,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ALL,
        "aws:ec2/instance:Instance": ("vpcSecurityGroupIds",),
        "aws:ec2/networkInterface:NetworkInterface": ("securityGroups",),
    }, "stateful: the destination's groups admit, the source's groups let out"),
    LayerKind("nacl", "network ACL", "network", {
        "aws:ec2/networkAcl:NetworkAcl": ("ingress", "egress", "subnetIds"),
        "aws:ec2/networkAclRule:NetworkAclRule": ALL,
        "aws:ec2/networkAclAssociation:NetworkAclAssociation": ALL,
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": ("ingress", "egress"),
    }, "stateless, per subnet: egress and ingress both ways, replies included"),
    LayerKind("route", "route", "network", {
        "aws:ec2/routeTable:RouteTable": ("routes",),
        "aws:ec2/route:Route": ALL,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": ALL,
        "aws:ec2/defaultRouteTable:DefaultRouteTable": ("routes",),
        "aws:ec2/vpcEndpoint:VpcEndpoint": ("routeTableIds",),
        "aws:ec2/subnet:Subnet": ("mapPublicIpOnLaunch",),
        "aws:ec2/instance:Instance": ("associatePublicIpAddress",),
    }, "where a zone's packets can go at all: gateways, the S3 gateway endpoint, public addresses"),
)
LAYERS: dict[str, LayerKind] = {layer.name: layer for layer in LAYER_KINDS}


@dataclass(frozen=True)
class AssetClass:
    name: str
    label: str
    access: Mapping[str, tuple[str, ...]]
    """Asset kind (tcenter.analysis.access: bucket, table, key, signing-key, signing-cluster,
    log-group; `*` any) -> the access classes that count toward this asset class."""
    zones: tuple[str, ...] = ()
    """Network zones (the subnets' `zone` tag) holding it: network layers guard paths to and from them."""
    customer_data: bool | None = None
    """Only assets access marks as customer data (True), only others (False), or any (None)."""
    name_marks: tuple[str, ...] = ()
    """Or: assets whose name holds one of these (the audit stores, the update repositories)."""


ASSET_CLASSES: tuple[AssetClass, ...] = (
    AssetClass("customer-data", "customer data", {"*": ("read", "write", "delete", "decrypt")},
               zones=("data",), customer_data=True),
    AssetClass("signing", "signing", {"key": ("sign",), "signing-key": ("sign", "administer", "delete"),
                                      "signing-cluster": ("administer", "delete")}, zones=("signing",)),
    AssetClass("audit-evidence", "audit evidence", {"log-group": ("write", "delete", "administer"),
                                                    "bucket": ("write", "delete", "administer"),
                                                    "key": ("delete", "administer")}, name_marks=("-audit-",)),
    AssetClass("update-repositories", "update repositories", {"bucket": ("write", "delete")},
               name_marks=("-distribution-",)),
    AssetClass("key-administration", "key administration", {"key": ("administer", "delete")}),
    AssetClass("zone-paths", "a new path between zones", {}, zones=("*",)),
)
"""In order: an (asset, access class) belongs to the first class that claims it."""
ASSETS: dict[str, AssetClass] = {asset.name: asset for asset in ASSET_CLASSES}

NOT_GUARDED: dict[tuple[str, str], str] = {
    **{(cls, layer.name): "IAM layers decide what a principal may do once connected; which packets flow between "
                          "zones is decided by security groups, NACLs and routes"
       for cls in ("zone-paths",) for layer in LAYER_KINDS if layer.family == "iam"},
    **{(cls, layer.name): "it lives outside the VPC's zones (S3, CloudWatch Logs, KMS), reached only through AWS "
                          "APIs, which the IAM layers guard"
       for cls in ("audit-evidence", "update-repositories", "key-administration")
       for layer in LAYER_KINDS if layer.family == "network"},
    **{("update-repositories", layer): "the repositories' files are public by design and their key only encrypts them "
                                       "at rest: TUF signatures protect them, so who writes is the bucket policy's to "
                                       "decide, and the online keys count as signing"
       for layer in ("key-policy", "grant")},
    ("signing", "resource-policy"): "signing keys are KMS keys (their resource policy is the key policy) or "
                                    "CloudHSM, which has no resource policy",
    ("key-administration", "resource-policy"): "a key's resource policy is its key policy (layer key-policy)",
}
"""(asset class, layer kind) pairs where the layer kind cannot guard the class, and why."""


def guarded_pairs() -> list[tuple[str, str]]:
    """Every (asset class, layer kind) where a layer of that kind guards the class."""
    return [(a.name, layer.name) for a in ASSET_CLASSES for layer in LAYER_KINDS if (a.name, layer.name) not in NOT_GUARDED]


@functools.lru_cache(maxsize=4096)
def asset_class_of(kind: str, name: str, customer_data: bool, access_class: str) -> str | None:
    """The asset class an access class on an asset counts toward (None: not a guarded asset)."""
    for asset in ASSET_CLASSES:
        classes = asset.access.get(kind, asset.access.get("*", ()))
        if access_class not in classes:
            continue
        if asset.customer_data is not None and asset.customer_data != customer_data:
            continue
        if asset.name_marks and kind != "log-group" and not any(m in name for m in asset.name_marks):
            continue
        return asset.name
    return None


def zone_class(*zones: str) -> str:
    """The asset class a network path counts toward: the class holding the first of ZONES that
    any class holds (pass the destination first: customer data, signing), else a path between zones."""
    for zone in zones:
        for asset in ASSET_CLASSES:
            if zone in asset.zones and "*" not in asset.zones:
                return asset.name
    return "zone-paths"


def layers_of(type_: str, prop: str | None = None) -> list[str]:
    """The layer kinds a resource type (and property of it) belongs to."""
    return [layer.name for layer in LAYER_KINDS
            if type_ in layer.resources and (prop is None or layer.resources[type_] == ALL or prop in layer.resources[type_])]


def label(layer: str) -> str:
    return LAYERS[layer].label if layer in LAYERS else layer
