"""CLI start-up: wall time of a few `sibook` commands (best of N runs), beside the bare Python
interpreter (`python -c pass`) measured in the same run, and the CPU time (user + system) the
process used, best of the same runs: on a loaded machine the wall time mostly measures the
wait for a core, the CPU time what the command itself costs. Each command's module loads only when
that command runs, so the commands a script calls often (`ids inspect`, `rules ...`) should
cost little more than the interpreter; the database commands run on a small seeded population
(20 persons), already at the schema's head, as a script's calls find it.

    python bench/bench_cli_startup.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (
    ("ids inspect", ["ids", "inspect", "001089012345", "--json"]),
    ("rules contribution", ["rules", "contribution", "--month", "2026-01", "--salary",
                            "10000000", "--region", "I", "--json"]),
    ("persons list", ["persons", "list", "--limit", "1", "--json"]),
    ("ledger show", ["ledger", "show", "{person}", "--json"]),
    ("book show", ["book", "show", "{person}", "--json"]),
    ("--help", ["--help"]),
)


def best(argv: list[str], runs: int, env: dict[str, str], cwd: str) -> tuple[float, float]:
    """The shortest wall time and the least CPU time of ``runs`` runs, in seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{Path(home) / 'cli.db'}"}
        sibook = [sys.executable, "-m", "sibook.cli.main"]
        subprocess.run([*sibook, "db", "upgrade"], env=env, cwd=home, capture_output=True,
                       check=True)
        subprocess.run([*sibook, "seed", "--people", "20", "--employers", "2", "--json"],
                       env=env, cwd=home, capture_output=True, check=True)
        listed = subprocess.run([*sibook, "persons", "list", "--limit", "1", "--json"], env=env,
                                cwd=home, capture_output=True, check=True, text=True)
        person = json.loads(listed.stdout)["persons"][0]["personal_id"]
        bare, bare_cpu = best([sys.executable, "-c", "pass"], args.runs, env, home)
        print(f"python -c pass        {bare:6.3f} s                               "
              f"cpu {bare_cpu:6.3f} s")
        for name, argv in COMMANDS:
            took, cpu = best([*sibook, *(a.format(person=person) for a in argv)], args.runs,
                             env, home)
            print(f"sibook {name:<20} {took:6.3f} s  ({took / bare:4.1f}x the interpreter)  "
                  f"cpu {cpu:6.3f} s")


if __name__ == "__main__":
    main()
