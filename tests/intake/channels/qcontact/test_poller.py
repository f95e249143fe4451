"""The QContact poller and client against a local stand-in on loopback: cursor, restart, sign-in, update."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from intake.channels.qcontact.client import QContactClient, QContactError
from intake.channels.qcontact.mapping import load_mapping
from intake.channels.qcontact.poller import CURSOR_NAME, poll_once
from store.cursors import get_cursor
from store.db import Database
from tests.conftest import make_settings
from tests.intake.channels.qcontact.standin import EMAIL, PASSWORD, case
from tests.intake.conftest import stored
from tests.waits import log_lines


def _settings(db, tmp_path, standin, **qcontact):
    return make_settings(
        db,
        tmp_path,
        qcontact={"base_url": standin.base_url, "email": EMAIL, "password": PASSWORD, "page_size": 2} | qcontact,
    )


async def test_poll_stores_every_case_and_a_restart_resumes_from_the_cursor(db, tmp_path, standin, stub_broker):
    standin.cases = [case(n) for n in range(5)]
    settings = _settings(db, tmp_path, standin)
    async with aiohttp.ClientSession() as http:
        first = await poll_once(settings, db, http)
    # keyset pages of two from the newest value seen: [0,1] [1,2] [2,3] [3,4] [4]; the repeats are deduplicated
    assert (first.fetched, first.accepted, first.duplicates, first.pages) == (9, 5, 4, 5)
    assert first.cursor == "2026-11-20T08:04:00Z"
    assert [i.channel_id for i in stored(db, "qcontact")] == [f"case:{48200 + n}" for n in range(5)]

    # a restart: a new process, a new database connection, a new HTTP session; only the DB remembers
    restarted = Database(db.url)
    with restarted.session() as session:
        assert get_cursor(session, CURSOR_NAME) == "2026-11-20T08:04:00Z"
    standin.cases += [case(7), case(8)]
    standin.requests.clear()
    async with aiohttp.ClientSession() as http:
        second = await poll_once(settings, restarted, http)
    restarted.dispose()
    assert "2026-11-20T08:04:00Z" in standin.requests[0][2]["filters"]
    assert (second.fetched, second.accepted, second.duplicates) == (5, 2, 3)  # [4,7] [7,8] [8]: boundaries again
    assert second.cursor == "2026-11-20T08:08:00Z"
    assert len(stored(db, "qcontact")) == 7


async def test_expired_token_signs_in_again_and_bad_records_are_quarantined(db, tmp_path, standin, stub_broker):
    standin.cases = [case(1), {"subject": "no id at all", "updated_at": "2026-11-20T08:02:00Z"}]
    settings = _settings(db, tmp_path, standin, page_size=10)
    async with aiohttp.ClientSession() as http:
        await poll_once(settings, db, http)
        standin.expire_tokens()
        standin.cases.append(case(3))
        result = await poll_once(settings, db, http)
    assert standin.sign_ins == 2 and result.accepted == 1
    states = sorted((i.state, i.channel_id.split(":")[0]) for i in stored(db, "qcontact"))
    assert states == [("pending", "case"), ("pending", "case"), ("quarantined", "rejected")]


async def test_client_update_status_and_refused_sign_in(tmp_path, standin, sqlite_db):
    standin.cases = [case(1)]
    settings = _settings(sqlite_db, tmp_path, standin)
    async with aiohttp.ClientSession() as http:
        client = QContactClient(settings.qcontact, http, load_mapping())
        answer = await client.update_status("48201", "resolved")
        assert answer["status"] == "resolved" and standin.cases[0]["status"] == "resolved"
        assert standin.requests[-1] == ("PATCH", "/api/v2/entities/Case/48201", {"status": "resolved"})
        wrong = settings.qcontact.model_copy(update={"password": SecretStr("wrong")})
        with pytest.raises(QContactError, match="sign-in refused: HTTP 401"):
            await QContactClient(wrong, http, load_mapping()).list_cases(None)


async def test_run_poller_keeps_polling_and_survives_an_outage(db, tmp_path, standin, stub_broker):
    import asyncio
    from types import SimpleNamespace

    from intake.channels.qcontact.poller import run_poller

    standin.cases = [case(1)]
    settings = _settings(db, tmp_path, standin, poll_interval_seconds=0)
    away = settings.qcontact.model_copy(update={"base_url": standin.base_url + "nowhere/"})
    broken = settings.model_copy(update={"qcontact": away})
    with log_lines("intake.channels.qcontact") as poller_log:
        outage = asyncio.create_task(run_poller(SimpleNamespace(settings=broken, db=db)))
        await poller_log.wait_for_async("qcontact poll failed", timeout=30)
        assert not outage.done()  # 404s are logged and retried, the task lives on
        outage.cancel()
        task = asyncio.create_task(run_poller(SimpleNamespace(settings=settings, db=db)))
        await poller_log.wait_for_async("qcontact poll: 1 cases fetched, 1 new", timeout=30)
    task.cancel()
    await asyncio.gather(task, outage, return_exceptions=True)
    assert [i.channel_id for i in stored(db, "qcontact")] == ["case:48201"]


async def test_the_order_is_asked_for_and_an_unsorted_answer_loses_nothing(db, tmp_path, standin, stub_broker):
    standin.honours_sort = False
    standin.cases = [case(n) for n in (4, 0, 1, 3, 2)]  # newest first on page 1, the oldest left for page 3
    short = _settings(db, tmp_path, standin, max_pages_per_poll=2)
    async with aiohttp.ClientSession() as http:
        cut = await poll_once(short, db, http)
        assert standin.requests[0][2]["sort"] == "updated_at" and standin.requests[0][2]["sort_direction"] == "asc"
        assert (cut.fetched, cut.pages, cut.cursor) == (4, 2, None)  # unsorted and cut short: cursor kept
        full = await poll_once(_settings(db, tmp_path, standin), db, http)
    assert full.cursor == "2026-11-20T08:04:00Z" and full.accepted == 1  # case 2, which a moved cursor would skip
    assert sorted(i.channel_id for i in stored(db, "qcontact")) == [f"case:{48200 + n}" for n in range(5)]


async def test_a_sorted_answer_moves_the_cursor_page_by_page(db, tmp_path, standin, stub_broker):
    standin.cases = [case(n) for n in (4, 0, 1, 3, 2)]  # stored unsorted, answered sorted as asked
    async with aiohttp.ClientSession() as http:
        cut = await poll_once(_settings(db, tmp_path, standin, max_pages_per_poll=2), db, http)
    assert cut.cursor == "2026-11-20T08:02:00Z"  # [0,1] then [1,2], oldest first: safe to resume from there


async def test_a_changed_case_is_not_stored_again(db, tmp_path, standin, stub_broker):
    """Documented behaviour: edits to a case we hold are dropped (tenant additions come as interactions)."""
    standin.cases = [case(1)]
    settings = _settings(db, tmp_path, standin)
    async with aiohttp.ClientSession() as http:
        await poll_once(settings, db, http)
        standin.cases[0] |= {"status": "pending", "updated_at": "2026-11-20T09:30:00Z"}
        again = await poll_once(settings, db, http)
    assert (again.accepted, again.duplicates, again.cursor) == (0, 1, "2026-11-20T09:30:00Z")
    assert [i.channel_id for i in stored(db, "qcontact")] == ["case:48201"]


async def test_a_case_changed_mid_pass_cannot_slip_between_pages(db, tmp_path, standin, stub_broker):
    """Page numbers over a moving result would skip: case 0 changes after page 1, moves to the end, and
    case 2 would shift onto the page already read. Asking each page from the newest value seen loses none."""
    standin.cases = [case(n) for n in range(5)]
    answer = standin.list_cases

    async def change_case_0_after_the_first_page(request):
        response = await answer(request)
        if len(standin.requests) == 1:
            standin.cases[0] |= {"status": "pending", "updated_at": "2026-11-20T09:00:00Z"}
        return response

    standin.list_cases = change_case_0_after_the_first_page
    fake_app = standin.app  # the routes bind the method when the app is built: rebuild on a fresh server
    server = TestServer(fake_app(), host="127.0.0.1")
    await server.start_server()
    try:
        standin.base_url = str(server.make_url("/api/v2/"))
        async with aiohttp.ClientSession() as http:
            result = await poll_once(_settings(db, tmp_path, standin), db, http)
    finally:
        await server.close()
    assert sorted(i.channel_id for i in stored(db, "qcontact")) == [f"case:{48200 + n}" for n in range(5)]
    assert result.accepted == 5 and result.cursor == "2026-11-20T09:00:00Z"


async def test_more_cases_at_one_value_than_a_page_are_paged_by_number(db, tmp_path, standin, stub_broker):
    standin.cases = [case(n) | {"updated_at": "2026-11-20T08:00:00Z"} for n in range(5)]  # a bulk import
    async with aiohttp.ClientSession() as http:
        result = await poll_once(_settings(db, tmp_path, standin), db, http)
    assert result.accepted == 5 and result.cursor == "2026-11-20T08:00:00Z"
    assert [q["page"] for _, _, q in standin.requests] == ["1", "1", "2", "3"]
