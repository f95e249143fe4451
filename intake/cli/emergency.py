"""`intake tickets emergency NUMBER confirm|clear --by STAFF`: a person settles the safety net's possible-emergency
flag (intake/pipeline/safety_net.py), which takes the ticket off the top of the triage queue. Plain functions
(for the web app's buttons later) wrapped by a click command.

Confirm: the person sets urgency `urgent` and priority `URGENT` (rules never override a person's priority), the
rules re-decide the ticket with the follow-up policy (assignment/followup.py: a person's assignment stays, a
rule-made one moves only when another rule now decides it, e.g. after-hours urgent → on-call) and the SLA is
re-planned on the urgent targets. Clear: not an emergency; the flag stays recorded as cleared, with who, when
and why. Both are timeline events with the person as actor. A cleared flag may still be confirmed; a
confirmed one is settled for good (the ticket is urgent).
"""

from __future__ import annotations

import click

from assignment.apply import apply_decision
from assignment.followup import allowed_fields, previous_matches
from assignment.ticket_facts import stored_facts
from assignment.timers import replan
from assignment.workload import LazyWorkload
from intake.cli.common import open_runtime
from intake.cli.settle import settled_messages
from intake.cli.staff import StaffError, _ticket
from intake.core.after_commit import send_after_commit
from intake.core.vocabulary import DONE_STATUSES
from intake.pipeline.safety_net import CLEARED, CONFIRMED, OPEN
from store import tickets as ticket_store


def confirm(runtime, number: str, *, actor: str, reason: str | None = None) -> str:
    """The person says it is an emergency: urgent, re-decided by the rules, unpinned."""
    with runtime.db.locked() as session:
        ticket, now, engine = _ticket(session, number), runtime.clock(), runtime.rules().current()
        _check_settleable(ticket, CONFIRMED)
        why = f"possible emergency confirmed by {actor}" + (f": {reason}" if reason else "")
        ticket_store.set_fields(
            session, ticket, {"urgency": "urgent", "priority": "URGENT"}, actor=actor, at=now, reason=why
        )
        _settle(session, ticket, CONFIRMED, actor=actor, reason=reason, now=now)
        if ticket.status not in DONE_STATUSES:
            texts = ticket_store.inbound_texts(session, ticket)
            decision = engine.decide(stored_facts(ticket, "\n".join(texts)), LazyWorkload(session), now)
            fields, kept = allowed_fields(ticket, decision, engine)
            prefix = f"re-decided after {why}: "
            apply_decision(
                session,
                ticket,
                decision,
                now,
                fields=fields,
                prefix=prefix,
                notify_rules=set(decision.matched_rules) - previous_matches(ticket),
            )
            for note in kept:
                ticket_store.add_event(session, ticket, "rules-kept", actor="rules", reason=prefix + note, at=now)
        messages = replan(session, ticket, engine, now, actor="sla", why="possible emergency confirmed")
        routed = f"team {ticket.team or '—'}, assignee {ticket.assignee or '—'}"
    send_after_commit(messages, number)
    return f"{number.upper()}: possible emergency confirmed by {actor}: urgency urgent, priority URGENT; {routed}"


def clear(runtime, number: str, *, actor: str, reason: str | None = None) -> str:
    """The person says it is not an emergency: unpinned, recorded as cleared (who, when, why)."""
    with runtime.db.locked() as session:
        ticket, now = _ticket(session, number), runtime.clock()
        _check_settleable(ticket, CLEARED)
        _settle(session, ticket, CLEARED, actor=actor, reason=reason, now=now)
    return f"{number.upper()}: possible emergency cleared by {actor}" + (f": {reason}" if reason else "")


def _check_settleable(ticket, target: str) -> None:
    """Refuse what cannot be settled so: a ticket never flagged, a confirmed flag, or clearing twice."""
    state = ticket.emergency_state
    if state is None:
        raise StaffError(f"{ticket.number} was never flagged as a possible emergency")
    if state == CONFIRMED or state == target:
        raise StaffError(
            f"{ticket.number}: the possible emergency was already {state} by {ticket.emergency_settled_by or 'someone'}"
        )


def _settle(session, ticket, state: str, *, actor: str, reason: str | None, now) -> None:
    before = ticket.emergency_state
    ticket.emergency_state, ticket.emergency_settled_by = state, actor
    ticket.emergency_settled_at, ticket.emergency_settled_why = now, reason
    ticket.updated_at = now
    word = "confirmed" if state == CONFIRMED else "cleared"
    ticket_store.add_event(
        session,
        ticket,
        f"emergency-{word}",
        actor=actor,
        at=now,
        changes={"emergency_state": {"from": before, "to": state}},
        reason=f"possible emergency {word} by {actor}"
        + (f": {reason}" if reason else "")
        + ("" if before != OPEN else "; no longer pinned in the triage queue"),
    )


@click.command("emergency")
@click.argument("number")
@click.argument("action", type=click.Choice(["confirm", "clear"]))
@click.option("--by", "actor", required=True, help="The staff member deciding (shown in the timeline).")
@click.option("--reason", help="Why, for the timeline.")
def emergency_command(number: str, action: str, actor: str, reason: str | None) -> None:
    """Settle a possible emergency: confirm it (urgent, re-routed) or clear it; either unpins it from triage."""
    runtime = open_runtime()
    with settled_messages(runtime):  # without Redis, the re-planned timers are handed to the sweeper
        settle = confirm if action == "confirm" else clear
        click.echo(settle(runtime, number, actor=actor, reason=reason))
