"""A megabyte From header (encoded words between quotes: each one used to re-scan the header before it) is
parsed in bounded time by the real `intake parse-email`: the requester when the address comes first, a clear
reason when it is past the `limits.address_header_max_chars` cut. Run in a subprocess with a timeout (the old
code took ~9 s for 128 KB and grows with the square of the length), never a speed assertion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

WORD = '"=?utf-8?q?Ten=22ant?= x" =?utf-8?q?a?= '  # a quoted encoded word, then an unquoted one
MEGABYTE_OF_WORDS = WORD * (1024 * 1024 // len(WORD))


def _mail(from_value: str) -> bytes:
    return (
        f"From: {from_value}\r\nTo: help@example.com\r\nSubject: Leak\r\n"
        "Message-ID: <long-from@example.net>\r\n\r\nWater under the sink.\r\n"
    ).encode()


def _parse_email(tmp_path: Path, raw: bytes) -> dict:
    path = tmp_path / "mail.eml"
    path.write_bytes(raw)
    done = subprocess.run(
        [sys.executable, "-m", "intake.cli.main", "parse-email", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )  # the worker's own limit is 300 s
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    "from_value, expected",
    [
        (f"Tenant <tenant@example.net>, {MEGABYTE_OF_WORDS}", {"from": "tenant@example.net"}),
        (
            f"{MEGABYTE_OF_WORDS} <tenant@example.net>",
            {
                "error": "no sender address in From, Sender, Reply-To or "
                "Return-Path (From read up to "
                "limits.address_header_max_chars = 16,384)"
            },
        ),
    ],
    ids=["address-first", "address-past-the-cut"],
)
@pytest.mark.slow  # megabyte headers
def test_a_megabyte_from_header_is_parsed_in_bounded_time(tmp_path, from_value, expected):
    result = _parse_email(tmp_path, _mail(from_value))
    assert {key: result.get(key) for key in expected} == expected
