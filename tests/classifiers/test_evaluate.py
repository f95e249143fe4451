"""The safety view of `intake eval`: missed emergencies and false alarms, and figures per language."""

from __future__ import annotations

import json

from click.testing import CliRunner

from classifiers.evaluate import Scores
from intake.cli.main import cli
from tests.classifiers.conftest import REGISTRY


def test_an_emergency_is_missed_only_when_neither_urgent_nor_flagged():
    scores = Scores()
    scores.add("a", {"urgency": "urgent"}, {"urgency": "urgent"})
    scores.add("b", {"urgency": "urgent"}, {"urgency": "high", "possible_emergency": True})
    scores.add("c", {"urgency": "urgent"}, {"urgency": "standard", "possible_emergency": False})
    scores.add("d", {"urgency": "low"}, {"urgency": "low", "possible_emergency": True})
    scores.add("e", {"urgency": "high"}, {"urgency": "urgent"})
    scores.add("f", {"urgency": "standard"}, {"urgency": "standard"})
    assert scores.missed == ["c"]
    assert scores.false_alarms == ["d", "e"]
    assert scores.safety() == (1 / 3, 2 / 3)
    assert "missed emergencies        1/3   false alarms 2/3" in scores.report("t")


def test_eval_reports_each_language_and_lists_missed_emergencies(tmp_path):
    lines = [
        {
            "id": "en-1",
            "language": "en",
            "channel": "whatsapp",
            "from": "+15550100101",
            "subject": None,
            "body": "a tiny scuff on the hallway paint, no rush",
            "expect": {"urgency": "urgent"},
        },
        {
            "id": "es-1",
            "language": "es",
            "channel": "email",
            "from": "carlos.mendez@example.com",
            "subject": "Recibo",
            "body": "Hola, me pueden mandar el recibo del alquiler?",
            "expect": {"urgency": "low"},
        },
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(path), "--registry", str(REGISTRY), "--misses"])
    assert result.exit_code == 0, result.output
    assert "== language en: 1 messages" in result.output
    assert "== language es: 1 messages" in result.output
    assert "missed emergency en-1" in result.output
