"""Where moto's server answers unlike AWS for what attest reads, fixed in the test process (the
server runs in it): each fix names the gap. Applied by the fixture before the server starts."""

from __future__ import annotations

from typing import Any


def scope_tag_key() -> None:
    """moto keeps a Config rule's `Scope.TagKey/TagValue` as `Tags` and returns no tag scope;
    AWS returns TagKey and TagValue as put."""
    from moto.config import models

    original = models.Scope.to_dict

    def to_dict(self: Any) -> dict[str, Any]:
        data = original(self)
        tags = data.pop("Tags", None)
        if tags:
            key, value = next(iter(tags.items()))
            data["TagKey"] = key
            if value is not None:
                data["TagValue"] = value
        return data

    models.Scope.to_dict = to_dict  # type: ignore[method-assign]


def launch_template_tags() -> None:
    """moto snapshots a launch template's tags when it is created (CreateTags afterwards is not shown)
    and copies create-time `launch-template` tag specifications into the version's data; AWS does neither."""
    from moto.ec2.models import launch_templates

    launch_templates.LaunchTemplate.tags = property(lambda self: self.get_tags(), lambda self, value: None)  # type: ignore[assignment]


def apply() -> None:
    scope_tag_key()
    launch_template_tags()
