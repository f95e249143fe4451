"""Email parse speed: mails/second through `EmailChannel.parse`, beside mail-parser alone on the same bytes.

    .venv/bin/python benchmarks/bench_parse_email.py [--rounds 3]

Input: every mail of the shared corpora (zammad-mail, autoreply-bounce, mail-parser, talon), read into memory
first. The baseline is `mailparser.parse_from_bytes` (MIME split and its own body decoding) in the same run;
ours adds charset repair, HTML → text, quote and signature removal, attachment hashing, automatic-mail and
bounce detection. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import mailparser

    from intake.channels.base import ParseError, RawRecord
    from intake.channels.email.channel import EmailChannel
    from intake.core.settings import Settings

    logging.getLogger("mailparser").setLevel(logging.ERROR)
    patterns = [
        "zammad-mail/**/*.box",
        "autoreply-bounce/**/*.eml",
        "autoreply-bounce/**/*.box",
        "autoreply-bounce/flufl-bounce/*.txt",
        "mail-parser/mail_*",
        "talon/**/*.eml",
    ]
    payloads = [p.read_bytes() for pattern in patterns for p in sorted(CORPORA.glob(pattern))]
    total_bytes = sum(map(len, payloads))
    now = datetime.now(UTC)
    records = [
        RawRecord(
            id=i, channel="email", channel_id=str(i), payload=data, content_type="message/rfc822", received_at=now
        )
        for i, data in enumerate(payloads)
    ]
    channel, settings = EmailChannel(), Settings()

    def run_ours() -> None:
        for record in records:
            try:
                channel.parse(record, settings)
            except ParseError:
                pass

    def run_baseline() -> None:
        for data in payloads:
            try:
                mailparser.parse_from_bytes(data)
            except Exception:
                pass

    timings = {}
    for name, run in (("mail-parser alone", run_baseline), ("EmailChannel.parse", run_ours)):
        best = float("inf")
        for _ in range(args.rounds):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        timings[name] = best
        print(
            f"{name:20s} {len(payloads) / best:8.0f} mails/s  {total_bytes / best / 1e6:6.1f} MB/s  "
            f"({len(payloads)} mails, {total_bytes / 1e6:.1f} MB, best of {args.rounds})"
        )
    ratio = timings["mail-parser alone"] / timings["EmailChannel.parse"]
    print(f"ratio: EmailChannel.parse runs at {ratio:.0%} of mail-parser's speed")


if __name__ == "__main__":
    main()
