"""`intake tickets merge INTO FROM` and `intake tickets unlink TICKET [--from OTHER]`: a dispatcher settles what
threading could only guess. Plain functions (for the web app's buttons later) wrapped by click commands.

Merge moves FROM's messages (their attachments go with them) to INTO, ends FROM as `merged` (its SLA timers are
cancelled) and records it on both timelines; later mail tied to FROM (its Message-IDs moved with the messages; a
match on FROM itself is redirected, see `store.tickets.merged_into`) lands on INTO. Unlink says "these are not
related": it clears a probable-follow-up or "may relate to" link and its triage reason on both tickets; a ticket
that waited in triage only for that link goes back to the rules.
"""

from __future__ import annotations

import click

from assignment.followup import is_rules_actor, last_setter
from assignment.routing import BACK_TO_RULES
from assignment.timers import replan
from intake.cli.common import open_runtime
from intake.cli.settle import settled_messages
from intake.cli.staff import StaffError, _ticket
from intake.core.after_commit import AfterCommit, Kind, send_after_commit
from intake.core.vocabulary import ROUTABLE_STATUSES
from store import tickets as ticket_store
from store.errors import IllegalTransition

LINK_REASON = "probable follow-up of "


def merge(runtime, into: str, from_: str, *, actor: str, reason: str | None = None) -> str:
    """Move FROM's messages to INTO and close FROM as merged, with timeline events on both."""
    if into.upper() == from_.upper():
        raise StaffError("a ticket cannot be merged into itself")
    with runtime.db.locked() as session:
        target, source, now = _ticket(session, into), _ticket(session, from_), runtime.clock()
        ticket_store.lock_in_id_order(session, target, source)  # a follow-up appending meanwhile waits
        if target.status == "merged":
            raise StaffError(f"{target.number} was itself merged; merge into the ticket it went to")
        why = reason or f"merged by {actor}"
        try:
            ticket_store.mark_merged(session, source, target.number, actor=actor, reason=why, at=now)
        except IllegalTransition as exc:
            raise StaffError(f"{source.number}: {exc}") from None
        moved = list(source.messages)
        for message in moved:
            message.ticket = target
        target.last_activity_at = max(target.last_activity_at, source.last_activity_at)
        target.updated_at = now
        ticket_store.add_event(
            session,
            target,
            "merged",
            actor=actor,
            at=now,
            reason=why,
            changes={"from": source.number, "messages": [m.id for m in moved]},
        )
        engine = runtime.rules().current()
        for ticket, other in ((target, source), (source, target)):
            _clear_link(session, ticket, other.number, actor=actor, now=now, engine=engine)
        if source.needs_review:
            ticket_store.set_fields(
                session, source, {"needs_review": False}, actor=actor, at=now, reason=f"merged into {target.number}"
            )
        messages = replan(session, source, engine, now, actor="sla", why=f"merged into {target.number}")
    send_after_commit(messages, from_)
    return f"{from_.upper()} merged into {into.upper()}: {len(moved)} messages moved"


def unlink(runtime, number: str, other: str | None = None, *, actor: str) -> str:
    """Clear the probable-follow-up / "may relate to" link between NUMBER and OTHER (any, when not given)."""
    with runtime.db.locked() as session:
        ticket, now = _ticket(session, number), runtime.clock()
        pairs = []
        if ticket.probable_followup_of and other in (None, ticket.probable_followup_of.upper()):
            pairs.append((ticket, ticket.probable_followup_of))
        if other is not None:
            linked = _ticket(session, other)
            if (linked.probable_followup_of or "").upper() == ticket.number:
                pairs.append((linked, ticket.number))
        if not pairs:
            raise StaffError(f"{ticket.number} has no link" + (f" to {other.upper()}" if other else ""))
        messages = []
        for linked, to in pairs:
            if _clear_link(session, linked, to, actor=actor, now=now, engine=runtime.rules().current()):
                messages.append(AfterCommit(Kind.ASSIGN_TICKET, (linked.id,)))
            peer = ticket_store.get_by_number(session, to)
            if peer is not None:
                ticket_store.add_event(
                    session,
                    peer,
                    "unlinked",
                    actor=actor,
                    at=now,
                    changes={"from": linked.number},
                    reason=f"not related to {linked.number}, said {actor}",
                )
    send_after_commit(messages, number)
    return ", ".join(f"{linked.number}: no longer linked to {to}" for linked, to in pairs)


def _clear_link(session, ticket, to: str, *, actor: str, now, engine) -> bool:
    """Drop `ticket`'s link to `to` and its triage reason; True when the ticket goes back to the rules (it waited
    in triage only for the link)."""
    if (ticket.probable_followup_of or "").upper() != to.upper():
        return False
    reasons = [r for r in (ticket.review_reasons or []) if not r.startswith(LINK_REASON)]
    only_link = ticket.needs_review and all(r.startswith("rule `") for r in reasons)
    values = {"probable_followup_of": None, "review_reasons": [] if only_link else reasons}
    if only_link:
        values["needs_review"] = False
        if ticket.status in ROUTABLE_STATUSES and is_rules_actor(last_setter(ticket, "team", "assignee"), engine):
            values |= {"team": None, "assignee": None}
    ticket_store.set_fields(session, ticket, values, actor=actor, at=now, reason=f"not a follow-up of {to}")
    back_to_rules = only_link and ticket.status in ROUTABLE_STATUSES
    # the mark is what the routing sweeper looks for when the `assign_ticket` message is lost
    ticket_store.add_event(
        session,
        ticket,
        "unlinked",
        actor=actor,
        at=now,
        changes={"from": to, **(BACK_TO_RULES if back_to_rules else {})},
        reason=f"not related to {to}, said {actor}",
    )
    return back_to_rules


@click.command("merge")
@click.argument("into")
@click.argument("from_", metavar="FROM")
@click.option("--by", "actor", required=True, help="The staff member merging (shown in both timelines).")
@click.option("--reason", help="Why, for the timeline.")
def merge_command(into: str, from_: str, actor: str, reason: str | None) -> None:
    """Move FROM's messages to INTO and close FROM as merged."""
    runtime = open_runtime()
    with settled_messages(runtime):  # without Redis, the timers' re-plan is settled before the command exits
        click.echo(merge(runtime, into, from_, actor=actor, reason=reason))


@click.command("unlink")
@click.argument("number")
@click.option("--from", "other", help="The ticket it is linked to (default: whatever its link is).")
@click.option("--by", "actor", required=True, help="The staff member deciding they are not related.")
def unlink_command(number: str, other: str | None, actor: str) -> None:
    """Say two tickets are not related: clear the probable-follow-up / "may relate to" link and its triage reason."""
    runtime = open_runtime()
    with settled_messages(runtime):  # without Redis, the routing back by the rules is done before the command exits
        click.echo(unlink(runtime, number, other.upper() if other else None, actor=actor))
