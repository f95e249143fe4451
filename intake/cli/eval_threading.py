"""`intake eval-threading FILE…`: precision and recall of "follow-up" on labelled threading cases.

Each case runs through the real pipeline on a private database (see intake/threading_eval); the file format is
described in samples/README.md.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from intake.core.settings import Settings, get_settings
from intake.threading_eval.cases import CaseError, load_cases
from intake.threading_eval.run import Report, evaluate

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def format_report(report: Report, title: str) -> str:
    """The figures, a confusion per kind (expected → predicted) and the misses with their ids."""
    n = len(report.results)
    lines = [
        f"{title}: {n} cases, follow-up precision {report.precision:.2f} recall {report.recall:.2f} "
        f"F1 {report.f1:.2f} (accuracy {sum(r.correct for r in report.results) / max(n, 1):.2f})",
        f"  {'kind':32} {'fu→fu':>6} {'fu→new':>6} {'new→new':>7} {'new→fu':>6}",
    ]
    for kind, counts in sorted(report.by_kind().items()):
        lines.append(
            f"  {kind:32} {counts[('follow-up', 'follow-up')]:>6} {counts[('follow-up', 'new')]:>6} "
            f"{counts[('new', 'new')]:>7} {counts[('new', 'follow-up')]:>6}"
        )
    for miss in report.misses:
        lines.append(
            f"  MISS {miss.case.id} ({miss.case.kind}) expected {miss.case.expect}, got {miss.predicted}: "
            f"{miss.outcome}" + (f" [{miss.detail}]" if miss.detail else "")
        )
    return "\n".join(lines)


def evaluate_files(paths: list[Path], settings: Settings | None = None) -> dict[Path, Report]:
    """Each file's report, with the project's registry and rules (`samples/registry.yaml`, `rules/`)."""
    settings = settings or get_settings()
    rules_dir = settings.rules_dir if Path(settings.rules_dir).is_dir() else PROJECT_ROOT / "rules"
    registry = Path("samples/registry.yaml")
    registry = registry if registry.is_file() else PROJECT_ROOT / "samples" / "registry.yaml"
    return {path: evaluate(load_cases(path), registry, rules_dir, settings) for path in paths}


@click.command("eval-threading")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def eval_threading_command(files: tuple[Path, ...], fmt: str) -> None:
    """Run labelled threading cases (JSONL) through the pipeline; print precision/recall of "follow-up"."""
    logging.getLogger("intake").setLevel(logging.WARNING)  # one line per processed item is noise here
    try:
        reports = evaluate_files(list(files))
    except CaseError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    str(path): {
                        "cases": len(r.results),
                        "precision": r.precision,
                        "recall": r.recall,
                        "f1": r.f1,
                        "misses": [
                            {"id": m.case.id, "kind": m.case.kind, "expect": m.case.expect, "outcome": m.outcome}
                            for m in r.misses
                        ],
                    }
                    for path, r in reports.items()
                },
                indent=2,
            )
        )
        return
    for path, report in reports.items():
        click.echo(format_report(report, str(path)))
