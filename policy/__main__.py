"""Entry point the Pulumi CLI runs for `--policy-pack policy`: serve the pack.

Constructing `PolicyPack` starts the analyzer server and never returns, so it lives here
only; the policies themselves are in pack.py, which tests import directly.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from pack import PACK_NAME, POLICIES  # noqa: E402

if __name__ == "__main__":
    PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
