"""Topic votes: how the concepts a message mentions add up to a category (read by decide_topic).

Every concept votes once, with its strongest mention: its weight, plus a bonus for the urgency of the issue it
reports; negated mentions count a little, a thing named without a state ("the dishwasher") half, a danger that
is over and paid for (`settled`) its `settled_share`. A concept the message keeps returning to gains
`repeat_share` of its weight per further mention, and one it asks about (`asked`) its `asked` vote.
"""

from __future__ import annotations

from classifiers.issues import Issue, Signals
from classifiers.ruleset import Voting

_LEVEL_BONUS = {"urgent": 3.0, "high": 2.0, "standard": 1.0, "low": 0.0}
_NEGATED_SHARE = 0.3
_MENTION_SHARE = 0.5
_REPLY_SUBJECT_SHARE = 0.5


def _vote(issue: Issue, reply: bool, settled_share: float) -> float:
    concept = issue.concept
    vote = concept.weight
    if issue.negated:
        vote *= _NEGATED_SHARE
    elif issue.settled:
        vote *= settled_share  # "the drain was backing up … please reimburse the plumber": about the payment
    elif (concept.failure or concept.impaired) and issue.state is None and issue.level is None and not issue.fixed:
        # _is_mention, inlined (this runs for every issue): "the dishwasher" alone says less than "the
        # dishwasher won't start"
        vote *= _MENTION_SHARE
    if issue.active and issue.level:
        vote += _LEVEL_BONUS[issue.level]
    if issue.asked:
        vote += concept.asked  # "could you send me the receipts?": what the sender wants
    if reply and issue.in_subject:
        vote *= _REPLY_SUBJECT_SHARE  # "Re: AC" names the thread's first problem, not necessarily this one
    return vote


def _is_mention(issue: Issue) -> bool:
    """A thing that can break, named without saying what is wrong with it (nor that it is fixed again)."""
    concept = issue.concept
    return bool(concept.failure or concept.impaired) and issue.state is None and issue.level is None and not issue.fixed


def concept_votes(signals: Signals, voting: Voting) -> dict[str, tuple[float, Issue]]:
    """Each concept votes once, with its strongest mention, and more when the message keeps talking about it."""
    votes: dict[str, tuple[float, Issue]] = {}
    mentions: dict[str, int] = {}
    ends: dict[str, int] = {}  # where the last counted mention of a concept ends ("parking fob" holds "fob")
    reply, settled_share = signals.reply, voting.settled_share
    for issue in signals.issues:
        concept = issue.concept
        if not concept.topic:
            continue
        name = issue.name
        vote = _vote(issue, reply, settled_share)
        prior = votes.get(name)
        if prior is None or vote > prior[0]:
            votes[name] = (vote, issue)
        if (
            issue.active
            and not (reply and issue.in_subject)  # "Re: AC" is the thread's topic, not this one's
            and (concept.level or concept.failure or concept.impaired)  # generic words ("loud") do not repeat
            and issue.hit.start >= ends.get(name, 0)
        ):
            mentions[name] = mentions.get(name, 0) + 1
            ends[name] = issue.hit.end
    for name, count in mentions.items():
        if count > 1 and voting.repeat_cap:
            vote, issue = votes[name]
            base = issue.concept.weight * (_MENTION_SHARE if _is_mention(issue) else 1.0)
            votes[name] = (vote + base * voting.repeat_share * min(count - 1, voting.repeat_cap), issue)
    return votes


def margin_confidence(top: float, second: float, evidence: float | None = None) -> float:
    """Confidence from the lead over the runner-up, and from how much `evidence` (default: `top`) there is."""
    strength = min(1.0, (top if evidence is None else evidence) / 4.0)
    margin = (top - second) / top if top else 0.0
    return round(0.25 + 0.25 * strength + 0.5 * margin, 3)
