"""WhatsApp Business Cloud API channel: webhook signature, payload splitting, parsing, media download."""

from intake.channels.whatsapp.channel import WhatsAppChannel

CHANNEL = WhatsAppChannel()
