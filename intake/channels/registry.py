"""The registered channels: every module or package under `intake/channels/` that sets `CHANNEL`.

Adding a channel is adding one package that sets `CHANNEL` (see `base.Channel` for what it provides) and
naming it in `ChannelName`; nothing else names channels one by one. They are found on first use, once per
process, and a name without a channel, or with two, stops the process there rather than at the first message.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from intake.channels.base import Channel
from intake.core.models import ChannelName

_HERE = Path(__file__).parent


class RegistryError(Exception):
    """The channel packages do not match `ChannelName` one to one (the operator's installation is broken)."""


@cache
def channels() -> tuple[Channel, ...]:
    """Every channel, in `ChannelName` order."""
    found: dict[ChannelName, Channel] = {}
    for module in pkgutil.iter_modules([str(_HERE)]):
        # imported by name: the channel packages are only known once listed here (a plug-in loader)
        channel = getattr(importlib.import_module(f"{__package__}.{module.name}"), "CHANNEL", None)
        if channel is None:
            continue
        if channel.name in found:
            raise RegistryError(f"two channels are named {channel.name.value!r} (one in intake.channels.{module.name})")
        found[channel.name] = channel
    missing = [name.value for name in ChannelName if name not in found]
    if missing:
        raise RegistryError(f"no channel package for {', '.join(missing)}")
    return tuple(found[name] for name in ChannelName)


def get_channel(name: ChannelName | str) -> Channel:
    """The channel of a name; ValueError for a name that is not a `ChannelName`."""
    return _by_name()[ChannelName(name)]


def ticket_prefix(name: ChannelName | str) -> str:
    """The prefix of the ticket numbers a channel opens ("EML" for EML-000123)."""
    return get_channel(name).ticket_prefix


@cache
def _by_name() -> dict[ChannelName, Channel]:
    return {channel.name: channel for channel in channels()}
