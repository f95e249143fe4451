"""Loading the shared mail corpora for the email-channel tests (parsed once per test session).

Zammad's expected results are Ruby YAML dumps; `load_zammad_yml` reads them with a safe loader that maps
`!ruby/…` tags to plain data and `!binary` to bytes.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

import yaml

from intake.channels.base import ParseError
from intake.channels.email.auto import AutoVerdict, detect_automatic
from intake.channels.email.parse import ParsedEmail, load_message, parse_email

OUR_ADDRESSES = ["maintenance@intake.example"]
MARKER = "intake"


class _RubyLoader(yaml.SafeLoader):
    pass


def _ruby(loader: yaml.Loader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_RubyLoader.add_multi_constructor("!ruby/", _ruby)
_RubyLoader.add_constructor("!binary", lambda loader, node: base64.b64decode(loader.construct_scalar(node)))


def load_zammad_yml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_RubyLoader)


def normalize_ws(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


@cache
def parsed(path: Path) -> ParsedEmail | ParseError:
    """The parse of one corpus mail, or the ParseError it raised (cached: several tests look at the same)."""
    try:
        return parse_email(path.read_bytes())
    except ParseError as exc:
        return exc


@cache
def verdict(path: Path) -> AutoVerdict | None:
    """The automatic-mail verdict on one corpus mail (reusing its cached parse)."""
    result = parsed(path)
    message = load_message(path.read_bytes()) if isinstance(result, ParseError) else result.message
    return detect_automatic(message, OUR_ADDRESSES, MARKER)


def percent(hits: int, total: int) -> float:
    return round(100.0 * hits / total, 1) if total else 0.0
