"""Host roles the testinfra suite knows, and how each is rendered from a stack's config.

Each role maps to a function `(stack, s3_cidrs, **options) -> components.hosts.RenderedHost`.
The signing and reviewer components add `signer` and `workstation` here. The CI test
(test_host_roles.py) provisions one debootstrap root per role; for a deployed host, write
its expectations with this module and point the suite at the host (docs/build-hosts.md):

    .venv/bin/python -m tests.hosts.roles --stack zurich-prod --role build --option pool=products \
        --s3-cidrs "$(aws ec2 get-managed-prefix-list-entries --prefix-list-id pl-... \
                      --query 'Entries[].Cidr' --output text)" > build-expectations.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Sequence

from components import hosts
from components.build import build_host_values
from components.config import CenterConfig, load_config
from components.layout import bucket_name
from tcenter.core.stackfiles import load_stack_values
from tcenter.plan.engine import S3_PREFIX_LIST_STAND_IN, to_pulumi_config

DEFAULT_STACK = "dev"


def stack_config(stack: str) -> CenterConfig:
    return load_config(to_pulumi_config(load_stack_values(stack))[0], stack)


def build_values(stack: str = DEFAULT_STACK, s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN,
                 pool: str = "products") -> hosts.BuildHostValues:
    """What BuildFleet hands a builder of `pool`, from the stack's config."""
    config = stack_config(stack)
    plan = config.network_plan()
    (pool_config,) = [p for p in config.build.pools if p.name == pool]
    account = config.access.account_id
    return build_host_values(
        stack, config.build, pool_config, {zone.name: str(zone.cidr) for zone in plan.zones}, str(plan.supernet),
        list(s3_cidrs), bucket_name(account, stack, "build-sources"), bucket_name(account, stack, "build-artifacts"))


def render_build(stack: str = DEFAULT_STACK, s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN,
                 pool: str = "products") -> hosts.RenderedHost:
    """A builder of `pool`, rendered exactly as BuildFleet renders its user data."""
    return hosts.render_host(hosts.build_profile(build_values(stack, s3_cidrs, pool)))


def render_signer(stack: str = DEFAULT_STACK, s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN,
                  signing_class: str = "products", trust_anchor: str | None = None) -> hosts.RenderedHost:
    """A signer host of `signing_class`, rendered exactly as SigningService renders its user data."""
    from components.signing import signer_host_values, signer_profile

    config = stack_config(stack) if trust_anchor is None else initialized_cloudhsm_config(stack, trust_anchor)
    account = config.access.account_id
    pools = [p.name for p in config.build.pools if p.purpose == signing_class]
    values = signer_host_values(stack, config.signing, config.network_plan(), signing_class, pools, list(s3_cidrs),
                                bucket_name(account, stack, "build-artifacts"), bucket_name(account, stack, "releases"),
                                bucket_name(account, stack, "audit-archive"), signer_log(stack, signing_class, config))
    return hosts.render_host(signer_profile(values))


def signer_log(stack: str, signing_class: str, config: CenterConfig | None = None) -> str:
    """The signer's transparency log config, as TransparencyCenter hands it to SigningService."""
    from components.transparency import signer_log_config

    config = config or stack_config(stack)
    if not config.transparency.enabled:
        return ""
    return signer_log_config(stack, config.access.account_id, config.transparency, signing_class)


STAND_IN_TRUST_ANCHOR = "-----BEGIN CERTIFICATE-----\nstand-in trust anchor of the host tests\n-----END CERTIFICATE-----\n"


def initialized_cloudhsm_config(stack: str, trust_anchor: str) -> CenterConfig:
    """The stack's config as it is after the CloudHSM ceremony (docs/cloudhsm-ceremony.md)."""
    values = load_stack_values(stack)
    values["transparency-center:signing"]["cloudhsm"].update(initialized=True, trustAnchorCertificate=trust_anchor)
    return load_config(to_pulumi_config(values)[0], stack)


def render_signer_cloudhsm(stack: str = "zurich-prod", s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN,
                           signing_class: str = "products") -> hosts.RenderedHost:
    """A CloudHSM signer host after the ceremony: PKCS#11 client configured, HSM egress open."""
    return render_signer(stack, s3_cidrs, signing_class, trust_anchor=STAND_IN_TRUST_ANCHOR)


def render_workstation(stack: str = "zurich-prod", s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN,
                       organization: str = "") -> hosts.RenderedHost:
    """A review workstation of `organization` (default: the stack's first organization with
    workstations), rendered exactly as ReviewerZone renders its user data."""
    from components.reviewers import render_workstation as render

    config = stack_config(stack)
    orgs = [o for o in config.reviewers.organizations if o.workstations and (o.name == organization or not organization)]
    if not orgs:
        raise SystemExit(f"stack {stack} has no reviewer organization with workstations named {organization!r}")
    org = orgs[0]
    plan = config.network_plan()
    return render(stack, org.name, org.scopes, config.reviewers.session.run_as_user, str(plan.supernet),
                  str(plan.zone("endpoints").cidr), list(s3_cidrs))


def render_sequencer(stack: str = DEFAULT_STACK, s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN) -> hosts.RenderedHost:
    """The transparency log's sequencer host, rendered exactly as TransparencyLog renders its user data."""
    from components.signing import RELEASE_RECORDS_PREFIX
    from components.transparency import default_origin, log_bucket_name, sequencer_profile, sequencer_values

    config = stack_config(stack)
    account = config.access.account_id
    log_bucket = log_bucket_name(account, stack)
    values = sequencer_values(stack, config.transparency, config.network_plan(), log_bucket,
                              config.transparency.origin or default_origin(log_bucket),
                              bucket_name(account, stack, "releases"), bucket_name(account, stack, "audit-archive"),
                              RELEASE_RECORDS_PREFIX, [o.name for o in config.reviewers.organizations], list(s3_cidrs))
    return hosts.render_host(sequencer_profile(values))


def render_publisher(stack: str = "zurich-prod", s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN) -> hosts.RenderedHost:
    """The update repositories' publisher host, rendered exactly as Distribution renders its user data."""
    from components.distribution import publisher_profile, publisher_values
    from components.transparency import log_bucket_name

    config = stack_config(stack)
    account = config.access.account_id
    values = publisher_values(stack, account, config.distribution, config.network_plan(),
                              bucket_name(account, stack, "releases"), log_bucket_name(account, stack), list(s3_cidrs))
    return hosts.render_host(publisher_profile(values))


def render_analysis(stack: str = DEFAULT_STACK, s3_cidrs: Sequence[str] = S3_PREFIX_LIST_STAND_IN,
                    region: str = "") -> hosts.RenderedHost:
    """An analysis cell of `region` (default: the stack's first customer region), rendered exactly
    as AnalysisCells renders its launch template's user data (issue 28)."""
    from components.analysis import cell_host_values, render_cell

    config = stack_config(stack)
    if not config.analysis.enabled:
        raise SystemExit(f"stack {stack} has no analysis cells (analysis.enabled)")
    region = region or config.data_stores.customer_regions[0]
    plan = config.network_plan()
    return render_cell(cell_host_values(stack, config.access.account_id, region, config.analysis.served(region),
                                        str(plan.zone("analysis").cidr), str(plan.supernet), list(s3_cidrs),
                                        config.analysis.job_timeout_seconds, config.analysis.analyser))


ROLES: dict[str, Callable[..., hosts.RenderedHost]] = {
    "analysis": render_analysis,
    "build": render_build,
    "signer": render_signer,
    "signer-cloudhsm": render_signer_cloudhsm,
    "workstation": render_workstation,
    "sequencer": render_sequencer,
    "publisher": render_publisher,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the suite's expectations (or the provisioning script) of a host role.")
    parser.add_argument("--stack", default=DEFAULT_STACK)
    parser.add_argument("--role", choices=sorted(ROLES), required=True)
    parser.add_argument("--option", action="append", default=[], help="role option key=value, e.g. pool=products")
    parser.add_argument("--s3-cidrs", default=" ".join(S3_PREFIX_LIST_STAND_IN),
                        help="the S3 prefix list CIDRs of the deployed VPC (space-separated)")
    parser.add_argument("--script", action="store_true", help="print the provisioning script instead")
    args = parser.parse_args(argv)
    options = dict(option.split("=", 1) for option in args.option)
    rendered = ROLES[args.role](args.stack, args.s3_cidrs.split(), **options)
    sys.stdout.write(rendered.provision_script if args.script else json.dumps(rendered.expectations(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
