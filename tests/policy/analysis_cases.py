"""Cases of the analysis cells' rules (issue 28), built on the helpers of cases.py."""

from __future__ import annotations

import json
from typing import Any

from .cases import ACCOUNT, Case, _bucket, _role, _role_policy, doc, resource

D = "dev"
STORE = "tc-1-dev-data-europe"
OBJECTS = f"arn:aws:s3:::{STORE}"
CELL = f"arn:aws:iam::{ACCOUNT}:role/tc-dev-cell-europe"
ANALYZE = f"arn:aws:iam::{ACCOUNT}:role/tc-dev-data-europe-analyze"


def cell_role() -> dict[str, Any]:
    return _role(D, "tc-dev-cell-europe", tags={"zone": "analysis", "customer-region": "europe"})


def samples_fence(*readers: str) -> dict[str, Any]:
    return {"Sid": "DenySampleReadsButCells", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:GetObject*"],
            "Resource": [f"{OBJECTS}/samples/*"],
            "Condition": {"Bool": {"aws:PrincipalIsAWSService": "false"},
                          "ArnNotEquals": {"aws:PrincipalArn": list(readers)}}}


def build_cases() -> list[Case]:
    cases: list[Case] = []
    store = _bucket(D, STORE, tags={"customer-region": "europe"})

    def store_policy(*statements: dict[str, Any]) -> dict[str, Any]:
        return resource(D, "aws:s3/bucketPolicy:BucketPolicy", "case-store-policy",
                        {"bucket": STORE, "policy": doc(*statements)}, deps={"bucket": [store["urn"]]})

    cases.append(Case("analysis-samples-another-reader", "analysis-samples-cells-only",
                      [store, store_policy(samples_fence(CELL))], [store, store_policy(samples_fence(CELL, ANALYZE))],
                      extra=[cell_role()]))
    cases.append(Case("analysis-samples-unfenced", "analysis-samples-cells-only",
                      [store, store_policy(samples_fence(CELL))], [store, store_policy()], extra=[cell_role()]))

    role = cell_role()
    verdicts = {"Sid": "WriteVerdicts", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{OBJECTS}/verdicts/*"]}
    anywhere = {**verdicts, "Resource": [f"{OBJECTS}/*"]}
    cases.append(Case("analysis-cell-writes-outside-verdicts", "analysis-cells-verdicts-only",
                      [_role_policy(D, role, "analyze-samples", verdicts)],
                      [_role_policy(D, role, "analyze-samples", anywhere)], extra=[role]))
    samples = {"Sid": "ReadSamples", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{OBJECTS}/samples/*"]}
    cases.append(Case("analysis-cell-reads-outside-samples", "analysis-cells-verdicts-only",
                      [_role_policy(D, role, "analyze-samples", samples)],
                      [_role_policy(D, role, "analyze-samples", {**samples, "Resource": ["arn:aws:s3:::*/*"]})],
                      extra=[role]))

    def table(*routes: dict[str, Any]) -> dict[str, Any]:
        return resource(D, "aws:ec2/routeTable:RouteTable", "case-analysis-rt",
                        {"vpcId": "vpc-case", "routes": list(routes), "tags": {"zone": "analysis"}},
                        outputs={"id": "rtb-analysis"})

    cases.append(Case("analysis-zone-routed", "analysis-zone-isolated",
                      [table()], [table({"cidrBlock": "10.40.0.0/20", "vpcPeeringConnectionId": "pcx-1"})]))

    def nacl(cidr: str) -> dict[str, Any]:
        entry = {"ruleNo": 100, "action": "allow", "protocol": "tcp", "cidrBlock": cidr, "fromPort": 443, "toPort": 443}
        return resource(D, "aws:ec2/networkAcl:NetworkAcl", "case-analysis-nacl",
                        {"vpcId": "vpc-case", "egress": [entry], "ingress": [], "tags": {"zone": "analysis"}})

    other_subnet = resource(D, "aws:ec2/subnet:Subnet", "case-build-subnet",
                            {"vpcId": "vpc-case", "cidrBlock": "10.40.16.0/22", "tags": {"zone": "build"}},
                            outputs={"id": "subnet-build"})
    cases.append(Case("analysis-zone-reaches-another-zone", "analysis-zone-isolated",
                      [nacl("52.95.0.0/16")], [nacl("10.40.16.0/20")], extra=[table(), other_subnet]))
    return cases


CASES = build_cases()
assert all(json.dumps(r) for c in CASES for r in c.passing + c.failing)
