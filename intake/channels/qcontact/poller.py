"""The QContact poller: for teams whose QContact cannot call our webhook, fetch changed cases instead.

A pull channel: each case becomes a raw item through the same `accept` as the webhook (so a case seen by
both is stored once), and the since-cursor is written to the database only after its page is stored, so
a crash or restart re-reads at most one page, which deduplication absorbs. The order of the answer is
asked for but never trusted (see `poll_once`).

A case is stored once, as `case:<id>`: a later change to a case we already hold (status, description) is a
duplicate and dropped on purpose, so the case's ticket is not re-opened or re-classified by edits made in
QContact (including our own status updates, later). What a tenant adds to a case arrives as an
`interaction:<id>` item through the webhook, which joins the case's ticket by its `FT…` number.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime

import aiohttp
from pydantic import BaseModel

from intake.channels.payload import rejected_raw
from intake.channels.qcontact.client import QContactClient
from intake.channels.qcontact.mapping import load_mapping, pick_text
from intake.channels.qcontact.payload import case_input
from intake.channels.qcontact.record import parse_time
from intake.core.models import ChannelName, RawInput
from intake.core.settings import Settings
from intake.ingest import accept, quarantine_input
from store.cursors import get_cursor, set_cursor

log = logging.getLogger(__name__)
CURSOR_NAME = "qcontact:cases"


class PollResult(BaseModel):
    """What one pass did."""

    fetched: int = 0  # cases in the answers, over all pages
    accepted: int = 0  # new raw items
    duplicates: int = 0  # cases the store already had (changes to a known case are dropped on purpose)
    quarantined: int = 0  # cases it cannot take (no usable id, a field of the wrong type), kept with the reason
    pages: int = 0
    cursor: str | None = None  # where the next pass starts


async def poll_once(settings: Settings, db, http: aiohttp.ClientSession, *, enqueue: bool = True) -> PollResult:
    """Fetch every case changed since the stored cursor, store them, advance the cursor safely.

    We ask for oldest-first (`api.sort_params`) but do not trust it. While every page is sorted and starts
    at or after the newest value of the pages before it, the cursor moves to the page's newest value once
    the page is stored (a crash re-reads one page), and the next page is asked from there (keyset paging:
    the cases at that very value come again and are deduplicated). As soon as a page breaks that order, a later page may
    still hold older changes, so the cursor moves only after the whole pass, to the newest value seen; a
    pass cut short by `max_pages_per_poll` then leaves it where it was (re-read next time, deduplicated).
    """
    mapping = load_mapping(settings.qcontact.mapping_file)
    client = QContactClient(settings.qcontact, http, mapping)
    cursor = await asyncio.to_thread(_read_cursor, db)
    result = PollResult(cursor=cursor)
    field, ordered, newest, complete = mapping.api.cursor_field, True, cursor, False
    since, page = cursor, 1
    for request in range(1, settings.qcontact.max_pages_per_poll + 1):
        cases = await client.list_cases(since, page)
        result.pages, result.fetched = request, result.fetched + len(cases)
        ordered = ordered and _is_ascending(cases, field, newest)
        newest = _newest(cases, field, newest)
        stored = await asyncio.to_thread(_store_page, db, cases, mapping, newest if ordered else None, enqueue)
        result.accepted += stored[0]
        result.duplicates += stored[1]
        result.quarantined += stored[2]
        if ordered:
            result.cursor = newest
        if len(cases) < settings.qcontact.page_size:
            complete = True
            break
        # Sorted: the next page is asked from the newest value seen, not by page number, so a case changed
        # mid-pass (it moves to the end, shifting the rest forward) cannot slip between two pages. A page
        # that all shares the value asked from cannot move it: then, and once unsorted, page on by number.
        if ordered and newest != since:
            since, page = newest, 1
        else:
            page += 1
    if not ordered and complete and newest != result.cursor:
        await asyncio.to_thread(_write_cursor, db, newest)
        result.cursor = newest
    elif not ordered:
        log.warning(
            "qcontact poll: cases came unsorted and the pass stopped after %d pages; cursor kept at %s",
            result.pages,
            result.cursor,
        )
    log.info(
        "qcontact poll: %d cases fetched, %d new, %d duplicates, %d quarantined",
        result.fetched,
        result.accepted,
        result.duplicates,
        result.quarantined,
    )
    return result


async def run_poller(runtime) -> None:
    """`intake run`'s QContact task: poll every `qcontact.poll_interval_seconds`, backing off on errors."""
    settings = runtime.settings
    delay = settings.qcontact.poll_interval_seconds
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                await poll_once(settings, runtime.db, http)
                delay = settings.qcontact.poll_interval_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # QContact or the database is away: keep the cursor, try again later
                delay = min(max(delay, 1) * 2, 3600)
                log.warning("qcontact poll failed (%s: %s); next try in %d s", type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)


def _read_cursor(db) -> str | None:
    with db.session() as session:
        return get_cursor(session, CURSOR_NAME)


def _write_cursor(db, value: str) -> None:
    with db.session() as session:
        set_cursor(session, CURSOR_NAME, value)


def _store_page(db, cases: list, mapping, newest: str | None, enqueue: bool) -> tuple[int, int, int]:
    items: list[RawInput] = []
    quarantined = 0
    for case in cases:
        split = case_input(case, mapping)
        items += split.items
        for rejected in split.rejected:
            quarantine_input(db, _rejected_input(rejected.payload), rejected.reason)
            quarantined += 1
    results = accept(db, items, enqueue=enqueue) if items else []
    if newest:  # after the commit above: a crash before this line only re-reads this page
        _write_cursor(db, newest)
    new = sum(not r.duplicate for r in results)
    return new, len(results) - new, quarantined


def _rejected_input(payload: bytes) -> RawInput:
    digest = hashlib.sha256(payload).hexdigest()[:40]
    return rejected_raw(ChannelName.QCONTACT, f"rejected:{digest}", payload, "poller:qcontact")


def _newest(cases: list, field: str, current: str | None) -> str | None:
    """The latest cursor value among the cases (compared as times when they read as times)."""
    best, best_key = current, _sort_key(current)
    for case in cases:
        value = pick_text(case, [field]) if isinstance(case, dict) else None
        key = _sort_key(value)
        if value and (best_key is None or key > best_key):
            best, best_key = value, key
    return best


def _is_ascending(cases: list, field: str, floor: str | None) -> bool:
    """Whether the page is oldest-first and starts at or after `floor` (the newest value of earlier pages)."""
    keys = [_sort_key(pick_text(case, [field]) if isinstance(case, dict) else None) for case in cases]
    keys = [key for key in keys if key is not None]  # a case without the field is quarantined, not ordered
    floor_key = _sort_key(floor)
    if keys and floor_key is not None and keys[0] < floor_key:
        return False
    return all(a <= b for a, b in zip(keys, keys[1:]))


def _sort_key(value: str | None) -> tuple | None:
    if not value:
        return None
    moment = parse_time(value)
    return (1, moment.timestamp(), value) if isinstance(moment, datetime) else (0, 0.0, value)
