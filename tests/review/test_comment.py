"""`tcenter comment`: what decides is never cut. Planted weakenings of real plans (from
test_weakenings' corpus) in prod and dev, a small budget, a new stack, a guardrail violation."""

from __future__ import annotations

import json

import pytest

from tcenter.cli import main
from tcenter.render import comment
from tcenter.plan.format import dumps
from tests.review.conftest import find
from tests.review.test_weakenings import archive_to_governance, read_all_data_buckets, remove_deny_customer_data

PROD, DEV = "zurich-prod", "dev"


def _write(directory, stack, plan):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stack}.json").write_text(dumps(plan))


@pytest.fixture
def plans(tmp_path, plan_of):
    """base: the real plans; head: prod with two weakenings, dev with one, and a tag on both."""
    base, head = tmp_path / "base", tmp_path / "head"
    heads = {}
    for stack in (PROD, DEV):
        _write(base, stack, plan_of(stack))
        heads[stack] = plan_of(stack)
    prod_details = [read_all_data_buckets(heads[PROD]), archive_to_governance(heads[PROD])]
    dev_details = [remove_deny_customer_data(heads[DEV])]
    for plan in heads.values():
        for vpc in find(plan, "aws:ec2/vpc:Vpc"):
            vpc["inputs"]["tags"]["cost-center"] = "4711"
    for stack, plan in heads.items():
        _write(head, stack, plan)
    return base, head, prod_details, dev_details


def _md(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _comment(base, head, stacks, **kwargs):
    return comment.render_comment(comment.build_reports(base, head, stacks), base_ref="main",
                                  artifact_url="https://example.invalid/artifact", **kwargs)


def test_every_danger_of_every_stack_comes_first_prod_first(plans):
    base, head, prod_details, dev_details = plans
    text = _comment(base, head, [DEV, PROD])  # the order given does not matter
    dangers = text.index("### Dangers")
    first_details = text.index("<details>")
    assert dangers < first_details
    assert text.index("#### zurich-prod") < text.index("#### dev") < first_details
    for detail in prod_details + dev_details:
        assert _md(detail) in text[dangers:first_details], detail
    assert text.index("| zurich-prod |") < text.index("| dev |")


def test_a_small_budget_drops_the_least_important_detail_first_never_a_danger(plans):
    base, head, prod_details, dev_details = plans
    full = _comment(base, head, [PROD, DEV])
    reports = comment.build_reports(base, head, [PROD, DEV])
    head_part = "\n".join(comment._head(reports, "main"))
    budget = len(head_part) + (len(full) - len(head_part)) // 2
    text = _comment(base, head, [PROD, DEV], budget=budget)
    assert len(text) <= budget < len(full)
    for detail in prod_details + dev_details:
        assert _md(detail) in text
    assert "<summary>zurich-prod: details</summary>" in text, "prod's details go before any other stack's"
    assert "https://example.invalid/artifact" in text
    tight = _comment(base, head, [PROD, DEV], budget=len(head_part) + 400)
    for detail in prod_details + dev_details:
        assert _md(detail) in tight
    assert "- zurich-prod: details left out to fit the comment" in tight
    assert "- dev: details left out to fit the comment" in tight


def test_the_verdict_of_check_is_in_the_comment_and_fails_it(plans, plan_of):
    base, head, _, _ = plans
    plan = json.loads((head / f"{PROD}.json").read_text())
    (trail,) = [r for r in find(plan, "aws:cloudtrail/trail:Trail") if r["inputs"]["name"].endswith("-audit-trail")]
    trail["inputs"]["enableLogFileValidation"] = False
    _write(head, PROD, plan)
    text = _comment(base, head, [PROD, DEV])
    row = next(line for line in text.splitlines() if line.startswith("| zurich-prod |"))
    assert "violation" in row and "`cloudtrail-validation`" in row
    assert "| dev |" in text and ":white_check_mark: passes" in next(line for line in text.splitlines() if line.startswith("| dev |"))


def test_a_new_stack_is_diffed_against_an_empty_plan(tmp_path, plan_of):
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    _write(head, DEV, plan_of(DEV))
    (report,) = comment.build_reports(base, head, [DEV])
    assert report.new_stack and report.diff.counts["create"] == len([r for r in plan_of(DEV)["resources"] if r["custom"]
                                                                      and not r["type"].startswith("pulumi:providers")]) \
        or report.diff.counts["create"] > 300
    assert "new stack" in comment.render_comment([report], base_ref="main", artifact_url="x")


def test_cli_exit_codes_and_one_line_errors(plans, tmp_path, capsys):
    base, head, _, _ = plans
    out = tmp_path / "comment.md"
    code = main(["comment", "--base-dir", str(base), "--head-dir", str(head), "--stacks", PROD, DEV, "-o", str(out)])
    assert code == 2 and out.read_text().startswith(comment.MARKER)
    code = main(["comment", "--base-dir", str(base), "--head-dir", str(head), "--stacks", "staging"])
    err = capsys.readouterr().err
    assert code == 3 and "staging.json" in err and len(err.strip().splitlines()) == 1


def _creations_and_updates(plan_of, creations: int = 106, updates: int = 11):
    """The real prod plan (base); the head with CREATIONS new resources (copies of the plan's Config
    rules, alarms and metric filters under new names) and UPDATES tag changes, each its own value."""
    base, head = plan_of(PROD), plan_of(PROD)
    sources = [r for r in head["resources"] if r["type"] in ("aws:cfg/rule:Rule", "aws:cloudwatch/metricAlarm:MetricAlarm",
                                                          "aws:cloudwatch/logMetricFilter:LogMetricFilter")]
    for i in range(creations):
        copy = json.loads(json.dumps(sources[i % len(sources)]))
        copy["name"] += f"-copy{i}"
        copy["urn"] += f"-copy{i}"
        head["resources"].append(copy)
    marks = []
    for i, bucket in enumerate(find(head, "aws:s3/bucket:Bucket") + find(head, "aws:cloudwatch/logGroup:LogGroup")):
        if i == updates:
            break
        bucket["inputs"].setdefault("tags", {})["review-note"] = f"planted-update-{i}"
        marks.append(f"planted-update-{i}\"}}" if len(bucket["inputs"]["tags"]) == 1 else f"tags.review-note: + planted-update-{i}")
    assert len(marks) == updates
    return base, head, marks


def test_updates_keep_their_details_before_creations_do(tmp_path, plan_of):
    base_plan, head_plan, marks = _creations_and_updates(plan_of)
    base, head = tmp_path / "base", tmp_path / "head"
    _write(base, PROD, base_plan)
    _write(head, PROD, head_plan)
    (report,) = comment.build_reports(base, head, [PROD])
    assert report.diff.counts["create"] == 106 and report.diff.counts["update"] == 11 and not report.diff.dangers
    full = comment._details(report, *comment.DETAIL_LEVELS[0])  # every property of every change
    assert "aws:cfg/rule:Rule" in full and "planted-update-3" in full
    unbounded = comment.render_comment([report], base_ref="main", artifact_url="x", budget=10**7)
    assert len(unbounded) <= comment.GITHUB_COMMENT_MAX and all(mark in unbounded for mark in marks)
    head_text = "\n".join(comment._head([report], "main"))
    for budget in (comment.DEFAULT_BUDGET, len(head_text) + 9000):
        text = comment.render_comment([report], base_ref="main", artifact_url="x", budget=budget)
        assert len(text) <= budget < len(full)
        for mark in marks:
            assert mark in text, (budget, mark)
    roomy = comment.render_comment([report], base_ref="main", artifact_url="x", budget=comment.DEFAULT_BUDGET)
    assert "creations by name" in roomy and "-copy105**" in roomy, "creations listed by name while they fit"
    tight = comment.render_comment([report], base_ref="main", artifact_url="x", budget=len(head_text) + 9000)
    assert "creations counted by type" in tight
    counts = {line.split("`")[1]: int(line.split("|")[1]) for line in tight.splitlines()
              if line.startswith("| ") and "`aws:" in line}
    assert sum(counts.values()) == 106 and set(counts) == {"aws:cfg/rule:Rule", "aws:cloudwatch/metricAlarm:MetricAlarm",
                                                          "aws:cloudwatch/logMetricFilter:LogMetricFilter"}


def test_the_details_shrink_one_level_at_a_time_and_never_past_the_budget(tmp_path, plan_of):
    base_plan, head_plan, marks = _creations_and_updates(plan_of, creations=40, updates=5)
    base, head = tmp_path / "base", tmp_path / "head"
    _write(base, PROD, base_plan)
    _write(head, PROD, head_plan)
    (report,) = comment.build_reports(base, head, [PROD])
    sizes = [len(comment.render_comment([report], base_ref="main", artifact_url="x", budget=b))
             for b in range(4000, 200000, 4000)]
    assert all(size <= budget for size, budget in zip(sizes, range(4000, 200000, 4000)))
    assert sizes == sorted(sizes), "a larger budget never shows less"
