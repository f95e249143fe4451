"""After-commit messages: every kind must have an actor before anything is sent; a send that fails is logged."""

from __future__ import annotations

import logging

import pytest

from intake.core import after_commit
from intake.core.after_commit import AfterCommit, Kind, route, send_after_commit


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[tuple, dict]] = []
        self.fail = fail

    def send_with_options(self, *, args=(), **options):
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.append((args, options))


@pytest.fixture
def routes():
    saved = dict(after_commit._routes)
    yield
    after_commit._routes.clear()
    after_commit._routes.update(saved)


def test_a_kind_without_an_actor_refuses_to_start(routes):
    with pytest.raises(RuntimeError, match="without an actor: escalate"):
        route({kind: Recorder() for kind in Kind if kind != Kind.ESCALATE})


def test_the_actors_module_routes_every_kind():
    from intake import actors

    assert {kind: actor.actor_name for kind, actor in after_commit._routes.items()} == {k: k.value for k in Kind}
    assert actors.check_sla.actor_name == Kind.CHECK_SLA


def test_messages_go_to_their_actor_with_a_delay_only_when_set(routes):
    senders = {kind: Recorder() for kind in Kind}
    route(senders)
    send_after_commit([AfterCommit(Kind.SEND_OUTBOUND, (7,)), AfterCommit(Kind.CHECK_SLA, ("t", "warn", "x"), 0)])
    assert senders[Kind.SEND_OUTBOUND].sent == [((7,), {})]
    assert senders[Kind.CHECK_SLA].sent == [(("t", "warn", "x"), {"delay": 0})]


def test_a_failed_send_is_logged_and_the_rest_still_go(routes, caplog):
    senders = {kind: Recorder() for kind in Kind} | {Kind.ESCALATE: Recorder(fail=True)}
    route(senders)
    with caplog.at_level(logging.WARNING):
        send_after_commit([AfterCommit(Kind.ESCALATE, (1,)), AfterCommit(Kind.ASSIGN_TICKET, ("t",))], "EML-000001")
    assert "ticket EML-000001: could not send escalate(1,) (broker down)" in caplog.text
    assert senders[Kind.ASSIGN_TICKET].sent == [(("t",), {})]
