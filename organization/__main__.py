"""The organization program: validate config, declare the guardrails, export references
the center stack reads (audit.logArchive) instead of hard-coded ids."""

import sys
from pathlib import Path

import pulumi

# The project shares components/ with the center: the kit's root is the parent folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from organization.config import load_from_pulumi  # noqa: E402
from organization.program import Organization  # noqa: E402

organization = Organization("tc-org", load_from_pulumi())
for key, value in organization.exports.items():
    pulumi.export(key, value)
