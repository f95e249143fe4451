"""A follow-up's own words are classified once: the classify stage's result is what raises the ticket's urgency."""

from __future__ import annotations

from datetime import timedelta

from classifiers import Classifier
from tests.intake.pipeline.test_followup_policy import T0, load, send

TENANT = "+15550100"


def test_a_follow_up_is_classified_once_and_still_raises_the_urgency(runtime, stub_broker, monkeypatch):
    read: list[str] = []
    classify = Classifier.classify

    def recording(self, item):  # the real classifier, only noting what it was asked to read
        read.append(item.body)
        return classify(self, item)

    monkeypatch.setattr(Classifier, "classify", recording)
    first = send(runtime, "whatsapp", TENANT, "The kitchen tap in 101 is dripping a bit.", T0)
    follow_up = "Now the pipe under the sink burst and water is pouring everywhere in 101!"
    second = send(runtime, "whatsapp", TENANT, follow_up, T0 + timedelta(minutes=5))
    assert second.ticket_number == first.ticket_number
    assert read.count(follow_up) == 1
    assert load(runtime, first.ticket_number).urgency == "urgent"
