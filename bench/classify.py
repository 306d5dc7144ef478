"""Benchmark: fast engine on 1,000,000 scenarios (CSV in → CSV out, and in memory) vs HermiT on 10,000.

Run: .venv/bin/python bench/classify.py [--rows 1000000] [--hermit-rows 10000]
Prints scenarios/s for each, the fast/HermiT ratio per scenario, and the peak memory (RSS) of the
end-to-end CLI run. Targets: end to end ≥ 200,000 scenarios/s, ≥ 1,000× HermiT, < 1 GiB peak for 1M rows.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from concord_kg.classify import Classifier
from concord_kg.scenarios import ID_COLUMN, Scenario


def generate(path: Path, rows: int, classifier: Classifier, seed: int = 7) -> None:
    """Write ``rows`` random scenarios, with the column names the ontology gives, in mixed spellings."""
    rng = random.Random(seed)
    spellings = ["yes", "no", "Yes", "No", "y", "n", "TRUE", "false"]
    columns = [ID_COLUMN] + [var.column for var in classifier.decision.variables]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for n in range(rows):
            writer.writerow([f"p{n}", *(rng.choice(spellings) for _ in columns[1:])])


def bench_end_to_end(src: Path, out: Path) -> tuple[float, float]:
    """Run the installed CLI as a user would; return (seconds, peak RSS MiB of the child)."""
    exe = Path(sys.executable).with_name("concord-kg")
    start = time.perf_counter()
    subprocess.run([str(exe), "classify", str(src), "--out", str(out)], check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kib / 1024


def bench_in_memory(classifier: Classifier, rows: int) -> float:
    rng = random.Random(11)
    choices = [var.values for var in classifier.decision.variables]
    scenarios = [Scenario(id=str(n), values=tuple(rng.choice(c) for c in choices)) for n in range(rows)]
    start = time.perf_counter()
    count = sum(1 for _ in classifier.classify(scenarios))
    seconds = time.perf_counter() - start
    if count != rows:
        raise SystemExit(f"classified {count} of {rows} scenarios")
    return seconds


def bench_hermit(classifier: Classifier, rows: int) -> float:
    rng = random.Random(13)
    choices = [var.values for var in classifier.decision.variables]
    scenarios = [Scenario(id=str(n), values=tuple(rng.choice(c) for c in choices)) for n in range(rows)]
    start = time.perf_counter()
    results = list(classifier.classify(scenarios, engine="hermit"))
    seconds = time.perf_counter() - start
    fast = list(classifier.classify(scenarios))
    if [r.model for r in results] != [r.model for r in fast]:
        raise SystemExit("the fast engine and HermiT disagree")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--hermit-rows", type=int, default=10_000)
    args = parser.parse_args()
    classifier = Classifier()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "scenarios.csv", Path(tmp) / "models.csv"
        generate(src, args.rows, classifier)
        e2e, peak = bench_end_to_end(src, out)
    mem = bench_in_memory(classifier, args.rows)
    hermit = bench_hermit(classifier, args.hermit_rows)
    e2e_rate, mem_rate, hermit_rate = args.rows / e2e, args.rows / mem, args.hermit_rows / hermit
    print(f"fast, CSV in → CSV out (CLI, {args.rows:,} rows): {e2e:6.2f} s  {e2e_rate:12,.0f} scenarios/s")
    print(f"  peak memory of that process: {peak:,.0f} MiB")
    print(f"fast, in memory ({args.rows:,} scenarios):        {mem:6.2f} s  {mem_rate:12,.0f} scenarios/s")
    label = f"HermiT ({args.hermit_rows:,} scenarios, incl. JVM start):"
    print(f"{label:48} {hermit:6.2f} s  {hermit_rate:12,.0f} scenarios/s")
    print(f"ratio fast end-to-end / HermiT per scenario: {e2e_rate / hermit_rate:,.0f}×")
    print(f"ratio fast in-memory / HermiT per scenario:  {mem_rate / hermit_rate:,.0f}×")


if __name__ == "__main__":
    main()
