"""`python -m tcenter`: the same as the `tcenter` command."""

import runpy

runpy.run_module("tcenter.cli", run_name="__main__")
