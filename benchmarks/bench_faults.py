"""The fault suite at length: more deliveries and emails, the faults further apart, the counts printed.

    .venv/bin/python benchmarks/bench_faults.py [--deliveries 1500] [--emails 300] [--pause 8] [--settle 600]

Starts a private PostgreSQL cluster (initdb, run as `postgres` when root) and a private redis-server on free
loopback ports, then `intake serve`, `intake worker` and `intake beat` on them; sends signed WhatsApp Cloud
deliveries (a few bad bodies among every ten) and `intake ingest`s emails in batches while it SIGKILLs a worker
process, shuts Redis down (NOSAVE) and restarts it, hangs Redis (SIGSTOP … SIGCONT) and stops PostgreSQL
(immediate) for `--pause` seconds. Deliveries not answered 200 are sent again, as Meta does. Then it waits up
to `--settle` seconds and prints how many were accepted, processed exactly once, lost and duplicated. Exits 1
when anything was lost or duplicated, or a bad body got a 5xx outside the database outage. Not run in CI.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1500)
    parser.add_argument("--emails", type=int, default=300)
    parser.add_argument("--pause", type=float, default=8.0, help="seconds between faults (and of each outage)")
    parser.add_argument("--settle", type=float, default=600.0, help="seconds to wait for processing at most")
    args = parser.parse_args()

    from tests.faults.run_faults import fault_run, report

    with tempfile.TemporaryDirectory(prefix="intake-bench-faults-") as workdir:
        run, result, expected = fault_run(Path(workdir), args.deliveries, args.emails, args.pause, args.settle)
    print(report(run, result, expected))
    failed = result.lost(expected) or result.duplicated(expected) or run.bad_5xx_outside_outage
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
