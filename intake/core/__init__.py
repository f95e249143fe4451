"""The bottom layer: what every package shares — message models and clock, settings, the vocabulary, the
marked-YAML reader and its problems, hot reload, the error families and the after-commit messages. It imports
nothing of ours outside `intake.core` (an import-linter contract in pyproject.toml keeps it so)."""
