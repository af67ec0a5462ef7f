"""The graders' web workspace: a thin entry point beside ``cli/`` that calls services."""
