"""The analysis cells (issue 28) as the dev and zurich-prod programs declare them: the zone, the
ephemeral hosts, the job queues and their pins, the endpoints' policies; and the config's refusals."""

from __future__ import annotations

import ipaddress
import json

import pytest

from components.layout import S3_GATEWAY, plan_network, zone_flows
from tests.helpers import expect_refused, problem_keys

STACKS = ("dev", "zurich-prod")
NS = "transparency-center"


@pytest.fixture(params=STACKS)
def run(request, declared):
    return declared(request.param)


def of(run, type_: str) -> list:
    return [r for r in run.by_type(type_) if "AnalysisCells" in r.urn]


def regions(run) -> list[str]:
    return sorted(run.outputs["dataStoreBuckets"])


# --- the zone ---------------------------------------------------------------------------------

def test_the_analysis_zone_flows_only_to_s3_and_inside_itself():
    plan = plan_network("10.42.0.0/16", ["euc2-az1", "euc2-az2"], {"lab": "10.42.128.0/20"}, analysis_cidr="")
    assert plan.zone("analysis").cidr == ipaddress.IPv4Network("10.42.240.0/20")  # the last free slot
    flows = {(f.source, f.destination, f.ports) for f in zone_flows(plan) if "analysis" in (f.source, f.destination)}
    assert flows == {("analysis", S3_GATEWAY, (443, 443)), ("analysis", "analysis", (443, 443))}
    assert "analysis" not in {zone.name for zone in plan_network("10.42.0.0/16", ["euc2-az1"], {}).zones}


def test_reviewer_zones_keep_their_slots_when_the_analysis_zone_comes():
    before = plan_network("10.50.0.0/16", ["euc2-az1"], {"a": None, "b": None})
    after = plan_network("10.50.0.0/16", ["euc2-az1"], {"a": None, "b": None}, analysis_cidr="")
    assert {z.name: z.cidr for z in before.zones}.items() <= {z.name: z.cidr for z in after.zones}.items()


def test_the_zone_nacl_admits_https_to_s3_and_the_zone_only(run):
    (nacl,) = [n for n in run.by_type("aws:ec2/networkAcl:NetworkAcl") if n.inputs["tags"]["zone"] == "analysis"]
    zone = ipaddress.IPv4Network(run.outputs["zoneCidrs"]["analysis"])
    supernet = ipaddress.IPv4Network(run.by_type("aws:ec2/vpc:Vpc")[0].inputs["cidrBlock"])
    for entry in nacl.inputs["egress"] + nacl.inputs["ingress"]:
        cidr = ipaddress.IPv4Network(entry["cidrBlock"])
        assert cidr == zone or not cidr.overlaps(supernet), entry  # the zone itself, or S3's public addresses
        assert entry["protocol"] == "tcp" and (entry["fromPort"], entry["toPort"]) in ((443, 443), (1024, 65535))


# --- the hosts --------------------------------------------------------------------------------

def test_cells_are_ephemeral_imdsv2_hop_1_and_unreachable(run, stack_values):
    analysis = stack_values(run.stack)[f"{NS}:analysis"]
    templates = {t.inputs["tags"]["customer-region"]: t for t in of(run, "aws:ec2/launchTemplate:LaunchTemplate")}
    groups = {g.name: g for g in of(run, "aws:autoscaling/group:Group")}
    assert sorted(templates) == regions(run) and len(groups) == len(templates)
    for template in templates.values():
        inputs = template.inputs
        assert inputs["instanceInitiatedShutdownBehavior"] == "terminate"
        assert inputs["metadataOptions"]["httpTokens"] == "required"
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert "keyName" not in inputs
        assert inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    for group in groups.values():
        inputs = group.inputs
        assert inputs["maxInstanceLifetime"] == analysis.get("maxLifetimeSeconds", 86400)
        assert inputs["minSize"] == inputs["maxSize"] == inputs["desiredCapacity"] == analysis.get("cellsPerRegion", 1)
        assert sorted(inputs["vpcZoneIdentifiers"]) == sorted(run.outputs["subnetIds"]["analysis"])
    (cells_sg,) = [g for g in of(run, "aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("cells-sg")]
    assert cells_sg.inputs["ingress"] == []


def test_cell_roles_have_no_session_manager_and_no_managed_policy(run):
    roles = {r.inputs["name"]: r for r in run.by_type("aws:iam/role:Role") if "-cell-" in r.inputs["name"]}
    assert sorted(roles) == sorted(f"tc-{run.stack}-cell-{r}" for r in regions(run))
    policies = [p for p in run.by_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] in roles]
    actions = {a for p in policies for s in json.loads(p.inputs["policy"])["Statement"] if s["Effect"] == "Allow"
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert not any(a.startswith(("ssm", "ec2messages", "ssmmessages")) for a in actions), actions
    assert not [a for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.inputs["role"] in roles]


# --- the job flow -----------------------------------------------------------------------------

def test_each_stores_samples_feed_its_regions_queue_and_only_its_cells_take_jobs(run):
    """S3 keeps one notification configuration per bucket: each store has exactly one, sending its
    events to EventBridge, where the region's rule passes `Object Created` under `samples/` to the
    region's job queue, which only that rule may send to and only the region's cells take from."""
    notifications = [r for r in run.by_type("aws:s3/bucketNotification:BucketNotification")]
    buckets = [n.inputs["bucket"] for n in notifications]
    stores = {region: bucket for region, bucket in run.outputs["dataStoreBuckets"].items()}
    for region, bucket in stores.items():
        (notification,) = [n for n in notifications if n.inputs["bucket"] == bucket]
        assert notification.inputs.get("eventbridge") is True, region
    assert len(buckets) == len(set(buckets)), "one notification configuration per bucket"
    rules = {r.inputs["name"].rsplit("-sample-events-", 1)[1]: r for r in of(run, "aws:cloudwatch/eventRule:EventRule")}
    targets = of(run, "aws:cloudwatch/eventTarget:EventTarget")
    queues = {q.inputs["name"]: q for q in of(run, "aws:sqs/queue:Queue")}
    job_policies = [p for p in of(run, "aws:sqs/queuePolicy:QueuePolicy") if "failed-jobs" not in p.name]
    assert sorted(rules) == regions(run) and len(targets) == len(job_policies) == len(regions(run))
    for region, rule in rules.items():
        assert json.loads(rule.inputs["eventPattern"]) == {
            "source": ["aws.s3"], "detail-type": ["Object Created"],  # S3's EventBridge events (S3 user guide)
            "detail": {"bucket": {"name": [stores[region]]}, "object": {"key": [{"prefix": "samples/"}]}}}
        queue = queues[f"tc-{run.stack}-jobs-{region}"]
        (target,) = [t for t in targets if t.inputs["rule"] == rule.inputs["name"]]
        assert target.inputs["arn"] == queue.outputs["arn"]
        (policy,) = [p for p in job_policies if p.inputs["queueUrl"] == queue.outputs["id"]]
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        send = statements["SampleEventsRuleSends"]
        assert send["Principal"] == {"Service": "events.amazonaws.com"}
        account = stores[region].split("-")[1]
        assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": f"arn:aws:events:eu-central-2:{account}:rule/"
                                                                      f"{rule.inputs['name']}"}}
        assert statements["DenyJobsButCells"]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == [
            run.outputs["analysisCellRoleArns"][region]]
        assert statements["DenySendingButSampleEvents"]["Effect"] == "Deny"
    assert all(q.inputs["sqsManagedSseEnabled"] for q in queues.values())


def test_a_job_that_fails_three_cells_goes_to_its_regions_failed_jobs_which_nobody_takes(run):
    """A sample that breaks every analyser must not launch cells for the queue's 14 days."""
    queues = {q.inputs["name"]: q for q in of(run, "aws:sqs/queue:Queue")}
    stack = run.stack
    for region in regions(run):
        jobs, failed = queues[f"tc-{stack}-jobs-{region}"], queues[f"tc-{stack}-failed-jobs-{region}"]
        redrive = json.loads(jobs.inputs["redrivePolicy"])
        assert redrive == {"deadLetterTargetArn": failed.outputs["arn"], "maxReceiveCount": 3}
        allow = json.loads(failed.inputs["redriveAllowPolicy"])
        account = run.outputs["dataStoreBuckets"][region].split("-")[1]  # tc-<account>-<stack>-data-<region>
        assert allow == {"redrivePermission": "byQueue",  # SQS's ARN format: region, account, queue name
                         "sourceQueueArns": [f"arn:aws:sqs:eu-central-2:{account}:{jobs.inputs['name']}"]}
        assert failed.inputs["messageRetentionSeconds"] == 1_209_600 and failed.inputs["sqsManagedSseEnabled"]
        (policy,) = [p for p in of(run, "aws:sqs/queuePolicy:QueuePolicy") if p.inputs["queueUrl"] == failed.outputs["id"]]
        statements = json.loads(policy.inputs["policy"])["Statement"]
        denied = {a for s in statements if s["Effect"] == "Deny" and "ArnNotEquals" not in s.get("Condition", {})
                  for a in s["Action"]}
        assert {"sqs:ReceiveMessage", "sqs:SendMessage", "sqs:DeleteMessage"} <= denied, "nobody, not even a cell"
        assert not [s for s in statements if s["Effect"] == "Allow"]


def test_the_zones_s3_endpoint_reads_samples_and_writes_verdicts_only(run):
    (endpoint,) = [e for e in of(run, "aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["serviceName"].endswith(".s3")]
    statements = json.loads(endpoint.inputs["policy"])["Statement"]
    assert {s["Sid"]: s["Action"] for s in statements} == {
        "ReadSamplesOfServedStores": ["s3:GetObject", "s3:GetObjectVersion"], "WriteVerdictsOfServedStores": ["s3:PutObject"]}
    for s in statements:
        prefix = "samples/" if s["Sid"].startswith("Read") else "verdicts/"
        assert sorted(s["Resource"]) == sorted(f"arn:aws:s3:::{b}/{prefix}*" for b in run.outputs["dataStoreBuckets"].values())


# --- config ---------------------------------------------------------------------------------

def test_prod_pins_the_analysis_cidr(declare_with, stack_values):
    values = stack_values("zurich-prod")
    del values[f"{NS}:analysis"]["cidr"]
    assert f"{NS}:analysis.cidr" in problem_keys(expect_refused(declare_with, values, "zurich-prod"))


def test_cross_region_service_names_existing_stores_only(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:analysis"]["alsoServes"] = {"europe": ["japan"]}
    regions_ = values[f"{NS}:dataStores"]["customerRegions"]
    if "japan" in regions_:
        pytest.skip("dev has a japan store")
    assert f"{NS}:analysis.alsoServes.europe" in problem_keys(expect_refused(declare_with, values))


def test_a_region_cannot_also_serve_itself(declare_with, stack_values):
    values = stack_values("dev")
    values[f"{NS}:analysis"]["alsoServes"] = {"europe": ["europe"]}
    assert any(k.startswith(f"{NS}:analysis.alsoServes") for k in problem_keys(expect_refused(declare_with, values)))
