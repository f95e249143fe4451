"""Hypothesis strategies for the fuzzing: JSON documents mutated from a valid webhook envelope, and mail bytes
mutated from the sample .eml files."""

from __future__ import annotations

import copy
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES

# reproducible in CI: the same examples every run, nothing read from or written to an example database
FUZZ = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=15),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NASTY_TEXT = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b",
        "\ud800",
        "x\udfffy",
        "\r\nBcc: x@evil.example",
        "\u202e",
        "🙂" * 50,
        "x" * 5000,
        "=?utf-8?q?=0D=0A?=",
        "[[[[",
        "null",
        "-1",
        "1e999",
    ]
)
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40) | NASTY_TEXT
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT
JSON = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12
)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*prefix, index))


def _at(doc, path):
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def mutated_json(draw, base: dict):
    """`base` with up to five fields (or items) replaced by arbitrary JSON, deleted, or given a sibling key."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 5))):
        paths = list(_paths(doc))[1:]  # not the root: a body that is not an object is refused at the door
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        parent, key = _at(doc, path[:-1]), path[-1]
        if action == "replace":
            parent[key] = draw(JSON)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(TEXT)] = draw(JSON)
        else:
            parent.append(draw(JSON))
    return doc


EMAIL_SAMPLES = sorted((SAMPLES / "email").glob("*.eml"))
TOKENS = [
    b"\r\n",
    b"\n",
    b"\x00",
    b"\xff\xfe",
    b"=?utf-8?b?",
    b"=?",
    b"?=",
    b"--",
    b"boundary=",
    b"charset=",
    b'Content-Type: multipart/mixed; boundary="b"\r\n',
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"=\r\n",
    b"=ZZ",
    b"From: <>\r\n",
    b'From: "a\r\n',
    b"Message-ID: <" + b"x" * 1200 + b">\r\n",
    b"Subject: =?utf-8?q?=0D=0ABcc:_x@evil?=\r\n",
    b"\t",
    b" ",
    b'Content-Disposition: attachment; filename*0="a"; filename*1="b.pdf"\r\n',
    b"<html><meta charset=x>",
    b"Content-Type: text/plain>\r\n",
    b"Date: 99 Foo 99999 99:99:99 +9999\r\n",
    b"\r\n\r\n",
]


@st.composite
def mutated_mail(draw) -> bytes:
    """A sample mail cut, spliced, with bytes flipped and hostile tokens inserted."""
    data = bytearray(draw(st.sampled_from(EMAIL_SAMPLES)).read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "flip", "cut", "truncate", "repeat"]))
        if action == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(max_size=16))
        elif action == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif action == "truncate":
            del data[at:]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 300))] * draw(st.integers(1, 20))
    return bytes(data)


@st.composite
def generated_mail(draw) -> bytes:
    """A mail written from scratch: arbitrary headers (known names, arbitrary values) and a body."""
    names = st.sampled_from(
        [
            "From",
            "To",
            "Cc",
            "Subject",
            "Message-ID",
            "In-Reply-To",
            "References",
            "Date",
            "Content-Type",
            "Content-Transfer-Encoding",
            "Auto-Submitted",
            "Reply-To",
            "Sender",
        ]
    )
    value = st.text(max_size=60) | st.sampled_from([t.decode("latin-1") for t in TOKENS])
    headers = draw(st.lists(st.tuples(names, value), max_size=10))
    body = draw(st.binary(max_size=300))
    head = "".join(f"{name}: {text}\r\n" for name, text in headers).encode("utf-8", "surrogateescape")
    return head + b"\r\n" + body
