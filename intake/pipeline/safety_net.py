"""The safety net on tickets (issue #16): a message the classifier flags `possible_emergency` (not urgent, but not
confidently non-urgent either, see classifiers/safety.py) flags its ticket.

Part of the persist stage (a new ticket, `persist.open_ticket`) and of the decide stage (a follow-up's own
classification, `decide.redecide`). The flag never holds up assignment: it sets no triage reason, and the rules
route the ticket as usual. It does three things besides:

- the ticket is pinned at the top of the triage queue (`store.review_queue`) while the flag is `open`, until a
  person confirms it (urgent) or clears it (`intake tickets emergency`, intake/cli/emergency.py);
- a `possible-emergency` timeline event (actor `classifier`) says why, and the reasons stay on the ticket;
- the on-call person (the `on-call` role of escalation.yaml) is notified once per ticket, when it is first
  flagged: a `notified` timeline event naming them and the reasons, and a WARNING log line after the commit
  (ticket number, who, how many reasons: never the tenant's words or number). Outbound delivery of the
  notification comes with the outbound work.

An urgent ticket is never flagged: it is raised already. A follow-up never clears a flag; one that flags an open
ticket again adds its reasons; one that names a danger a person's clearing did not see pins the ticket again
(without a second notification).
"""

from __future__ import annotations

import logging
import re

from sqlalchemy.orm import Session

from intake.pipeline.work import Work
from intake.runtime import Runtime
from store import tickets as ticket_store
from store.models import Ticket

log = logging.getLogger(__name__)

OPEN, CONFIRMED, CLEARED = "open", "confirmed", "cleared"
FLAG_ACTOR = "classifier"
NOTIFY_ACTOR = "safety-net"
ON_CALL_ROLE = "on-call"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def flag_ticket(ctx: Runtime, session: Session, work: Work, ticket: Ticket, result) -> bool:
    """Flag `ticket` from a classification (`result`: the first message's, or a follow-up's own) when it says
    possible emergency; returns whether the ticket is pinned by this call. Never clears a flag."""
    if result is None or not result.possible_emergency or ticket.urgency == "urgent":
        return False
    reasons = [r for r in result.emergency_reasons if r not in (ticket.emergency_reasons or [])]
    state, now = ticket.emergency_state, ctx.clock()
    if state in (OPEN, CONFIRMED) or (state == CLEARED and not _new_dangers(ticket, reasons)):
        if reasons:  # the same flag, more reasons: recorded, nobody told again
            ticket.emergency_reasons = [*ticket.emergency_reasons, *reasons]
            ticket_store.add_event(
                session,
                ticket,
                "possible-emergency",
                actor=FLAG_ACTOR,
                at=now,
                changes={"state": state, "added": reasons},
                reason=f"a follow-up flags it again ({state}): " + "; ".join(reasons),
            )
        return False
    before = ticket.emergency_state
    ticket.emergency_state, ticket.emergency_reasons = OPEN, [*(ticket.emergency_reasons or []), *reasons]
    ticket.emergency_settled_by = ticket.emergency_settled_at = ticket.emergency_settled_why = None
    why = "; ".join(reasons or result.emergency_reasons)
    if before == CLEARED:
        why = f"flagged again after it was cleared, a danger not seen then: {why}"
    ticket_store.add_event(
        session,
        ticket,
        "possible-emergency",
        actor=FLAG_ACTOR,
        at=now,
        changes={"state": {"from": before, "to": OPEN}, "reasons": reasons},
        reason=why,
    )
    if before is None:
        _notify_on_call(ctx, session, work, ticket, reasons)
    return True


def _new_dangers(ticket: Ticket, reasons: list[str]) -> bool:
    """Whether `reasons` name a danger the ticket's recorded reasons do not (the same danger in other words is
    not new: the quoted words are left out of the comparison)."""
    seen = {_QUOTED.sub("…", r) for r in ticket.emergency_reasons or []}
    return any(_QUOTED.sub("…", r) not in seen for r in reasons)


def on_call_person(ctx: Runtime) -> str | None:
    """Who the safety net notifies: the `on-call` role of escalation.yaml (checked on load: it must name a person
    or team of assignment.yaml), or None when the rules define no such role."""
    return ctx.rules().current().escalation.roles.get(ON_CALL_ROLE)


def _notify_on_call(ctx: Runtime, session: Session, work: Work, ticket: Ticket, reasons: list[str]) -> None:
    """Tell the on-call person, once per ticket (called only when the flag is first raised): a timeline event
    now, a log line once the item is committed (a rolled-back attempt logs nothing; its retry does)."""
    target, number = on_call_person(ctx), ticket.number
    if target is None:
        ticket_store.add_event(
            session,
            ticket,
            "not-notified",
            actor=NOTIFY_ACTOR,
            at=ctx.clock(),
            changes={"role": ON_CALL_ROLE},
            reason=f"possible emergency, but escalation.yaml has no `{ON_CALL_ROLE}` role to notify",
        )
        work.on_commit.append(
            lambda: log.warning(
                "%s possible emergency: nobody notified (escalation.yaml has no `%s` role); pinned in the triage queue",
                number,
                ON_CALL_ROLE,
            )
        )
        return
    ticket_store.add_event(
        session,
        ticket,
        "notified",
        actor=NOTIFY_ACTOR,
        at=ctx.clock(),
        changes={"target": target, "via": ON_CALL_ROLE, "reasons": reasons},
        reason=f"possible emergency, {target} ({ON_CALL_ROLE}) notified: " + "; ".join(reasons),
    )
    count = len(reasons)
    work.on_commit.append(
        lambda: log.warning(
            "%s possible emergency: on-call %s notified (%d reason%s, see the ticket's timeline)",
            number,
            target,
            count,
            "" if count == 1 else "s",
        )
    )
