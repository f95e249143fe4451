"""Entry point of the `intake` console script: the top-level group and the table of its commands.

A command's module is imported only when that command runs (see `lazy.py`); a new command adds a row to
`COMMANDS` with where it lives and its help's first sentence.
"""

from __future__ import annotations

import logging
import os
import tomllib

import click

from intake.cli.lazy import LazyCommand, LazyGroup
from intake.logs import level_of, setup_logging

COMMANDS = {
    "beat": LazyCommand(
        "intake.cli.run:beat_command",
        "The periodic beat alone (reconciler, SLA sweeper): sends messages for workers on Redis.",
    ),
    "classify": LazyCommand(
        "intake.cli.classify:classify_command",
        "Classify JSON-lines messages (INPUT, or - for stdin); one JSON line out per line in.",
    ),
    "config": LazyCommand("intake.cli.config_cmd:config_group", "Configuration."),
    "db": LazyCommand("intake.cli.db:db_group", "Database schema (Alembic migrations)."),
    "demo": LazyCommand(
        "intake.cli.demo:demo_command",
        "Process every sample on a fresh SQLite database with the in-process broker; print the triage table.",
    ),
    "eval": LazyCommand(
        "intake.cli.classify:eval_command",
        "Accuracy of the classifier on LABELED.jsonl (lines with an `expect` object; `split` and `language` group "
        "them); with --misses, every wrong field and every missed emergency or false alarm by id.",
    ),
    "eval-threading": LazyCommand(
        "intake.cli.eval_threading:eval_threading_command",
        'Run labelled threading cases (JSONL) through the pipeline; print precision/recall of "follow-up".',
    ),
    "imap": LazyCommand("intake.cli.imap:imap_group", "IMAP mailboxes: poll them, and see where each one stands."),
    "ingest": LazyCommand(
        "intake.cli.ingest:ingest_command",
        "Store every item found in PATHS and process it; prints what became of them.",
    ),
    "outbox": LazyCommand(
        "intake.cli.outbox:outbox_group",
        "Outbound messages (acknowledgements, replies) and whether they went out.",
    ),
    "parse-email": LazyCommand(
        "intake.cli.email:parse_email_command",
        "Parse raw RFC 5322 mail FILES (a folder stands for the files in it) and print one JSON object per file; "
        'a file that cannot be parsed gets {"file", "error"} and the rest go on.',
    ),
    "qcontact": LazyCommand(
        "intake.cli.qcontact:qcontact_group", "QContact contact centre: poll cases, update a case's status."
    ),
    "quarantine": LazyCommand(
        "intake.cli.quarantine:quarantine_group",
        "Items kept aside: unparseable mail, bad payloads, items that failed every attempt.",
    ),
    "registry": LazyCommand("intake.cli.registry:registry_group", "Properties, units and tenants."),
    "rules": LazyCommand(
        "intake.cli.rules:rules_group",
        "Check, inspect and explain the assignment, SLA and escalation rules in rules/.",
    ),
    "run": LazyCommand(
        "intake.cli.run:run_command",
        "The whole service in one process: web server, pollers, workers and the periodic beat.",
    ),
    "serve": LazyCommand(
        "intake.cli.run:serve_command",
        "The web process alone (webhooks); needs Redis so that separate workers receive the work.",
    ),
    "tickets": LazyCommand("intake.cli.tickets:tickets_group", "Tickets."),
    "train": LazyCommand(
        "intake.cli.train:train_command",
        "Train the urgency model on LABELED lines (an `expect.urgency` each) and write it to OUT.",
    ),
    "worker": LazyCommand(
        "intake.cli.worker:worker_command",
        "Dramatiq worker processes only (scale-out on Redis): run as many as the load needs.",
    ),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="TOML config file (else INTAKE_CONFIG or ./intake.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def cli(config_file: str | None, verbose: bool) -> None:
    """Intake: turn tenants' emails and chat messages into classified, assigned tickets."""
    if config_file:
        os.environ["INTAKE_CONFIG"] = config_file
    log_level = check_settings()
    setup_logging(logging.DEBUG if verbose else level_of(log_level))


def check_settings() -> str:
    """Read the configuration once, before any command: a missing file named by INTAKE_CONFIG is a usage error
    (exit 2, as a missing `--config` file is); a file that is not TOML, or a value the settings refuse, is a
    one-line error (exit 1) instead of a traceback. Returns the configured log level's name."""
    # Imported here, not at the top: pydantic-settings is the largest import left, and `intake --help` needs none.
    from intake.core.settings import get_settings

    try:
        return get_settings().log_level
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise click.ClickException(
            f"{os.environ.get('INTAKE_CONFIG') or 'intake.toml'}: not valid TOML: {exc}"
        ) from None
    except ValueError as exc:  # pydantic's ValidationError: every refused value, with its setting's name
        raise click.ClickException(f"invalid configuration: {exc}") from None


if __name__ == "__main__":
    cli()
