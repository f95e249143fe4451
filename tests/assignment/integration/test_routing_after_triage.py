"""Routing after triage is never lost and done once: the beat's sweeper re-sends the routing of a triaged ticket
whose `assign_ticket` message the broker lost (a Redis restart), and a command's own message plus the sweeper's
route it once. A command on the in-process broker hands the SLA timer messages delayed past its exit back to
the sweeper. The real pipeline, the real Redis broker on a private server and real workers, on both databases."""

from __future__ import annotations

import shutil

from dramatiq.brokers.stub import StubBroker

from assignment.actors_impl import sweep_due_timers
from assignment.routing import sweep_unrouted
from intake.broker import use_broker
from intake.cli.settle import settled_messages
from intake.cli.staff import set_status
from store.models import Ticket
from tests.assignment.integration.conftest import MINUTE, at, drain, events_of, new_ticket, timers_of
from tests.conftest import ROOT

UNSURE = {"subject": "Re: Slow drain", "body": "Thanks for the quick answer."}  # low confidence: triage queue
DRAIN = {
    "subject": "Slow drain",
    "body": "The bathroom sink in unit 101 drains slowly. No rush, whenever someone is around.",
}


def ticket(runtime, ticket_id: str) -> Ticket:
    with runtime.db.session() as session:
        row = session.get(Ticket, ticket_id)
        session.expunge(row)
        return row


def routings(runtime, ticket_id: str) -> list[tuple[str, str]]:
    """(actor, what) of the rules evaluations and assignments after the dispatcher's triage."""
    triaged = next(
        e.id for e in events_of(runtime, ticket_id, "status-changed") if e.changes["status"]["to"] == "triaged"
    )
    evaluated = [("rules", "evaluated") for e in events_of(runtime, ticket_id, "rules-evaluated") if e.id > triaged]
    assigned = [
        (e.actor, "assigned")
        for e in events_of(runtime, ticket_id, "status-changed")
        if e.changes["status"]["to"] == "assigned" and e.id > triaged
    ]
    return evaluated + assigned


def triage_queue_ticket(runtime, clock, broker, worker) -> Ticket:
    clock.set(at("2026-11-30T11:00:00-05:00"))
    unsure = ticket(runtime, new_ticket(runtime, broker, worker, message_id="<unsure@example.net>", **UNSURE))
    assert (unsure.team, unsure.needs_review, unsure.status) == ("dispatch", True, "new")
    return unsure


def test_the_sweeper_routes_a_triaged_ticket_whose_message_was_lost_once(
    runtime, clock, timer_broker, worker_factory, private_redis
):
    worker = worker_factory(timer_broker)
    unsure = triage_queue_ticket(runtime, clock, timer_broker, worker)
    worker.stop()  # nobody takes the routing message before Redis restarts
    clock.set(clock() + MINUTE)
    set_status(runtime, unsure.number, "triaged", actor="dora-dispatcher")
    assert private_redis.keys("*timers*")
    private_redis.shutdown_nosave()
    private_redis.start()  # the routing message is gone; the ticket has nobody on it
    assert (ticket(runtime, unsure.id).team, ticket(runtime, unsure.id).assignee) == (None, None)

    assert sweep_unrouted(runtime) == []  # within the grace the command's own message may still come
    clock.set(clock() + 2 * MINUTE)
    assert sweep_unrouted(runtime) == [unsure.id]
    assert sweep_unrouted(runtime) == [unsure.id]  # a second sweep before a worker ran: two messages
    worker = worker_factory(timer_broker)
    drain(timer_broker, worker)
    after = ticket(runtime, unsure.id)
    assert (after.team, after.status) == ("plumbing", "assigned")
    assert routings(runtime, unsure.id) == [("rules", "evaluated"), ("plumbing-specialist", "assigned")]  # once
    assert sweep_unrouted(runtime) == []  # routed: nothing more to send


def test_the_commands_message_and_the_sweepers_route_once(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    unsure = triage_queue_ticket(runtime, clock, timer_broker, worker)
    worker.stop()  # both messages wait in Redis: the command's and the sweeper's
    set_status(runtime, unsure.number, "triaged", actor="dora-dispatcher")
    clock.set(clock() + 2 * MINUTE)
    assert sweep_unrouted(runtime) == [unsure.id]
    worker = worker_factory(timer_broker, threads=4)
    drain(timer_broker, worker)
    assert routings(runtime, unsure.id) == [("rules", "evaluated"), ("plumbing-specialist", "assigned")]
    assert len([e for e in events_of(runtime, unsure.id, "fields-changed") if "team" in e.changes]) == 3  # rule,
    # dispatcher (the triage queue's assignment released), rule again after the triage: no double


def test_a_ticket_the_rules_route_nowhere_is_evaluated_once(runtime, clock, timer_broker, worker_factory, tmp_path):
    rules = tmp_path / "rules-nowhere"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "assignment.yaml"
    text = path.read_text(encoding="utf-8")
    for assignment in (
        "assign: {team: plumbing, specialist: plumbing}",
        "assign: {team: dispatch}\n      triage: true",
    ):
        assert assignment in text
        text = text.replace(assignment, "tags: [unrouted]")
    path.write_text(text, encoding="utf-8")
    runtime.settings = runtime.settings.model_copy(update={"rules_dir": rules})
    worker = worker_factory(timer_broker)
    unsure = triage_queue_ticket(runtime, clock, timer_broker, worker)
    set_status(runtime, unsure.number, "triaged", actor="dora-dispatcher")
    drain(timer_broker, worker)
    after = ticket(runtime, unsure.id)
    assert (after.status, after.team, after.assignee, after.tags) == (
        "triaged",
        None,
        None,
        ["needs-review", "unrouted"],
    )
    clock.set(clock() + 2 * MINUTE)
    for _ in range(2):  # the ticket still has nobody on it, but the rules had their say: nothing to re-send
        assert sweep_unrouted(runtime) == []
    assert routings(runtime, unsure.id) == [("rules", "evaluated")]


def test_a_command_without_redis_hands_its_delayed_timers_back_to_the_sweeper(runtime, clock, worker_factory):
    broker = use_broker(StubBroker())
    broker.emit_after("process_boot")
    try:
        worker = worker_factory(broker)
        clock.set(at("2026-11-30T09:00:00-05:00"))
        ticket_id = new_ticket(runtime, broker, worker, **DRAIN)
        worker.stop()
        number = ticket(runtime, ticket_id).number
        warn = timers_of(runtime, ticket_id)["first_response_warn"]
        clock.set(warn.due_at - MINUTE)
        set_status(runtime, number, "pending", actor="pat-plumber", waiting_on="tenant")
        clock.set(warn.due_at + 9 * MINUTE)  # resumed 10 minutes later: the warning is due in one minute
        with settled_messages(runtime):  # what `intake tickets status` runs in
            set_status(runtime, number, "in_progress", actor="pat-plumber")
        moved = timers_of(runtime, ticket_id)["first_response_warn"]
        assert moved.due_at == warn.due_at + 10 * MINUTE and moved.state == "scheduled"
        assert moved.sent_at is None  # its message died with the command: the row says so
        assert moved.id in sweep_due_timers(runtime)  # the service's sweeper arms it on its next pass
    finally:
        broker.close()
        use_broker(StubBroker())


def test_the_beat_sends_the_routing_sweeper():
    from apscheduler.schedulers.background import BackgroundScheduler

    from intake.beat import _extra_jobs

    scheduler = BackgroundScheduler()
    for add in _extra_jobs():
        add(scheduler, None)
    job = scheduler.get_job("sweep-unrouted-tickets")
    assert job is not None and job.func.__self__.actor_name == "sweep_unrouted"
