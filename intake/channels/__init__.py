"""Channel registry: one module per channel, looked up by name.

Modules are imported on first use so that a web-only or worker-only process loads just what it needs.
"""

from __future__ import annotations

import importlib

from intake.channels.base import Channel
from intake.core.models import ChannelName

_CHANNELS: dict[ChannelName, str] = {
    ChannelName.EMAIL: "intake.channels.email.channel:EmailChannel",
    ChannelName.WHATSAPP: "intake.channels.whatsapp.channel:WhatsAppChannel",
    ChannelName.WAHA: "intake.channels.waha.channel:WahaChannel",
    ChannelName.QCONTACT: "intake.channels.qcontact.channel:QContactChannel",
    ChannelName.INTERNAL: "intake.channels.internal:InternalChannel",
}


def get_channel(name: ChannelName | str) -> Channel:
    """The channel object for a name; raises KeyError naming the channel when there is none."""
    target = _CHANNELS[ChannelName(name)]
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)()
