"""`intake classify` and `intake eval` through click's CliRunner, on real files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from intake.cli.main import cli
from tests.classifiers.conftest import LABELED, REGISTRY, RULES

LINES = [
    {
        "id": "m1",
        "channel": "email",
        "from": "maria@example.net",
        "subject": "Leak",
        "body": "Water pouring from under the sink!\n\nOn Mon, Oct 6, 2026 at 9:12 AM Maintenance wrote:\n"
        "> Your rent receipt is attached.\n> Thanks for paying the late fee.",
        "received_at": "2026-11-20T09:00:00Z",
    },
    "this is {not json",
    {"id": "m3", "channel": "whatsapp", "from": "+15550300101", "subject": None, "body": "no hay agua en el depto"},
]


def _input(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in LINES) + "\n")
    return path


def test_classify_outputs_one_line_per_input_in_order(tmp_path):
    result = CliRunner().invoke(
        cli, ["classify", "--registry", str(REGISTRY), "--rules", str(RULES), str(_input(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["m1", None, "m3"]
    first = out[0]
    assert set(first) == {
        "id",
        "category",
        "subcategory",
        "urgency",
        "property",
        "unit",
        "billing_type",
        "requires_approval",
        "estimated_cost",
        "confidence",
        "evidence",
        "needs_review",
    }
    # The quoted history (rent, late fee) is cut off before classifying.
    assert (first["category"], first["subcategory"], first["urgency"]) == ("maintenance", "plumbing", "urgent")
    assert (first["property"], first["unit"], first["billing_type"]) == ("HBR", "101", "guarantee")
    assert out[1]["line"] == 2 and "invalid JSON" in out[1]["error"]
    assert (out[2]["property"], out[2]["unit"], out[2]["urgency"]) == ("OAK", "101", "urgent")


def test_classify_reads_stdin(tmp_path):
    line = json.dumps({"id": "s1", "from": "tbecker@example.com", "subject": "Gym", "body": "Can I book the gym?"})
    result = CliRunner().invoke(cli, ["classify", "--registry", str(REGISTRY), "-"], input=line + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["category"] == "amenity"


def test_classify_rejects_invalid_rules_with_file_and_line(tmp_path):
    for name in ("taxonomy", "urgency", "units", "billing"):
        (tmp_path / f"{name}.yaml").write_text((RULES / f"{name}.yaml").read_text())
    (tmp_path / "units.yaml").write_text("unit_words: [apt\n")
    result = CliRunner().invoke(cli, ["classify", "--rules", str(tmp_path), "--registry", str(REGISTRY), "-"], input="")
    assert result.exit_code != 0
    assert f"{tmp_path / 'units.yaml'}:" in result.output


@pytest.mark.slow  # scores the whole labelled set
def test_eval_prints_accuracy_recall_and_confusion():
    result = CliRunner().invoke(cli, ["eval", str(LABELED), "--registry", str(REGISTRY)])
    assert result.exit_code == 0, result.output
    for needle in (
        "category",
        "subcategory",
        "urgency",
        "unit+property",
        "urgent recall",
        "urgent precision",
        "urgency confusion",
        "split holdout",
    ):
        assert needle in result.output


def test_a_line_with_wrong_field_types_gets_an_error_and_the_rest_go_on():
    lines = [
        json.dumps({"id": 5, "body": 3}),
        json.dumps({"id": "x", "body": "gas smell", "received_at": "yesterday"}),
        json.dumps({"id": "ok", "from": "maria@example.net", "body": "the toilet is clogged"}),
    ]
    result = CliRunner().invoke(cli, ["classify", "--registry", str(REGISTRY), "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o.get("line") for o in out[:2]] == [1, 2]
    assert "body" in out[0]["error"] and "received_at" in out[1]["error"]
    assert (out[2]["id"], out[2]["subcategory"]) == ("ok", "plumbing")


def test_fallback_quote_cutting():
    from classifiers.records import _cut_at_quote

    body = "New problem: no hot water.\n\nOn Tue, 3 Nov 2026, Maintenance wrote:\n> The leak is fixed.\n"
    assert _cut_at_quote(body) == "New problem: no hot water."
    assert _cut_at_quote("> only quoted") == "> only quoted"  # nothing new: keep everything rather than nothing
    assert _cut_at_quote("Hi\n-----Original Message-----\nFrom: x") == "Hi"


def test_a_blank_input_line_gets_an_error_line_so_output_stays_aligned(tmp_path):
    path = tmp_path / "in.jsonl"
    first = json.dumps({"id": "b1", "from": "maria@example.net", "body": "Can I book the gym?"})
    last = json.dumps({"id": "b3", "from": "maria@example.net", "body": "no hot water"})
    path.write_text(f"{first}\n   \n{last}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["classify", "--registry", str(REGISTRY), "--rules", str(RULES), str(path)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["b1", None, "b3"]
    assert out[1] == {"id": None, "error": "empty line", "line": 2}
