import json

import pytest


@pytest.fixture(scope="module")
def center(declared):
    """The real zurich-prod plan: what the center sends to the organizations' accounts."""
    from tcenter.plan.format import build_plan, dumps

    return json.loads(dumps(build_plan(declared("zurich-prod"))))
