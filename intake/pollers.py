"""Pull channels inside `intake run`: every registered channel's pollers run as tasks of the web app's event loop."""

from __future__ import annotations

import asyncio
import logging

from intake.channels.registry import channels
from intake.runtime import Runtime

log = logging.getLogger(__name__)


def start_pollers(runtime: Runtime):
    """An aiohttp cleanup context that starts the pollers with the app and cancels them at shutdown."""

    async def context(app):
        pollers = [poller for channel in channels() for poller in channel.pollers(runtime)]
        tasks = [asyncio.create_task(coro, name=name) for name, coro in pollers]
        for task in tasks:
            log.info("poller %s started", task.get_name())
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    return context
