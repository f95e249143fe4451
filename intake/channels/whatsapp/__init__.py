"""WhatsApp Business Cloud API channel: webhook signature, payload splitting, parsing, media download."""
