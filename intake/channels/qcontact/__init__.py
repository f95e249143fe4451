"""QContact contact-centre channel: webhook and REST poller, driven by a YAML field mapping."""

from intake.channels.qcontact.channel import QContactChannel

CHANNEL = QContactChannel()
