"""tcenter: credential-free review of the transparency center (plan, diff, reach, ...).

It knows the Pulumi program through its entry point (`__main__.py`, run on the mock engine)
and the plan format. Of `components` it imports only `awsfacts` (AWS facts and the kit's
shared classifications) and the config model's readers of a stack file's sections
(`components.config`): it never declares anything itself.

Layers (dependencies point down; tests/review/test_layers.py holds them):
    cli            the parser from the command groups; errors -> exit codes; imported by no one
    */commands.py  each package's subcommands
    render, live, supply, analysis, guardrails, plan    the libraries (they raise, never print)
    core           errors, output, stack files, the policy reader, the plan view
"""

__version__ = "0.1.0"
