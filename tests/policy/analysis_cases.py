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

    create_only = {"Sid": "DenyVerdictOverwrites", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:PutObject"],
                   "Resource": [f"{OBJECTS}/verdicts/*"],
                   "Condition": {"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}}}
    cases.append(Case("analysis-verdicts-rewritable", "analysis-cells-verdicts-only",
                      [store, store_policy(samples_fence(CELL), create_only)], [store, store_policy(samples_fence(CELL))],
                      extra=[cell_role()]))

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
    cases += ephemeral_cases() + job_cases()
    return cases


def ephemeral_cases() -> list[Case]:
    """analysis-cells-ephemeral: a cell's launch template, group and role."""
    def template(**override: Any) -> dict[str, Any]:
        inputs = {"name": "tc-dev-cell-europe", "instanceInitiatedShutdownBehavior": "terminate", "tags": {"zone": "analysis"},
                  "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}}
        return resource(D, "aws:ec2/launchTemplate:LaunchTemplate", "case-cell-template", {**inputs, **override})

    def group(**override: Any) -> dict[str, Any]:
        inputs = {"name": "tc-dev-cells-europe", "maxInstanceLifetime": 86_400,
                  "tags": [{"key": "zone", "value": "analysis", "propagateAtLaunch": True}]}
        return resource(D, "aws:autoscaling/group:Group", "case-cell-group", {**inputs, **override})

    options = {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}
    role = cell_role()
    ssm = resource(D, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "case-cell-ssm",
                   {"role": "tc-dev-cell-europe", "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"},
                   deps={"role": [role["urn"]]})
    return [
        Case("analysis-cell-hop-limit-2", "analysis-cells-ephemeral", [template()],
             [template(metadataOptions={**options, "httpPutResponseHopLimit": 2})]),
        Case("analysis-cell-imdsv1", "analysis-cells-ephemeral", [template()],
             [template(metadataOptions={**options, "httpTokens": "optional"})]),
        Case("analysis-cell-kept-on-shutdown", "analysis-cells-ephemeral", [template()],
             [template(instanceInitiatedShutdownBehavior="stop")]),
        Case("analysis-cell-key-pair", "analysis-cells-ephemeral", [template()], [template(keyName="operator")]),
        Case("analysis-cell-lives-for-ever", "analysis-cells-ephemeral", [group()], [group(maxInstanceLifetime=0)]),
        Case("analysis-cell-session-manager", "analysis-cells-ephemeral", [], [ssm], extra=[role]),
    ]


def job_cases() -> list[Case]:
    """analysis-jobs-cells-only: the job queue's policy and the zone's SQS endpoint."""
    queue_arn = f"arn:aws:sqs:eu-central-2:{ACCOUNT}:tc-dev-jobs-europe"
    queue = resource(D, "aws:sqs/queue:Queue", "case-jobs", {"name": "tc-dev-jobs-europe", "tags": {"zone": "analysis"}},
                     outputs={"arn": queue_arn, "id": f"https://sqs.eu-central-2.amazonaws.com/{ACCOUNT}/tc-dev-jobs-europe"})

    def queue_policy(*consumers: str) -> dict[str, Any]:
        deny = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Resource": [queue_arn],
                "Condition": {"Bool": {"aws:PrincipalIsAWSService": "false"}}}
        statements = [{**deny, "Sid": "DenySendingButSampleEvents", "Action": ["sqs:SendMessage"]},
                      {**deny, "Sid": "DenyJobsButCells",
                       "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"],
                       "Condition": {**deny["Condition"], "ArnNotEquals": {"aws:PrincipalArn": list(consumers)}}}]
        return resource(D, "aws:sqs/queuePolicy:QueuePolicy", "case-jobs-policy",
                        {"queueUrl": queue["outputs"]["id"], "policy": doc(*statements)}, deps={"queueUrl": [queue["urn"]]})

    def endpoint(*resources: str) -> dict[str, Any]:
        take = {"Sid": "TakeJobs", "Effect": "Allow", "Principal": {"AWS": "*"}, "Resource": list(resources),
                "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"]}
        return resource(D, "aws:ec2/vpcEndpoint:VpcEndpoint", "case-cell-sqs",
                        {"serviceName": "com.amazonaws.eu-central-2.sqs", "vpcEndpointType": "Interface",
                         "policy": doc(take), "tags": {"zone": "analysis"}})

    return [
        Case("analysis-jobs-another-consumer", "analysis-jobs-cells-only", [queue_policy(CELL)],
             [queue_policy(CELL, ANALYZE)], extra=[queue, cell_role()]),
        Case("analysis-jobs-endpoint-reaches-any-queue", "analysis-jobs-cells-only", [endpoint(queue_arn)],
             [endpoint("*")], extra=[queue, cell_role()]),
    ]


CASES = build_cases()
assert all(json.dumps(r) for c in CASES for r in c.passing + c.failing)
