"""Run the Pulumi program on Pulumi's mock engine and record everything it declares.

This is what `pulumi preview` would send to the engine, captured without the Pulumi CLI,
without the AWS provider plugin and without credentials. The same runner serves the
tests (tests/conftest.py) and the `tcenter` command.

Values AWS computes at deploy time (ids, ARNs) are filled in deterministically from the
declared names (see `StandInMocks`), so two runs of the same commit and config record
byte-identical results.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import runpy
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components import awsfacts
from components.awsfacts import REGION

from ..core.errors import InputError
from ..core.stackfiles import PROJECT_ROOT, load_stack_values, project_settings

__all__ = ["PROJECT_ROOT", "EngineError", "ProgramRun", "RecordedResource", "StandInMocks", "run_program",
           "to_pulumi_config"]

S3_PREFIX_LIST_STAND_IN = ("3.5.136.0/22", "16.12.32.0/22", "52.95.139.0/24")
"""Stand-in CIDRs for the S3 prefix list of eu-central-2, which AWS supplies at deploy time."""
DYNAMODB_PREFIX_LIST_STAND_IN = ("35.71.104.0/22", "52.94.26.0/23")
"""Stand-in CIDRs for the DynamoDB prefix list of eu-central-2 (also supplied at deploy time)."""



class EngineError(InputError):
    """The program could not be run for this stack (missing stack, broken config, crash)."""


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    options: dict[str, Any]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str


@dataclass
class ProgramRun:
    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def by_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources of type {type_} named {name}")
        return matches[0]

    def children_of(self, urn: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == urn]


def _stable_id(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _stable_uuid(*parts: str) -> str:
    h = _stable_id(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class StandInMocks:
    """Mocks that answer like AWS would, deterministically: ids and ARNs from names."""

    def __init__(self) -> None:
        self.account_id = "000000000000"
        # Provider id -> the account it is pinned to: resources (and invokes) through an
        # explicit provider land in its account, whatever order the engine registers them.
        self.provider_accounts: dict[str, str] = {}

    def _account_of(self, provider_ref: str | None) -> str:
        provider_id = (provider_ref or "").rsplit("::", 1)[-1]
        return self.provider_accounts.get(provider_id, self.account_id)

    # pulumi.runtime.Mocks interface ------------------------------------------------------
    def call(self, args: Any) -> tuple[dict, list | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return ({"accountId": self.account_id, "arn": awsfacts.arn("iam", "user/stand-in", self.account_id),
                     "userId": "STANDIN", "id": self.account_id}, None)
        if args.token == "aws:index/getRegion:getRegion":
            return ({"name": REGION, "region": REGION, "id": REGION}, None)
        if args.token == "aws:organizations/getOrganization:getOrganization":
            # The organization project (organization/) reads its organization's id.
            management = self._account_of(getattr(args, "provider", None))
            return ({"id": "o-standin0001", "masterAccountId": management,
                     "arn": awsfacts.arn("organizations", "organization/o-standin0001", management)}, [])
        if args.token == "aws:ec2/getPrefixList:getPrefixList":
            return ({"cidrBlocks": list(S3_PREFIX_LIST_STAND_IN), "id": "pl-standin", "name": args.args.get("name", "")}, None)
        return ({}, None)

    def new_resource(self, args: Any) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
        if typ.startswith("pulumi:providers:aws"):
            accounts = inputs.get("allowedAccountIds")
            if isinstance(accounts, str):
                accounts = json.loads(accounts)
            provider_id = f"provider-{_stable_id(name, length=8)}"
            if accounts:
                self.account_id = accounts[0]
                self.provider_accounts[provider_id] = accounts[0]
            return (provider_id, inputs)
        if not getattr(args, "custom", True):
            return (f"{name}", {})  # components have no state of their own
        account = self._account_of(getattr(args, "provider", None))
        module = typ.split(":")[1].split("/")[0] if typ.count(":") >= 2 else ""
        kind = typ.rsplit(":", 1)[-1]
        short = "".join(c for c in kind if c.isupper()).lower() or kind[:3]
        resource_id = f"{short}-{_stable_id(typ, name)}"
        state = dict(inputs)
        physical = inputs.get("name") or inputs.get("bucket")
        if typ == "aws:s3/bucket:Bucket":
            resource_id = physical
            state["arn"] = awsfacts.bucket_arn(physical)
            state["bucket"] = physical
            state["bucketRegionalDomainName"] = f"{physical}.s3.{REGION}.amazonaws.com"
        elif typ == "aws:cloudfront/distribution:Distribution":
            resource_id = f"E{_stable_id(typ, name, length=13).upper()}"
            state["arn"] = awsfacts.cloudfront_distribution_arn(account, resource_id)  # global: no region
            state["domainName"] = f"d{_stable_id('domain', name, length=13)}.cloudfront.net"
        elif typ == "aws:kms/key:Key":
            resource_id = _stable_uuid(typ, name)
            state["keyId"] = resource_id
            state["arn"] = awsfacts.key_arn(account, resource_id)
        elif typ == "aws:kms/alias:Alias":
            resource_id = physical
            state["arn"] = awsfacts.alias_arn(account, physical)
        elif typ == "aws:iam/role:Role":
            resource_id = physical or name
            state["name"] = resource_id
            state["arn"] = awsfacts.role_arn(account, resource_id)
            state["uniqueId"] = f"AROA{_stable_id(typ, name, length=16).upper()}"
        elif typ == "aws:iam/instanceProfile:InstanceProfile":
            resource_id = physical or name
            state["arn"] = awsfacts.arn("iam", f"instance-profile/{resource_id}", account)
        elif typ == "aws:iam/policy:Policy":
            state["arn"] = awsfacts.arn("iam", f"policy/{physical or name}", account)
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            resource_id = physical or name
            state["arn"] = awsfacts.log_group_arn(account, resource_id)
        elif typ == "aws:ec2/vpc:Vpc":
            resource_id = f"vpc-{_stable_id(typ, name)}"
            state["defaultNetworkAclId"] = f"acl-{_stable_id('default-acl', name)}"
            state["defaultRouteTableId"] = f"rtb-{_stable_id('default-rtb', name)}"
            state["defaultSecurityGroupId"] = f"sg-{_stable_id('default-sg', name)}"
        elif typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            resource_id = f"vpce-{_stable_id(typ, name)}"
            if inputs.get("vpcEndpointType") == "Gateway":
                service = str(inputs.get("serviceName", "")).rsplit(".", 1)[-1]
                stand_in = DYNAMODB_PREFIX_LIST_STAND_IN if service == "dynamodb" else S3_PREFIX_LIST_STAND_IN
                state["cidrBlocks"] = list(stand_in)
                state["prefixListId"] = f"pl-{_stable_id(service, length=8)}"
        elif typ == "aws:cloudtrail/trail:Trail":
            state["arn"] = awsfacts.trail_arn(account, physical or name)
        elif typ == "aws:cloudhsmv2/cluster:Cluster":
            resource_id = f"cluster-{_stable_id(typ, name, length=11)}"
            state["clusterId"] = resource_id
            state["clusterState"] = "UNINITIALIZED"
            state["securityGroupId"] = f"sg-{_stable_id('hsm-sg', name)}"
            state["clusterCertificates"] = [{"clusterCsr": "<fetched from AWS after the first HSM is created>"}]
        elif typ == "aws:cloudhsmv2/hsm:Hsm":
            resource_id = f"hsm-{_stable_id(typ, name, length=11)}"
            state["hsmId"] = resource_id
            state["hsmState"] = "ACTIVE"
            state["hsmEniId"] = f"eni-{_stable_id('hsm-eni', name)}"
        elif typ == "aws:dynamodb/table:Table":
            resource_id = physical or name
            state["arn"] = awsfacts.table_arn(account, resource_id)
        elif typ == "aws:ec2clientvpn/endpoint:Endpoint":
            resource_id = f"cvpn-endpoint-{_stable_id(typ, name)}"
            state["arn"] = awsfacts.ec2_arn(account, "client-vpn-endpoint", resource_id)
            state["dnsName"] = f"*.{resource_id}.prod.clientvpn.{REGION}.amazonaws.com"
        elif typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
        elif typ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            service = str(inputs.get("awsServiceName", ""))
            role_name = awsfacts.SERVICE_LINKED_ROLE_NAMES.get(service, f"AWSServiceRoleFor{service.split('.')[0]}")
            state["name"] = resource_id = role_name
            state["arn"] = awsfacts.service_linked_role_arn(account, service.split(".")[0], role_name)
        elif typ == "aws:sqs/queue:Queue":
            resource_id = awsfacts.queue_url(account, physical or name)
            state["arn"] = awsfacts.queue_arn(account, physical or name)
            state["url"] = resource_id
        elif typ == "aws:sns/topic:Topic":
            state["arn"] = awsfacts.arn("sns", physical or name, account, REGION)
        if "arn" not in state and module:
            state["arn"] = awsfacts.arn(module, f"{kind.lower()}/{resource_id}", account, REGION)
        state.setdefault("id", resource_id)
        return (resource_id, state)


def _options_of(request: Any) -> dict[str, Any]:
    return {
        "protect": bool(request.protect),
        "retainOnDelete": bool(request.retainOnDelete),
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "ignoreChanges": sorted(request.ignoreChanges),
        "replaceOnChanges": sorted(request.replaceOnChanges),
        "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
        "deletedWith": request.deletedWith or "",
    }


def _provider_urn(reference: str) -> str:
    """A provider reference is `urn::id`; the plan records the provider's URN."""
    return reference.rsplit("::", 1)[0] if reference else ""


def _make_monitor(mocks: StandInMocks, records: dict[str, RecordedResource], outputs: dict[str, dict]) -> Any:
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import rpc

    lock = threading.Lock()

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        """The SDK's mock monitor, keeping what it is told: parents, dependencies, options."""

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # As the engine does: the parent's whole type chain, the root stack left out.
            from pulumi.runtime.settings import get_project, get_stack

            if parent and not parent.split("::")[2].endswith("pulumi:pulumi:Stack"):
                type_ = parent.split("::")[2] + "$" + type_
            return "urn:pulumi:" + "::".join([get_stack(), get_project(), type_, name])

        def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
            response = super().RegisterResource(request)
            if request.type == "pulumi:pulumi:Stack":
                return response
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            registration = self.resources[response.urn]
            record = RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=_provider_urn(request.provider),
                dependencies=sorted(set(request.dependencies)),
                property_dependencies={
                    key: sorted(set(value.urns)) for key, value in sorted(request.propertyDependencies.items())
                },
                options=_options_of(request),
                inputs=inputs,
                outputs=dict(registration.state),
                id=registration.id or "",
            )
            with lock:
                if response.urn in records:
                    raise EngineError(f"two resources share the URN {response.urn}")
                records[response.urn] = record
            return response

        def RegisterResourceOutputs(self, request):  # noqa: N802
            with lock:
                outputs[request.urn] = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
            return super().RegisterResourceOutputs(request)

    return RecordingMonitor(mocks)


def to_pulumi_config(values: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Stack file values as the Pulumi CLI hands them to a program: objects as JSON text,
    scalars as strings. Encrypted values (`secure:`) cannot be read here: they are
    replaced by a marker and listed as secret keys."""
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in sorted(values.items()):
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = "[secret]"
            secret_keys.append(key)
        elif isinstance(value, (dict, list)):
            config[key] = json.dumps(value)
        elif isinstance(value, bool):
            config[key] = "true" if value else "false"
        else:
            config[key] = "" if value is None else str(value)
    return config, secret_keys


def _own_package_names(project_dir: Path) -> set[str]:
    """Top-level packages a project ships (`components`, ...): its program must use these."""
    return {p.name for p in project_dir.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}


def _set_aside_foreign_packages(project_dir: Path) -> dict[str, Any] | None:
    """When another checkout's copy of one of the project's packages is already imported
    (tcenter imports `components.awsfacts`; a revision being planned has its own), take it
    out of `sys.modules` so the program imports the project's. Without this, planning an
    older revision silently runs this checkout's components and the diff shows no change."""
    names = _own_package_names(project_dir)
    foreign = {}
    for name in list(sys.modules):
        top = name.split(".", 1)[0]
        if top not in names:
            continue
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin and not Path(origin).resolve().is_relative_to(project_dir):
            foreign[name] = sys.modules.pop(name)
    if not foreign:
        return None
    # Anything else of those packages that is still cached came from the same foreign copy.
    for name in [n for n in sys.modules if n.split(".", 1)[0] in {f.split(".", 1)[0] for f in foreign}]:
        foreign[name] = sys.modules.pop(name)
    return foreign


def _restore_packages(foreign: dict[str, Any] | None) -> None:
    """Put the caller's copies back once the project's program has run."""
    if not foreign:
        return
    tops = {name.split(".", 1)[0] for name in foreign}
    for name in [n for n in sys.modules if n.split(".", 1)[0] in tops]:
        del sys.modules[name]
    sys.modules.update(foreign)


def _no_stack_trace() -> Any:
    """What the SDK sends as a resource's source position under the mock engine: nothing. The SDK
    walks the whole Python stack (traceback.extract_stack) for every resource to fill it; the
    engine would show it in `pulumi up` output, the mock monitor drops it, and a plan holds none."""
    from pulumi.runtime.proto import source_pb2

    return source_pb2.StackTrace()


def run_program(
    stack: str,
    config_values: dict[str, Any] | None = None,
    project_dir: Path = PROJECT_ROOT,
) -> ProgramRun:
    """Run `__main__.py` of `project_dir` for `stack` on the mock engine.

    `config_values` overrides the stack file (tests pass broken configs this way). The
    program's own exceptions (a ConfigError, say) propagate unchanged.
    """
    import pulumi
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime import stack as runtime_stack

    project_dir = Path(project_dir).resolve()
    project = project_settings(project_dir)["name"]
    values = load_stack_values(stack, project_dir) if config_values is None else config_values
    config, secret_keys = to_pulumi_config(values)

    mocks = StandInMocks()
    records: dict[str, RecordedResource] = {}
    registered_outputs: dict[str, dict] = {}
    monitor = _make_monitor(mocks, records, registered_outputs)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    previous_path = list(sys.path)
    from pulumi.runtime import resource as runtime_resource
    capture = runtime_resource._get_stack_trace
    runtime_resource._get_stack_trace = _no_stack_trace
    foreign = _set_aside_foreign_packages(project_dir)
    try:
        runtime_settings.ROOT.set(None)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False,
                                 monitor=monitor, logger=logging.getLogger("tcenter.engine"))
        # set_mocks makes a finished root stack of its own; the program runs in a fresh
        # one, as under the CLI, so that its exports are registered as stack outputs.
        runtime_settings.ROOT.set(None)
        runtime_config.set_all_config(config, secret_keys)
        # The project's own packages come from the project, first on the path.
        sys.path[:] = [str(project_dir), *(p for p in sys.path if p != str(project_dir))]
        main = project_dir / "__main__.py"
        loop.run_until_complete(runtime_stack.run_in_stack(lambda: runpy.run_path(str(main), run_name="__main__")))
    except BaseException as error:
        # Tell the caller what had been declared when it failed (a ConfigError: nothing).
        error.declared_before_failure = sorted(records)  # type: ignore[attr-defined]
        raise
    finally:
        runtime_resource._get_stack_trace = capture
        sys.path[:] = previous_path
        _restore_packages(foreign)
        loop.close()
        asyncio.set_event_loop(None)

    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    stack_outputs = registered_outputs.pop(stack_urn, {})
    resources = sorted(records.values(), key=lambda r: r.urn)
    return ProgramRun(project=project, stack=stack, resources=resources, outputs=stack_outputs,
                      component_outputs=dict(sorted(registered_outputs.items())))
