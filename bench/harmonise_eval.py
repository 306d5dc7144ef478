"""Precision and recall of `concord-kg harmonise` on the labelled value sets in tests/data/harmonisation/.

Run: .venv/bin/python bench/harmonise_eval.py [SET.csv ...]   (default: dev, eval and holdout)

Each set is a CSV `value,gold,kind`; gold is the expected notation, empty when the value must stay unmapped.
A mapping counts as a true positive when it equals the gold notation; any mapping that differs (including one
for a value whose gold is empty) is a false positive; a gold value not mapped to it is a false negative.
dev.csv was used for tuning; eval.csv is asserted by tests/test_harmonise.py (it was also used for
synonyms after its first run, so its figures are optimistic); holdout.csv was written after the last change
and is reported, not tuned on.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

from concord_kg.harmonise import Harmoniser

SETS = Path(__file__).resolve().parent.parent / "tests" / "data" / "harmonisation"


def score(path: Path, harmoniser: Harmoniser) -> dict:
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    tp = fp = fn = 0
    wrong, missed = [], []
    for row in rows:
        match = harmoniser.match(row["value"])
        got = match.term.notation if match.term else ""
        gold = row["gold"]
        if got and got == gold:
            tp += 1
        elif got:
            fp += 1
            wrong.append((row["value"], gold, got))
        if gold and got != gold:
            fn += 1
            if not got:
                missed.append((row["value"], gold))
    return {
        "n": len(rows),
        "gold": sum(1 for r in rows if r["gold"]),
        "unrelated": sum(1 for r in rows if not r["gold"]),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "wrong": wrong,
        "missed": missed,
    }


def main(paths: list[Path]) -> None:
    start = time.perf_counter()
    harmoniser = Harmoniser()
    for path in paths:
        s = score(path, harmoniser)
        print(
            f"{path.name:12} values {s['n']:4} (gold {s['gold']}, unrelated {s['unrelated']})  "
            f"tp {s['tp']:3} fp {s['fp']:2} fn {s['fn']:2}  "
            f"precision {s['precision']:.3f}  recall {s['recall']:.3f}"
        )
        for value, gold, got in s["wrong"]:
            print(f"    wrong  {value!r}: {got} (gold {gold or 'unmapped'})")
        for value, gold in s["missed"]:
            print(f"    missed {value!r}: gold {gold}")
    print(f"({time.perf_counter() - start:.1f} s including loading the ontology)")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or [SETS / "dev.csv", SETS / "eval.csv", SETS / "holdout.csv"])
