"""Rule evaluation throughput: tickets per second through 200 generated rules, against a plain Python if-chain
over the same conditions measured in the same run. Target: >= 5,000 decisions/s in one process.

Run: .venv/bin/python benchmarks/bench_rules.py [--rules 200] [--tickets 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assignment import RuleEngine, TicketFacts, Workload  # noqa: E402

SUBCATEGORIES = ["plumbing", "electrical", "hvac", "appliance", "cleaning", "general_repair", "pest", "locks"]
URGENCIES = ["urgent", "high", "standard", "low"]
PROPERTIES = ["HBR", "ELM", "OAK", "MPL", "PIN", "CED"]
CHANNELS = ["email", "whatsapp", "qcontact"]
WORDS = [
    "leak",
    "drip",
    "mold",
    "smell",
    "noise",
    "broken",
    "heat",
    "cold",
    "door",
    "window",
    "sink",
    "toilet",
    "socket",
    "light",
    "fridge",
    "oven",
    "mice",
    "roach",
    "key",
    "lock",
    "flood",
    "crack",
    "paint",
    "fan",
]


def generate_rules(count: int, rng: random.Random) -> tuple[dict, list[tuple[str, list[tuple[str, object]]]]]:
    """An assignment.yaml with `count` rules (the last a catch-all) and the same conditions as plain data."""
    rules, plain, seen = [], [], []
    index = 0
    while index < count - 1:
        # specific enough that a typical ticket is tried against most of the 200 rules (the worst case)
        conditions: list[tuple[str, object]] = [("subcategory", set(rng.sample(SUBCATEGORIES, 1)))]
        when: dict = {"subcategory": sorted(conditions[0][1])}
        when["urgency"] = rng.choice(URGENCIES)
        conditions.append(("urgency", when["urgency"]))
        if rng.random() < 0.8:
            when["property"] = rng.choice(PROPERTIES)
            conditions.append(("property", when["property"].lower()))
        if rng.random() < 0.5:
            words = rng.sample(WORDS, 3)
            when["text"] = {"contains_any": words}
            conditions.append(("text", words))
        if rng.random() < 0.3:
            when["confidence"] = {"gte": 0.5}
            conditions.append(("confidence", 0.5))
        if rng.random() < 0.2:
            when["channel"] = rng.choice(CHANNELS)
            conditions.append(("channel", when["channel"]))
        tests = frozenset(
            (field, repr(sorted(value) if isinstance(value, (set, list)) else value)) for field, value in conditions
        )
        if any(earlier <= tests for earlier in seen):
            continue  # an earlier rule would always win: `rules check` rejects such a rule as unreachable
        seen.append(tests)
        rules.append(
            {"name": f"rule-{index:03d}", "when": when, "then": {"assign": {"team": "general"}, "tags": [f"r{index}"]}}
        )
        plain.append((f"rule-{index:03d}", conditions))
        index += 1
    rules.append({"name": "catch-all", "when": "always", "then": {"assign": {"team": "general"}}})
    plain.append(("catch-all", []))
    people = {f"tech-{i}": {"skills": [SUBCATEGORIES[i % len(SUBCATEGORIES)]], "capacity": 10} for i in range(6)}
    doc = {"teams": {"general": {"members": list(people), "pick": "least_loaded"}}, "people": people, "rules": rules}
    return doc, plain


def baseline_if_chain(plain: list[tuple[str, list[tuple[str, object]]]]):
    """A hand-written-style if-chain over the same conditions, compiled from Python source (the fastest Python)."""
    lines = [
        "def decide(f):",
        "    sub = (f.subcategory or '').lower(); urg = (f.urgency or '').lower()",
        "    prop = (f.property_id or '').lower(); chan = f.channel.lower()",
        "    text = ((f.subject or '') + '\\n' + f.text).lower(); conf = f.confidence",
    ]
    for name, conditions in plain:
        tests = []
        for field, value in conditions:
            if field == "subcategory":
                tests.append(f"sub in {sorted(value)!r}")
            elif field == "urgency":
                tests.append(f"urg == {value!r}")
            elif field == "property":
                tests.append(f"prop == {value!r}")
            elif field == "channel":
                tests.append(f"chan == {value!r}")
            elif field == "confidence":
                tests.append(f"conf >= {value!r}")
            elif field == "text":
                tests.append("(" + " or ".join(f"{w!r} in text" for w in value) + ")")
        lines.append(f"    if {' and '.join(tests) or 'True'}:")
        lines.append(f"        return {name!r}")
    namespace: dict = {}
    exec("\n".join(lines), namespace)  # noqa: S102 - our own generated source
    return namespace["decide"]


def generate_tickets(count: int, rng: random.Random) -> list[TicketFacts]:
    start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    return [
        TicketFacts(
            number=f"T-{i}",
            channel=rng.choice(CHANNELS),
            category="maintenance",
            subcategory=rng.choice(SUBCATEGORIES),
            urgency=rng.choice(URGENCIES),
            property_id=rng.choice(PROPERTIES),
            confidence=rng.random(),
            text=" ".join(rng.choices(WORDS + ["the", "in", "my", "is", "apartment"] * 4, k=40)),
            subject="Maintenance request",
            created_at=start + timedelta(minutes=i),
        )
        for i in range(count)
    ]


def measure(label: str, run, tickets, repeat: int = 3) -> float:
    best = 0.0
    for _ in range(repeat):
        began = time.perf_counter()
        for facts in tickets:
            run(facts)
        best = max(best, len(tickets) / (time.perf_counter() - began))
    print(f"{label:<44} {best:>12,.0f} tickets/s")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    doc, plain = generate_rules(args.rules, rng)
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "assignment.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        began = time.perf_counter()
        engine = RuleEngine.load(directory)
        print(f"loaded and validated {len(engine.rules)} rules in {(time.perf_counter() - began) * 1000:.0f} ms")
    tickets = generate_tickets(args.tickets, rng)
    workload, now = Workload(), datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    chain = baseline_if_chain(plain)
    for facts in tickets[:200]:  # both must agree on the deciding rule, or the comparison is meaningless
        assert engine.decide(facts, workload, now).matched_rules[0] == chain(facts), facts.number
    evaluated = sum(len(engine.decide(f, workload, now).hits) for f in tickets) / len(tickets)
    print(f"{len(tickets)} tickets, {args.rules} rules, {evaluated:.0f} rules evaluated per ticket on average")
    ours = measure("RuleEngine.decide (hits + reasons)", lambda f: engine.decide(f, workload, now), tickets)
    explained = measure(
        "RuleEngine.decide(explain=True), all reasons",
        lambda f: engine.decide(f, workload, now, explain=True),
        tickets[: max(1, len(tickets) // 4)],
    )
    base = measure("baseline: generated Python if-chain", chain, tickets)
    worst_case = [f for f in tickets if chain(f) == "catch-all"] or tickets
    print(f"worst case: {len(worst_case)} tickets that miss all {args.rules - 1} rules before the catch-all")
    worst = measure("RuleEngine.decide, worst case", lambda f: engine.decide(f, workload, now), worst_case)
    worst_base = measure("baseline if-chain, worst case", chain, worst_case)
    print(
        f"ratio engine / if-chain: {ours / base:.3f} mixed, {worst / worst_base:.3f} worst case "
        f"(the if-chain is {base / ours:.0f}x faster and explains nothing)"
    )
    verdict = "MET" if min(ours, worst) >= 5000 else "NOT MET"
    print(
        f"target >= 5,000 tickets/s against {args.rules} rules: {verdict} (mixed {ours:,.0f}/s, worst case {worst:,.0f}/s); "
        f"explain mode {explained:,.0f}/s"
    )


if __name__ == "__main__":
    main()
