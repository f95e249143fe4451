"""The `intake` command line: one click group; each module in this package adds its own commands."""
