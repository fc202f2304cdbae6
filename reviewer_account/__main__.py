"""The reviewer organization's program: validate config, declare the evidence destination."""

import sys
from pathlib import Path

import pulumi

# The project shares components/ with the center: the kit's root is the parent folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewer_account.config import load_from_pulumi  # noqa: E402
from reviewer_account.program import EvidenceDestination  # noqa: E402

destination = EvidenceDestination("tc-evidence", load_from_pulumi())
for key, value in destination.exports.items():
    pulumi.export(key, value)
