"""`Nearby`, the index signals use to find cues near a hit, against the pairwise scan it replaced."""

from __future__ import annotations

import random

import pytest

from classifiers.spans import Hit, Nearby, gap


def _hits(rng: random.Random, count: int) -> list[Hit]:
    starts = sorted(rng.randrange(0, 400) for _ in range(count))
    return [Hit(f"s:{n}", start, start + rng.randint(1, 4)) for n, start in enumerate(starts)]


@pytest.mark.parametrize("count", [0, 3, 8, 9, 60, 300])
def test_every_hit_within_the_distance_is_found_in_text_order(count):
    rng = random.Random(count)
    cues = _hits(rng, count)
    nearby = Nearby(list(cues))
    for probe in _hits(rng, 200):
        for distance in (0, 1, 3, 7):
            found = nearby.around(probe, distance)
            within = [cue for cue in cues if gap(cue, probe) <= distance]
            assert [cue for cue in found if gap(cue, probe) <= distance] == within
            assert found == [cue for cue in cues if cue in found]  # original order kept
    if count > 8:  # a long list is searched, not handed back whole
        assert len(nearby.around(Hit("c:x", 200, 201), 0)) < count
