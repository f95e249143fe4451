"""`intake classify` and `intake eval`: run the classification stage over JSON-lines messages.

Input lines: {"id", "channel", "from", "subject", "body", "received_at"}; the body may still hold quoted
history, which is cut off first (the email channel's quote stripper). A line that is not valid JSON gets
an error line and the rest go on.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from classifiers import Classifier, ClassifierConfigError
from classifiers.evaluate import Scores
from classifiers.records import record_input
from intake.core.settings import get_settings
from store.errors import RegistryError
from store.registry import Registry, load_registry


def _load(registry_file: str | None, rules_dir: str | None, model: str | None = "shipped") -> Classifier:
    settings = get_settings()
    registry_path = registry_file or settings.registry_file
    registry = load_registry(registry_path) if registry_path else Registry()
    rules = Path(rules_dir) if rules_dir else settings.rules_dir
    return Classifier.load(rules, registry, settings.classification.review_threshold, model)


def load_classifier(registry_file: str | None, rules_dir: str | None, model: str | None = "shipped") -> Classifier:
    """The classifier (`model` None: the rules alone), or a clean command-line error naming the bad file."""
    try:
        return _load(registry_file, rules_dir, model)
    except (ClassifierConfigError, RegistryError) as exc:
        raise click.ClickException(str(exc)) from exc


def _records(stream, blank_is_error: bool = False):
    """(line number, record, error) per line. A blank line is an error line for `classify` (one output line
    per input line, so callers can zip input and output) and skipped by `eval`."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            if blank_is_error:
                yield number, None, "empty line"
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must be a JSON object")
            yield number, record, None
        except ValueError as exc:
            yield number, None, f"invalid JSON: {exc}"


def _output(record: dict, result) -> dict:
    out = {"id": record.get("id")}
    out |= result.model_dump(
        include={
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
    )
    return out


@click.command("classify")
@click.option("--registry", "registry_file", type=click.Path(exists=True, dir_okay=False), help="Registry YAML.")
@click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False), help="Rules directory.")
@click.argument("input_file", type=click.File("r", encoding="utf-8"))
def classify_command(registry_file, rules_dir, input_file) -> None:
    """Classify JSON-lines messages (INPUT, or - for stdin); one JSON line out per line in."""
    classifier = load_classifier(registry_file, rules_dir)
    for number, record, error in _records(input_file, blank_is_error=True):
        if error is not None:
            out = {"id": None, "error": error, "line": number}
        else:
            try:
                out = _output(record, classifier.classify(record_input(record)))
            except ValueError as exc:  # pydantic: a field of the wrong type; the rest of the batch goes on
                reason = " ".join(str(exc).split())[:300]
                out = {"id": record.get("id"), "error": f"invalid message: {reason}", "line": number}
        click.echo(json.dumps(out, ensure_ascii=False))


@click.command("eval")
@click.option("--registry", "registry_file", type=click.Path(exists=True, dir_okay=False), help="Registry YAML.")
@click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False), help="Rules directory.")
@click.option("--misses", is_flag=True, help="Also list every wrong field.")
@click.option("--rules-only", is_flag=True, help="Score the rules alone, without the learned urgency model.")
@click.argument("labeled", type=click.File("r", encoding="utf-8"))
def eval_command(registry_file, rules_dir, misses, rules_only, labeled) -> None:
    """Accuracy of the classifier on LABELED.jsonl (lines with an `expect` object; `split` and `language`
    group them); with --misses, every wrong field and every missed emergency or false alarm by id."""
    classifier = load_classifier(registry_file, rules_dir, None if rules_only else "shipped")
    overall, by_split, by_language = Scores(), {}, {}
    for number, record, error in _records(labeled):
        if error is not None or not isinstance(record.get("expect"), dict):
            click.echo(f"line {number}: skipped ({error or 'no expect object'})", err=True)
            continue
        try:
            got = classifier.classify(record_input(record)).model_dump()
        except ValueError as exc:
            click.echo(f"line {number}: skipped ({' '.join(str(exc).split())[:200]})", err=True)
            continue
        item_id = str(record.get("id", number))
        overall.add(item_id, record["expect"], got)
        if record.get("split"):
            by_split.setdefault(record["split"], Scores()).add(item_id, record["expect"], got)
        if record.get("language"):
            by_language.setdefault(record["language"], Scores()).add(item_id, record["expect"], got)
    click.echo(overall.report("all"))
    for name, scores in sorted(by_split.items()):
        click.echo(scores.report(f"split {name}"))
    if len(by_language) > 1:
        for name, scores in sorted(by_language.items()):
            click.echo(scores.report(f"language {name}"))
    if misses:
        for item_id, name, want, have in overall.misses:
            click.echo(f"  miss {item_id} {name}: expected {want!r}, got {have!r}")
        for item_id in overall.missed:
            click.echo(f"  missed emergency {item_id}")
        for item_id in overall.false_alarms:
            click.echo(f"  false alarm {item_id}")
