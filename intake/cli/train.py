"""`intake train`: fit the urgency model (classifiers/learned) on a labelled set and write the model file.

The rules are read from the configured rules folder (the model learns from what they see), the registry from the
configured file or samples/registry.yaml. Prints the figures of the rules alone, the model alone and both combined,
on all lines and per split: nested cross-validation (honest) and out-of-fold (the shipped thresholds), then the
thresholds it settled.
"""

from __future__ import annotations

from pathlib import Path

import click

from classifiers import Classifier, ClassifierConfigError
from classifiers.learned.model import DEFAULT_MODEL, save_model
from classifiers.learned.nested import nested_outcomes
from classifiers.learned.report import cross_validated_report, nested_report
from classifiers.learned.train import train
from intake.core.settings import get_settings
from store.errors import RegistryError
from store.registry import load_registry

_ROOT = Path(__file__).resolve().parents[2]


@click.command("train")
@click.option(
    "--labeled",
    "labeled",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=_ROOT / "samples" / "labeled.jsonl",
    show_default=True,
    help="Labelled JSON lines.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Model file to write (default: the one the package ships, classifiers/model/urgency.npz).",
)
@click.option("--seed", type=int, default=16, show_default=True, help="Seed of the cross-validation folds.")
@click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False), help="Rules directory.")
@click.option("--registry", "registry_file", type=click.Path(exists=True, dir_okay=False), help="Registry YAML.")
@click.option(
    "--nested/--no-nested",
    default=True,
    show_default=True,
    help="Also print the nested cross-validation (25 more fits; the model file is the same either way).",
)
def train_command(labeled: Path, out: Path | None, seed: int, rules_dir, registry_file, nested: bool) -> None:
    """Train the urgency model on LABELED lines (an `expect.urgency` each) and write it to OUT."""
    try:  # an optional dependency (`intake[train]`): classifying needs numpy alone
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise click.ClickException("intake train needs scikit-learn: pip install 'intake[train]'") from exc
    settings = get_settings()
    try:
        registry = load_registry(registry_file or settings.registry_file or _ROOT / "samples" / "registry.yaml")
        classifier = Classifier.load(Path(rules_dir) if rules_dir else settings.rules_dir, registry, model=None)
    except (ClassifierConfigError, RegistryError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        model, examples, predictions = train(classifier, labeled, seed)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{labeled}: {exc}") from exc
    target = out or DEFAULT_MODEL
    save_model(model, target)
    if nested:
        click.echo(nested_report(examples, nested_outcomes(examples, seed)))
    click.echo(cross_validated_report(examples, predictions, model.thresholds))
    click.echo(f"thresholds: {', '.join(f'{k} {v}' for k, v in model.thresholds.items())}")
    click.echo(f"wrote {target}: {len(model.features)} features, {target.stat().st_size:,} bytes")
