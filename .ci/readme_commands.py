"""Print one of the README's two commands for a fresh machine, verbatim.

    python3 .ci/readme_commands.py review   # the first: render the dev stack for review
    python3 .ci/readme_commands.py test     # the second: set up and run the whole suite

They are the first two ```sh blocks under "## Two commands on a fresh machine", so CI runs
exactly what a new user copies. Standard library only: it runs before anything is installed.
"""

import re
import sys
from pathlib import Path

SECTION = "## Two commands on a fresh machine"
WHICH = {"review": 0, "test": 1}


def commands(readme: str) -> list[str]:
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start:end if end != -1 else None]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in WHICH:
        print("usage: readme_commands.py review|test", file=sys.stderr)
        return 64
    found = commands((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8"))
    if len(found) < 2:
        print(f"README.md: '{SECTION}' must hold two ```sh blocks (found {len(found)})", file=sys.stderr)
        return 3
    print(found[WHICH[sys.argv[1]]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
