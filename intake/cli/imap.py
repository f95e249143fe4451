"""`intake imap poll [--once] [--mailbox NAME]` and `intake imap status`: the IMAP poller from the shell.

`poll --once` is for cron: one pass per mailbox, the stored mail processed (in-process without Redis),
exit status 1 when a mailbox could not be polled. Without `--once` it keeps polling like `intake run` does.
"""

from __future__ import annotations

import asyncio

import click

from intake.channels.email.imap import poll_once, run_mailbox
from intake.channels.email.imap_state import read_position
from intake.cli.common import drain, echo_json, in_process_worker, open_runtime
from intake.core.settings import MailboxSettings, Settings
from intake.runtime import Runtime


@click.group("imap")
def imap_group() -> None:
    """IMAP mailboxes: poll them, and see where each one stands."""


@imap_group.command("poll")
@click.option("--once", is_flag=True, help="One pass over each mailbox, then exit (cron-style).")
@click.option("--mailbox", "names", multiple=True, help="Only this mailbox (repeatable; default: all).")
@click.option("--json", "as_json", is_flag=True, help="With --once: one JSON object per mailbox.")
def poll_command(once: bool, names: tuple[str, ...], as_json: bool) -> None:
    """Store new mail of the configured mailboxes, then flag it \\Seen or move it, as configured."""
    runtime = open_runtime()
    mailboxes = _selected(runtime.settings, names)
    failed = []
    with in_process_worker() as worker:
        if not once:
            click.echo(f"polling {', '.join(m.name for m in mailboxes)}; Ctrl-C to stop", err=True)
            try:
                asyncio.run(_run_all(runtime, mailboxes))
            except KeyboardInterrupt:
                pass
            return
        for mailbox in mailboxes:
            try:
                result = poll_once(runtime, mailbox)
            except Exception as exc:  # one broken mailbox must not keep the others from being polled
                failed.append(mailbox.name)
                message = str(exc) if str(exc).startswith(f"{mailbox.name}: ") else f"{mailbox.name}: {exc}"
                click.echo(f"{message} ({type(exc).__name__})", err=True)
                continue
            if as_json:
                echo_json({"mailbox": mailbox.name} | result.model_dump())
            else:
                click.echo(
                    f"{mailbox.name}: {result.fetched} fetched, {result.stored} stored, {result.duplicates} "
                    f"duplicates, {result.quarantined} quarantined, {result.marked} marked; last UID "
                    f"{result.last_uid}" + (" (UIDVALIDITY changed: folder re-read)" if result.resynced else "")
                )
        drain(worker)
    if failed:
        raise click.exceptions.Exit(1)


@imap_group.command("status")
def status_command() -> None:
    """Each configured mailbox: its folder, stored UIDVALIDITY, last stored UID, and UIDs still to mark."""
    runtime = open_runtime(needs_rules=False)
    for mailbox in _selected(runtime.settings, ()):
        position = read_position(runtime.db, mailbox.name)
        where = f"{mailbox.username}@{mailbox.host}:{mailbox.port} {mailbox.folder!r}"
        if position is None:
            click.echo(f"{mailbox.name}: {where}: never polled")
        else:
            click.echo(
                f"{mailbox.name}: {where}: UIDVALIDITY {position.uidvalidity}, last UID {position.last_uid}, "
                f"{len(position.unmarked)} stored but not yet marked"
            )


def _selected(settings: Settings, names: tuple[str, ...]) -> list[MailboxSettings]:
    configured = {m.name: m for m in settings.email.mailboxes}
    if not configured:
        raise click.ClickException("no mailboxes configured: add [[email.mailboxes]] to the config file")
    unknown = [n for n in names if n not in configured]
    if unknown:
        raise click.ClickException(f"unknown mailbox {', '.join(unknown)}; configured: {', '.join(configured)}")
    return [configured[n] for n in names] if names else list(configured.values())


async def _run_all(runtime: Runtime, mailboxes: list[MailboxSettings]) -> None:
    await asyncio.gather(*(run_mailbox(runtime, m) for m in mailboxes))
