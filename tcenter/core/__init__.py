"""What every tcenter package shares: errors and exit codes, output, the workspace (project,
stack files, plans), the one policy-document reader and the one view of a plan.

Imports no command package (held by tests/review/test_layers.py)."""
