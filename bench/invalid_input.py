"""Benchmark: ``classify`` on a 64 MB CSV whose header is right and every value is wrong.

Run: .venv/bin/python bench/invalid_input.py [--mb 64]
Runs the installed CLI as a user would and prints its wall time, peak memory (RSS) and the number of
lines it printed, next to the peer measured in the same run: a bare ``csv.reader`` pass over the same
file in a fresh interpreter (the floor for reading it at all). Targets: < 10 s, < 300 MB, ≤ ~60 lines.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from concord_kg.classify import Classifier
from concord_kg.scenarios import ID_COLUMN

_PEER = (
    "import csv, sys\n"
    "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
    "    for row in csv.reader(f): pass\n"
)


def generate(path: Path, megabytes: int) -> int:
    """Write an all-invalid scenario CSV of about ``megabytes`` MB; return its number of rows."""
    columns = [ID_COLUMN] + [var.column for var in Classifier().decision.variables]
    size, rows = 0, 0
    with path.open("w", encoding="utf-8") as handle:
        header = ",".join(columns) + "\n"
        handle.write(header)
        size += len(header)
        while size < megabytes * 1024 * 1024:
            line = f"s{rows:08d}," + ",".join(["maybe"] * (len(columns) - 1)) + "\n"
            handle.write(line)
            size += len(line)
            rows += 1
    return rows


def _run(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run one child process; return (seconds, its peak RSS in MB, the result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far: run the larger process last.
    return seconds, max(peak, before) / 1024, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "invalid.csv"
        rows = generate(src, options.mb)
        peer_s, peer_mb, _ = _run([sys.executable, "-c", _PEER, str(src)])
        exe = Path(sys.executable).with_name("concord-kg")
        ours_s, ours_mb, done = _run([str(exe), "classify", str(src), "-o", str(Path(folder) / "out.csv")])
        lines = (done.stdout + done.stderr).splitlines()
        print(f"input: {src.stat().st_size / 1e6:.1f} MB, {rows:,} rows, every value invalid")
        print(f"concord-kg classify: exit {done.returncode}, {ours_s:.1f} s, peak {ours_mb:.0f} MB", end="")
        print(f", {len(lines)} lines")
        print(f"  last line: {lines[-1] if lines else ''}")
        print(f"peer csv.reader pass: {peer_s:.1f} s, peak {peer_mb:.0f} MB")
        print(f"ratio time concord-kg / csv.reader: {ours_s / peer_s:.1f}x")
        verdicts = {
            "< 10 s": ours_s < 10,
            "< 300 MB": ours_mb < 300,
            "<= 60 lines": len(lines) <= 60,
            "no output file": not (Path(folder) / "out.csv").exists(),
        }
        print("targets: " + ", ".join(f"{k} {'met' if ok else 'MISSED'}" for k, ok in verdicts.items()))


if __name__ == "__main__":
    main()
