"""`intake qcontact poll | set-status`: run the QContact poller once, or try the status update by hand."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import click

from intake.channels.qcontact.client import QContactClient, QContactError
from intake.channels.qcontact.mapping import load_mapping
from intake.channels.qcontact.poller import poll_once
from intake.cli.common import drain, in_process_worker, open_runtime
from intake.core.settings import get_settings


@click.group("qcontact")
def qcontact_group() -> None:
    """QContact contact centre: poll cases, update a case's status."""


@qcontact_group.command("poll")
def poll_command() -> None:
    """Fetch the cases changed since the stored cursor once, store and process them, print what happened."""
    if not get_settings().qcontact.base_url:
        raise click.ClickException("qcontact.base_url is not configured (INTAKE_QCONTACT__BASE_URL)")
    runtime = open_runtime()

    async def run():
        async with aiohttp.ClientSession() as http:
            return await poll_once(runtime.settings, runtime.db, http)

    result = asyncio.run(run())
    # without Redis the cases are processed before the command exits; after the poll, not beside it: the
    # poller's cursor write (read, then write) would meet the worker's commits on SQLite ("database is locked")
    with in_process_worker() as worker:
        drain(worker)
    click.echo(json.dumps(result.model_dump(), indent=2))


@qcontact_group.command("set-status")
@click.argument("case_id")
@click.argument("status")
def set_status_command(case_id: str, status: str) -> None:
    """Set CASE_ID's status in QContact (the call outbound will make), e.g. `set-status 48213 resolved`."""
    settings = get_settings()

    async def run():
        async with aiohttp.ClientSession() as http:
            client = QContactClient(settings.qcontact, http, load_mapping(settings.qcontact.mapping_file))
            return await client.update_status(case_id, status)

    try:
        click.echo(json.dumps(asyncio.run(run()), indent=2, default=str))
    except QContactError as exc:
        raise click.ClickException(str(exc)) from None
