"""What AWS creates itself is never an extra, and only because the table says so: on a clean
account (moto makes the default VPC and its pieces, the VPCs' default groups, NACLs and main
route tables, the service-linked role, the endpoints' interfaces), every exemption the readers
mark is a row of coverage.AWS_CREATED, and without the exemptions the same resources are
reported as extras."""

from __future__ import annotations

from typing import Any

from tcenter.live import compare, coverage
from tcenter.live.attest import run
from tcenter.live.report import Report
from tests.attest.conftest import recorded_session
from tests.attest.provision import Provisioner


def test_exemptions_are_the_tables_and_they_are_what_keeps_aws_resources_out(deployed: Provisioner,
                                                                               dev_plan: dict[str, Any]) -> None:
    report, entries, live = run(dev_plan, recorded_session()[0])
    assert report.drift == []
    matched = {id(e.live) for e in entries if e.live is not None}
    exempt = [r for r in live.by_key.values() if r.exempt and id(r) not in matched and r.type in compare.EXTRA_TYPES]
    reasons = {r.exempt for r in exempt}
    assert reasons <= set(coverage.AWS_CREATED), reasons - set(coverage.AWS_CREATED)
    # moto's account holds AWS's own pieces of at least these kinds
    assert {"the default VPC and its subnets, route table, NACL, security group and internet gateway",
            "network interfaces AWS manages (requester-managed: endpoints, CloudHSM, instances' primary ENIs)"} <= reasons
    for resource in live.by_key.values():
        resource.exempt = None
    unexempted = Report(stack="dev")
    compare.extras(entries, live, unexempted)
    reported = {f.name for f in unexempted.of("extra")}
    shown = [r for r in exempt if r.type not in compare.VPC_PIECES and r.type not in compare.ROLE_CHILDREN]
    assert shown and all((r.label or r.key) in reported for r in shown)
