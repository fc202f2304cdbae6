"""The three Pulumi projects (the center, the reviewer organization, a reviewer account) read their
stack config through one reader (components/config/base.py): each refuses another namespace's key
and an unknown key of its own with the same one-line problems, and takes its own stack files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from organization import config as organization
from reviewer_account import config as reviewer_account

KIT = Path(__file__).resolve().parents[2]
PROJECTS: dict[str, tuple[Callable[[dict[str, Any], str], Any], type[Exception], Path]] = {
    "tc-organization": (organization.load_config, organization.OrganizationConfigError,
                        KIT / "organization" / "stacks" / "Pulumi.zurich-org.yaml"),
    "tc-reviewer-account": (reviewer_account.load_config, reviewer_account.ReviewerAccountConfigError,
                            KIT / "reviewer_account" / "stacks" / "Pulumi.swiss-review-lab.yaml"),
}


def stack_values(path: Path) -> dict[str, Any]:
    return dict((yaml.safe_load(path.read_text()) or {})["config"])


def problems_of(error: Exception) -> list[tuple[str, str]]:
    return list(error.problems)  # type: ignore[attr-defined]


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_each_projects_own_stack_file_is_read(project: str) -> None:
    load, _, path = PROJECTS[project]
    assert load(stack_values(path), path.stem.removeprefix("Pulumi.")) is not None


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_another_namespace_is_refused_by_name(project: str) -> None:
    load, error, path = PROJECTS[project]
    values = {**stack_values(path), "transparency-center:environment": "dev"}
    with pytest.raises(error) as refused:
        load(values, "s")
    assert problems_of(refused.value) == [("transparency-center:environment",
                                           f"unknown key; this project reads only {project}:* keys")]


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_an_unknown_key_of_its_own_is_named_and_explained(project: str) -> None:
    load, error, path = PROJECTS[project]
    with pytest.raises(error) as refused:
        load({**stack_values(path), f"{project}:centreStack": "zurich-prod"}, "s")
    assert problems_of(refused.value) == [(f"{project}:centreStack", "unknown key; remove it or check its spelling")]


def test_aws_provider_keys_are_left_to_the_provider() -> None:
    load, _, path = PROJECTS["tc-organization"]
    assert load({**stack_values(path), "aws:region": "eu-central-2"}, "s") is not None
