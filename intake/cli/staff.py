"""`intake tickets status|respond|assign`: what staff do to a ticket. Each is a plain function (used by tests and,
later, the web UI) wrapped by a click command; every change is a timeline event with its actor, and SLA due
times and timers are re-planned in the same transaction (pending pauses the clocks, an answer stops the
first-response timers), their broker messages sent after the commit.
"""

from __future__ import annotations

import click

from assignment.conditions import suggest
from assignment.followup import is_rules_actor, last_setter
from assignment.pauses import ClockStops
from assignment.routing import is_awaiting_routing, routing_after_triage
from assignment.ticket_facts import ticket_waiting_on
from assignment.timers import replan
from intake.cli.common import open_runtime
from intake.cli.settle import settled_messages
from intake.core.after_commit import AfterCommit, Kind, send_after_commit
from intake.core.vocabulary import ROUTABLE_STATUSES
from store import tickets as ticket_store
from store.errors import IllegalTransition
from store.models import Ticket, TicketMessage


class StaffError(click.ClickException):
    """A staff command that cannot be done as asked (unknown ticket, person, or illegal transition)."""


def _ticket(session, number: str) -> Ticket:
    ticket = ticket_store.get_by_number(session, number)
    if ticket is None:
        raise StaffError(f"no ticket {number}")
    return ticket


def set_status(
    runtime, number: str, status: str, *, actor: str, reason: str | None = None, waiting_on: str | None = None
) -> str:
    """Move a ticket to `status` (IllegalTransition → StaffError); pending pauses SLA clocks (or not, by what it
    waits on: sla.yaml `waiting_on`), leaving resumes. A pending ticket may switch what it waits on."""
    with runtime.db.locked() as session:
        ticket, now = _ticket(session, number), runtime.clock()
        engine = runtime.rules().current()
        stops = engine.sla.pause_statuses
        _check_waiting_on(ticket.number, status, waiting_on, stops)
        before, waited = ticket.status, ticket_waiting_on(ticket)
        why = "; ".join(filter(None, [f"waiting on {waiting_on}" if waiting_on else None, reason or f"set by {actor}"]))
        details = {"waiting_on": waiting_on} if waiting_on else None
        if before == status == "pending" and waiting_on and waiting_on != waited:
            # a new reason starts a new stretch, which may pause where the last one did not (or the reverse)
            ticket_store.add_event(
                session,
                ticket,
                "status-changed",
                actor=actor,
                at=now,
                reason=why,
                changes={"status": {"from": before, "to": status}, **details},
            )
        try:
            ticket_store.change_status(session, ticket, status, actor=actor, reason=why, at=now, details=details)
        except IllegalTransition as exc:
            raise StaffError(f"{ticket.number}: {exc}") from None
        if status == "triaged":
            _finish_triage(session, ticket, engine, actor=actor, now=now)
        clock = None
        if status == "pending":
            clock = stops.describe(status, waiting_on) + (
                "" if stops.stops(status, waiting_on) else ": the clock keeps running"
            )
        messages = replan(session, ticket, engine, now, actor="sla", why=clock)
        if status == "triaged" and not ticket.assignee:  # the rules route it now that a person checked it
            messages.append(AfterCommit(Kind.ASSIGN_TICKET, (ticket.id,)))
    send_after_commit(messages, number)
    return f"{number.upper()}: {before} → {status}" + (f" (waiting on {waiting_on})" if waiting_on else "")


def _check_waiting_on(number: str, status: str, waiting_on: str | None, stops: ClockStops) -> None:
    """Refuse a reason on a status other than pending, or one sla.yaml does not declare."""
    if waiting_on is None:
        return
    if status != "pending":
        raise StaffError(f"{number}: --waiting-on goes only with pending (not {status})")
    if waiting_on not in stops.reasons:
        known = sorted(stops.reasons)
        hint = suggest(waiting_on, known) or (
            f"sla.yaml declares: {', '.join(known)}" if known else "sla.yaml declares no `waiting_on` values"
        )
        raise StaffError(f"{number}: unknown waiting-on value {waiting_on!r}: {hint}")


def _finish_triage(session, ticket: Ticket, engine, *, actor: str, now) -> None:
    """A dispatcher checked the classification: it no longer needs review (confidence counts as certain), and
    the triage queue's rule-made assignment is handed back to the rules (`assign_ticket`). A person's stays."""
    values = {"needs_review": False, "confidence": {field: 1.0 for field in ticket.confidence}}
    if is_rules_actor(last_setter(ticket, "team", "assignee"), engine):
        values |= {"team": None, "assignee": None}
    ticket_store.set_fields(session, ticket, values, actor=actor, at=now, reason=f"triage done by {actor}")


def respond(runtime, number: str, text: str, *, actor: str, internal: bool = False) -> str:
    """Record a staff message; the first one to the tenant (not an internal note) is the first response."""
    with runtime.db.locked() as session:
        ticket, now = _ticket(session, number), runtime.clock()
        message = TicketMessage(
            ticket=ticket,
            direction="outbound",
            channel=ticket.channel,
            author=actor,
            text=text,
            full_text=text,
            internal=internal,
            recipients=[] if internal else [ticket.requester or ""],
            subject=ticket.subject,
            created_at=now,
        )
        session.add(message)
        ticket.last_activity_at = ticket.updated_at = now
        ticket_store.add_event(
            session,
            ticket,
            "note-added" if internal else "responded",
            actor=actor,
            at=now,
            changes={"internal": internal},
        )
        first = not internal and ticket.first_response_at is None
        if first:
            ticket_store.set_fields(
                session, ticket, {"first_response_at": now}, actor=actor, at=now, reason="first response"
            )
        messages = replan(session, ticket, runtime.rules().current(), now, actor="sla") if first else []
    send_after_commit(messages, number)
    return f"{number.upper()}: {'note' if internal else 'response'} recorded" + (" (first response)" if first else "")


def assign(runtime, number: str, to: str, *, actor: str) -> str:
    """Hand a ticket to a person (their team follows) or to a team (nobody in particular)."""
    with runtime.db.locked() as session:
        ticket, now, engine = _ticket(session, number), runtime.clock(), runtime.rules().current()
        if to in engine.people:
            values = {"assignee": to, "team": engine._team_of(to) or ticket.team}
        elif to in engine.teams:
            values = {"team": to, "assignee": None}
        else:
            raise StaffError(f"{to!r} is neither a person nor a team in assignment.yaml")
        ticket_store.set_fields(session, ticket, values, actor=actor, at=now, reason=f"assigned by {actor}")
        if ticket.status in ROUTABLE_STATUSES:
            ticket_store.change_status(session, ticket, "assigned", actor=actor, reason=f"assigned to {to}", at=now)
        messages = replan(session, ticket, engine, now, actor="sla")
    send_after_commit(messages, number)
    return f"{number.upper()}: assigned to {to}"


@click.command("status")
@click.argument("number")
@click.argument("status")
@click.option("--actor", required=True, help="Who makes the change (shown in the timeline).")
@click.option("--reason", help="Why, for the timeline.")
@click.option(
    "--waiting-on",
    help="With pending: what the ticket waits on (sla.yaml `waiting_on`, e.g. tenant, parts); "
    "sla.yaml says whether that pauses the SLA clocks.",
)
def status_command(number: str, status: str, actor: str, reason: str | None, waiting_on: str | None) -> None:
    """Change a ticket's status (new, triaged, assigned, in_progress, pending, resolved, closed, cancelled)."""
    runtime = open_runtime()
    with settled_messages(runtime):  # without Redis, the routing after triage is done before the command exits
        click.echo(set_status(runtime, number, status, actor=actor, reason=reason, waiting_on=waiting_on))
    if status == "triaged":
        click.echo(routing_note(runtime, number))


@click.command("respond")
@click.argument("number")
@click.argument("text")
@click.option("--actor", required=True, help="The staff member writing.")
@click.option("--internal", is_flag=True, help="An internal note: not shown to the tenant, not a first response.")
def respond_command(number: str, text: str, actor: str, internal: bool) -> None:
    """Record a staff message on a ticket (the first one to the tenant stops the first-response timers)."""
    runtime = open_runtime()
    with settled_messages(runtime):
        click.echo(respond(runtime, number, text, actor=actor, internal=internal))


@click.command("assign")
@click.argument("number")
@click.option("--to", "to", required=True, help="A person or a team from assignment.yaml.")
@click.option("--actor", required=True, help="Who assigns.")
def assign_command(number: str, to: str, actor: str) -> None:
    """Assign a ticket to a person or a team."""
    runtime = open_runtime()
    with settled_messages(runtime):
        click.echo(assign(runtime, number, to, actor=actor))


def routing_note(runtime, number: str) -> str:
    """Who the rules gave a triaged ticket to, that the routing is still to come, or whose assignment stayed."""
    with runtime.db.session() as session:
        ticket = _ticket(session, number)
        routed, on_it = routing_after_triage(ticket), f"team {ticket.team}, assignee {ticket.assignee}"
        if routed is not None:
            rules = ", ".join(routed.changes.get("matched") or []) or "no rule matched"
            return f"{ticket.number}: routed by the rules ({rules}): {on_it}"
        if is_awaiting_routing(ticket):
            return f"{ticket.number}: not routed yet: a worker (or the service's sweeper) routes it by the rules"
        return f"{ticket.number}: kept {on_it} (assigned by a person)"
