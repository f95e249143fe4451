"""The urgency model file: plain arrays in an .npz (no pickle, nothing executed on load) and its scoring.

Arrays: `features` (names, see features.py), `weights` (one column per level), `bias`, `levels`, and the
policy's `thresholds` with their `threshold_names` (settled by cross-validation, policy.py); `meta` is a JSON
string saying how it was trained. A message's features that the model knows are weighted 1/sqrt(count), the
scores go through a softmax: probabilities for urgent, high, standard, low.

`bind(vocab)` keys the model by the classifier's token ids once, so scoring a message costs a dict lookup per
token (remembered per distinct word) and one small sum.
"""

from __future__ import annotations

import functools
import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from spacy.strings import StringStore

from classifiers.cues import CueKind, kind_of, name_of
from classifiers.learned.features import FeatureKind, is_word, kind_of_feature, token_features

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "model" / "urgency.npz"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries dated alike: the same weights give the same bytes
_TEXT = frozenset((FeatureKind.WORD, FeatureKind.PAIR, FeatureKind.STEM))  # the message's own words
_SAID = {FeatureKind.RULES: "rules ", FeatureKind.SIGNAL: "signal ", FeatureKind.ISSUE: "issue "}


@dataclass(frozen=True)
class UrgencyModel:
    features: tuple[str, ...]
    weights: np.ndarray  # (features, levels)
    bias: np.ndarray  # (levels,)
    levels: tuple[str, ...]
    thresholds: dict[str, float]
    meta: dict[str, Any]

    @functools.cached_property
    def index(self) -> dict[str, int]:
        return {name: row for row, name in enumerate(self.features)}


def save_model(model: UrgencyModel, path: Path) -> None:
    """Write `model` as an .npz whose bytes depend only on its contents."""
    arrays = {
        "features": np.array(model.features, dtype=str),
        "weights": model.weights.astype(np.float32),
        "bias": model.bias.astype(np.float32),
        "levels": np.array(model.levels, dtype=str),
        "threshold_names": np.array(sorted(model.thresholds), dtype=str),
        "thresholds": np.array([model.thresholds[k] for k in sorted(model.thresholds)], dtype=np.float64),
        "meta": np.array(json.dumps(model.meta, sort_keys=True)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, buffer.getvalue())


@functools.lru_cache(maxsize=4)
def load_model(path: Path = DEFAULT_MODEL) -> UrgencyModel:
    """Read a model file (remembered: every classifier of the process shares it)."""
    with np.load(path, allow_pickle=False) as data:
        names = [str(n) for n in data["threshold_names"]]
        return UrgencyModel(
            features=tuple(str(f) for f in data["features"]),
            weights=data["weights"].astype(np.float64),
            bias=data["bias"].astype(np.float64),
            levels=tuple(str(v) for v in data["levels"]),
            thresholds=dict(zip(names, (float(t) for t in data["thresholds"]))),
            meta=json.loads(str(data["meta"])),
        )


class Prediction:
    """The model's probabilities for one message; `reasons` (the features that pushed most towards the likeliest
    level, as a dispatcher reads them) are worked out only when asked for: most messages never need them."""

    def __init__(
        self,
        probabilities: dict[str, float],
        reasons: tuple[str, ...] | None = None,
        model: UrgencyModel | None = None,
        rows: list[int] | None = None,
    ) -> None:
        self.probabilities, self._reasons, self._model, self._rows = probabilities, reasons, model, rows

    @property
    def level(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def reasons(self) -> tuple[str, ...]:
        if self._reasons is None:
            model, rows = self._model, self._rows
            self._reasons = explain(model, rows, self.model_levels.index(self.level)) if model and rows else ()
        return self._reasons

    @property
    def model_levels(self) -> tuple[str, ...]:
        return tuple(self.probabilities)


class BoundModel:
    """A model keyed by one vocabulary's token ids (built per classifier, cheap)."""

    def __init__(self, model: UrgencyModel, strings: StringStore) -> None:
        self.model, self.strings = model, strings
        index = model.index
        self._pairs: dict[tuple[int, int], int] = {}
        for name, row in index.items():
            kind, _, pair = name.partition(":")
            if kind == FeatureKind.PAIR:
                first, _, second = pair.partition(" ")
                self._pairs[strings.add(first), strings.add(second)] = row
        self._tokens: dict[int, tuple[tuple[int, ...], bool]] = {}  # token id -> (rows, is a word)

    def _token(self, orth: int) -> tuple[tuple[int, ...], bool]:
        found = self._tokens.get(orth)
        if found is None:
            word = self.strings[orth]
            index = self.model.index
            found = (tuple(index[f] for f in token_features(word) if f in index), is_word(word))
            if len(self._tokens) > 200_000:  # bounded: words are unbounded in a long-running worker
                self._tokens.clear()
            self._tokens[orth] = found
        return found

    def rows(self, orths: list[int], signal_names: list[str]) -> list[int]:
        """Model rows of a message's tokens and signal features (the same rows `features.text_features` names)."""
        rows: list[int] = []
        pairs, previous = self._pairs, None
        known, token = self._tokens.get, self._token
        for orth in orths:
            entry = known(orth) or token(orth)
            if not entry[1]:
                previous = None
                continue
            rows += entry[0]
            if previous is not None:
                pair = pairs.get((previous, orth))
                if pair is not None:
                    rows.append(pair)
            previous = orth
        index = self.model.index
        for name in signal_names:
            row = index.get(name)
            if row is not None:
                rows.append(row)
        return rows

    def predict(self, rows: list[int]) -> Prediction:
        return predict_rows(self.model, rows)


def predict_rows(model: UrgencyModel, rows: list[int]) -> Prediction:
    """Probabilities of each level from a message's model rows (rows the model does not know are left out)."""
    unique = list(set(rows))  # ints: the same order in every run
    if unique:
        scores = (model.weights[unique].sum(axis=0) * (1.0 / math.sqrt(len(unique))) + model.bias).tolist()
    else:
        scores = model.bias.tolist()
    top = max(scores)
    exp = [math.exp(v - top) for v in scores]
    total = sum(exp)
    return Prediction({level: v / total for level, v in zip(model.levels, exp)}, None, model, unique)


def explain(model: UrgencyModel, unique: list[int], column: int) -> tuple[str, ...]:
    """The three features of a message that pushed most towards `column`'s level rather than the others."""
    picked = model.weights[unique]
    push = picked[:, column] - picked.mean(axis=1)
    ranked = [int(i) for i in np.argsort(-push, kind="stable") if push[i] > 0]
    # the message's own words first: a dispatcher reads "'ascensor', 'no puedo'" faster than a rule's name
    words = [i for i in ranked if kind_of_feature(model.features[unique[i]]) in _TEXT]
    return tuple(describe(model.features[unique[i]]) for i in (words or ranked)[:3])


def describe(feature: str) -> str:
    """A feature as a dispatcher reads it: 'no puedo', 'ascen…', rules: frame trapped-in-lift."""
    kind, name = kind_of_feature(feature), feature.partition(":")[2]
    if kind is FeatureKind.WORD or kind is FeatureKind.PAIR:
        return repr(name)
    if kind is FeatureKind.STEM:
        return repr(name + "…")
    if kind is FeatureKind.SIGNAL and kind_of(name) is CueKind.STATE:  # "signal failure", not "signal s:failure"
        name = name_of(name)
    return _SAID[kind] + name
