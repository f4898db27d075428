"""CLI start-up: wall time of a few `sibook` commands (best of N runs), beside the bare Python
interpreter (`python -c pass`) measured in the same run. Each command's module loads only when
that command runs, so the commands a script calls often (`ids inspect`, `rules ...`) should
cost little more than the interpreter.

    python bench/bench_cli_startup.py --runs 5
"""

from __future__ import annotations

import argparse
import os
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
    ("--help", ["--help"]),
)


def best(argv: list[str], runs: int, env: dict[str, str], cwd: str) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{Path(home) / 'cli.db'}"}
        sibook = [sys.executable, "-m", "sibook.cli.main"]
        subprocess.run([*sibook, "db", "upgrade"], env=env, cwd=home, capture_output=True,
                       check=True)
        bare = best([sys.executable, "-c", "pass"], args.runs, env, home)
        print(f"python -c pass        {bare:6.3f} s")
        for name, argv in COMMANDS:
            took = best([*sibook, *argv], args.runs, env, home)
            print(f"sibook {name:<20} {took:6.3f} s  ({took / bare:4.1f}x the interpreter)")


if __name__ == "__main__":
    main()
