"""The email channel: RFC 5322 bytes (stored raw by the IMAP poller, `imap*`, or read from files, `files`) →
`InboundMessage`.

Parsing, by stage: `parse` (mail-parser + our MIME walk in `parts`: bodies, attachments with exact bytes),
`headers` + `charsets` (addresses, dates, ids, charset repair), `html` + `html_events` (HTML → text, quoted
HTML, sanitizing), `quotes` + `quote_patterns` (new text of a reply), `auto` + `bounces` + `bounce_text`
(automatic mail, delivery reports), `threading` (which ticket a mail joins) and `channel` (the `Channel`).
"""

from intake.channels.email.channel import EmailChannel

CHANNEL = EmailChannel()
