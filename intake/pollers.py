"""Pull channels inside `intake run`: each configured poller runs as a task of the web app's event loop."""

from __future__ import annotations

import asyncio
import logging

from intake.runtime import Runtime

log = logging.getLogger(__name__)


def start_pollers(runtime: Runtime):
    """An aiohttp cleanup context that starts the pollers with the app and cancels them at shutdown."""

    async def context(app):
        tasks = [asyncio.create_task(coro, name=name) for name, coro in _poller_coroutines(runtime)]
        for task in tasks:
            log.info("poller %s started", task.get_name())
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    return context


def _poller_coroutines(runtime: Runtime):
    settings = runtime.settings
    if settings.email.mailboxes:
        from intake.channels.email.imap import run_mailbox

        for mailbox in settings.email.mailboxes:
            yield f"imap:{mailbox.name}", run_mailbox(runtime, mailbox)
    if settings.qcontact.base_url:
        from intake.channels.qcontact.poller import run_poller

        yield "qcontact", run_poller(runtime)
