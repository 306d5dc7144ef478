"""Precision and recall of `concord-kg harmonise` on labelled value sets, beside text2term; a scale run.

Run:
    .venv/bin/python bench/harmonise_eval.py [SET.csv ...]
        (default: the tuning sets of concord_kg/exemplars/labelled/, then those of tests/data/harmonisation/)
    .venv/bin/python bench/harmonise_eval.py --scale [--rows 1000000 --distinct 50000 --repeat 3]
    .venv/bin/python bench/harmonise_eval.py --learning-curve

Each set is a CSV `value,gold,kind[,domain]`; gold is the expected notation, empty when the value must stay
unmapped; domain is the domain of the dataset question. A mapping counts as a true positive when it equals
the gold notation; any mapping that differs (including one for a value whose gold is empty) is a false
positive; a gold value not mapped to it is a false negative.

Which set was used for what: dev.csv and tune.csv were used to set the thresholds and the confidence
formula; tune-2.csv (written with the exemplar wordings, before measuring with them) to set the exemplar
vote, the out-of-domain margin and the narrower-term lag; eval.csv is asserted by tests/test_harmonise.py
(its misses were once turned into synonyms, so its figures are optimistic); holdout.csv was written after
the lexical matcher; heldout-2026-12.csv was written and committed before the meaning stage existed and
was never tuned on. The cue rules (concord_kg/exemplars/rules.csv) were extended with the misses of
tune.csv, tune-2.csv, tune-3.csv to tune-33.csv and blind-2026-12-a.csv, and their meaning gates and
confidences set on those (tune-34.csv to tune-49.csv came later: nothing was written from their misses);
heldout-2026-12.csv, blind-2026-12-b.csv (the other half of a set written
from the taxonomy alone, by someone who never saw the matcher), blind-2-2026-12.csv,
blind-3-2026-12.csv, blind-4-2026-12.csv and blind-5-2026-12.csv (four more such sets, each by another
curator) are held out.

The meaning stage also learns from the tuning sets: their values are exemplars of their gold terms (or
of "out of domain" when the gold is empty). So no set is scored on its own wordings: a tuning set is
scored by cross-validation, with the exemplars of the sets in the other FOLDS - 1 folds; every other set
with the exemplars of all tuning sets; and in both cases a labelled value equal (after normalising) to a
value of a set being scored is left out, as the written exemplars are. Each matcher trains its own
classifier (concord_kg/term_classifier.py) from the exemplars it has, so that is cross-validated too.

Rows: `concord-kg` (every term as candidate), `concord-kg +domain` (candidates limited to the
question's domain given in the set, as `--domain` does), `lexical only` (labels, synonyms, cue rules
and fuzzy matches, without the meaning stage), for a set with a file of the same name in
second-curator/ the labels a second curator gave the same values without seeing the gold (how far
two careful people agree), and the peer text2term 4.6 (TF-IDF mapper over the same
labels and synonyms, read from an OWL file written for it), at its default threshold and at its best-F1
threshold. Then the reliability table: for each confidence band, how many mappings fell in it and the
share that were right, over all sets pooled and over the held-out sets (HELD_OUT) pooled.

--scale writes a CSV of N rows with D distinct values (variants of the labelled values) and runs
`concord-kg harmonise FILE --column C --out-dataset OUT` on it as a subprocess: wall time and peak memory
(RSS of the child), beside a plain `csv` copy of the same file (read + write every row, no matching) in
the same run; --repeat rounds of both (default 3), the median judged. Target: < 30 s and < 1 GiB for
1,000,000 rows with 50,000 distinct values.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import io
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from concord_kg.harmonise import Harmoniser, Match
from concord_kg.semantic import LABELLED, curated_exemplars, labelled_sets
from concord_kg.wording import normalise

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "data" / "harmonisation"
#: The tuning sets, which the meaning stage learns from: scored by cross-validation over FOLDS folds.
TUNING = ROOT / "concord_kg" / "exemplars" / LABELLED
FOLDS = 5
#: The sets nothing was tuned on.
HELD_OUT = (
    "heldout-2026-12.csv",
    "blind-2026-12-b.csv",
    "blind-2-2026-12.csv",
    "blind-3-2026-12.csv",
    "blind-4-2026-12.csv",
    "blind-5-2026-12.csv",
)


def _in_order(path: Path) -> tuple[str, int]:
    """Sort key of a set's file: its name, then its number (tune-2 before tune-10)."""
    stem, _, number = path.stem.rpartition("-")
    return (stem, int(number)) if number.isdigit() else (path.stem, 0)


#: Every labelled set: the tuning sets, two older sets, then the held-out ones.
DEFAULT_SETS = [
    *sorted(TUNING.glob("*.csv"), key=_in_order),
    *(SETS / name for name in ("eval.csv", "holdout.csv", *HELD_OUT)),
]
BANDS = [(0.95, 1.01), (0.9, 0.95), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.0, 0.5)]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _tally(rows: list[dict[str, str]], got: list[str]) -> dict:
    tp = fp = fn = 0
    wrong, missed = [], []
    for row, answer in zip(rows, got, strict=True):
        gold = row["gold"]
        if answer and answer == gold:
            tp += 1
        elif answer:
            fp += 1
            wrong.append((row["value"], gold, answer))
        if gold and answer != gold:
            fn += 1
            if not answer:
                missed.append((row["value"], gold))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "n": len(rows),
        "gold": sum(1 for r in rows if r["gold"]),
        "unrelated": sum(1 for r in rows if not r["gold"]),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "wrong": wrong,
        "missed": missed,
    }


def _tuning(path: Path) -> bool:
    """Tell whether a set is one the meaning stage learns from."""
    return path.resolve().parent == TUNING


def exemplars_without(sets: set[str], wordings: set[str]) -> list[tuple[str, str]]:
    """Return the written exemplars and the tuning sets' values, less the named sets and wordings.

    :param sets: file names of tuning sets to leave out (the fold being scored).
    :param wordings: normalised values to leave out (those of the sets being scored).
    """
    kept = list(curated_exemplars())
    for name, rows in labelled_sets().items():
        if name not in sets:
            kept.extend(pair for pair in rows if normalise(pair[1]) not in wordings)
    return list(dict.fromkeys(kept))


def harmonisers(sets: dict[Path, list[dict[str, str]]]) -> dict[Path, Harmoniser]:
    """Return the matcher each set is scored with: none has learnt from the set's own values.

    Tuning sets are split into :data:`FOLDS` folds, each scored by a matcher built without it; any other
    set by one matcher built from every tuning set, less the wordings of all such sets.
    """
    graph = Harmoniser(semantic=False).graph
    out: dict[Path, Harmoniser] = {}
    for inside in _folds([p for p in sets if _tuning(p)]):
        wordings = {normalise(r["value"]) for p in inside for r in sets[p]}
        learnt = Harmoniser(graph, exemplars=exemplars_without({p.name for p in inside}, wordings))
        out |= dict.fromkeys(inside, learnt)
    others = [p for p in sets if not _tuning(p)]
    wordings = {normalise(r["value"]) for p in others for r in sets[p]}
    out |= dict.fromkeys(others, Harmoniser(graph, exemplars=exemplars_without(set(), wordings)))
    return out


def _folds(tuning: list[Path]) -> list[list[Path]]:
    """Split tuning sets into :data:`FOLDS` folds of whole sets (by file name, every FOLDS-th set)."""
    ordered = sorted(tuning)
    return [ordered[fold::FOLDS] for fold in range(FOLDS)]


def learning_curve(shares: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0), seed: int = 1) -> None:
    """Print the tuning sets' cross-validated precision and recall as the matcher learns more labelled sets.

    Each share is of the other folds' sets, chosen at random with the same seed for every share.
    """
    tuning = sorted(TUNING.glob("*.csv"))
    sets = {p: _rows(p) for p in tuning}
    graph = Harmoniser(semantic=False).graph
    print(f"learning curve: {len(tuning)} tuning sets, {FOLDS} folds; share of the other folds' sets learnt")
    for share in shares:
        rng = random.Random(seed)
        rows: list[dict[str, str]] = []
        got: list[str] = []
        for inside in _folds(tuning):
            others = [p for p in tuning if p not in inside]
            rng.shuffle(others)
            learnt = set(others[: round(len(others) * share)])
            wordings = {normalise(r["value"]) for p in inside for r in sets[p]}
            unlearnt = {p.name for p in tuning if p not in learnt}
            matcher = Harmoniser(graph, exemplars=exemplars_without(unlearnt, wordings))
            for path in inside:
                rows += sets[path]
                got += [m.term.notation or "" if m.term else "" for m in match_rows(sets[path], matcher)]
        print(_line(f"{share:.0%} learnt", _tally(rows, got)))


@functools.cache
def _scoped(harmoniser: Harmoniser, domain: str) -> Harmoniser:
    """Return a matcher like ``harmoniser`` with candidates limited to one domain (built once)."""
    return Harmoniser(
        harmoniser.graph, domains=[domain], semantic=harmoniser.semantic, exemplars=harmoniser.exemplars
    )


def match_rows(rows: list[dict[str, str]], harmoniser: Harmoniser, *, by_domain: bool = False) -> list[Match]:
    """Match each row's value, with candidates limited to the row's domain when ``by_domain``."""
    if not by_domain:
        return harmoniser.match_all([(r["value"], 1) for r in rows])
    groups: dict[str, list[int]] = defaultdict(list)
    for at, row in enumerate(rows):
        groups[row.get("domain") or ""].append(at)
    out: list[Match | None] = [None] * len(rows)
    for domain, ats in groups.items():
        scoped = _scoped(harmoniser, domain) if domain else harmoniser
        for at, match in zip(ats, scoped.match_all([(rows[a]["value"], 1) for a in ats]), strict=True):
            out[at] = match
    return out  # type: ignore[return-value]


def score(path: Path, harmoniser: Harmoniser, *, by_domain: bool = False) -> dict:
    """Return counts, precision, recall and the wrong/missed values of the matcher on one set."""
    rows = _rows(path)
    matches = match_rows(rows, harmoniser, by_domain=by_domain)
    result = _tally(rows, [m.term.notation or "" if m.term else "" for m in matches])
    result["matches"] = list(zip(rows, matches, strict=True))
    return result


def _text2term_owl(harmoniser: Harmoniser, folder: Path) -> Path:
    """Write the taxonomy terms' labels and synonyms as an OWL file text2term can read (RDF/XML)."""
    from rdflib import Graph, Literal, Namespace
    from rdflib.namespace import OWL, RDF, RDFS, SKOS

    oboinowl = Namespace("http://www.geneontology.org/formats/oboInOwl#")
    graph = Graph()
    for term in harmoniser.all_terms:
        graph.add((term.iri, RDF.type, OWL.Class))
        graph.add((term.iri, RDFS.label, Literal(term.label)))
        for prop in (SKOS.altLabel, SKOS.hiddenLabel):
            for synonym in harmoniser.graph.objects(term.iri, prop):
                graph.add((term.iri, oboinowl.hasExactSynonym, Literal(str(synonym))))
    path = folder / "taxonomy-for-text2term.owl"
    graph.serialize(path, format="xml")
    return path


def text2term_answers(sets: dict[str, list[dict[str, str]]], harmoniser: Harmoniser) -> dict | str:
    """Return set → list of (best notation, score) from text2term's TF-IDF mapper, or why it could not run."""
    try:
        import text2term
    except ImportError as exc:
        return f"text2term not installed ({exc}); pip install -e '.[bench]'"
    notation = {str(t.iri): t.notation or "" for t in harmoniser.all_terms}
    quiet = io.StringIO()  # text2term prints a line per term it cannot shorten to a CURIE, and INFO logs
    with (
        tempfile.TemporaryDirectory() as folder,
        contextlib.redirect_stdout(quiet),
        contextlib.redirect_stderr(quiet),
    ):
        logging.disable(logging.INFO)
        owl = _text2term_owl(harmoniser, Path(folder))
        answers = {}
        for name, rows in sets.items():
            values = [r["value"] for r in rows]
            ids = [str(i) for i in range(len(values))]
            frame = text2term.map_terms(
                values,
                str(owl),
                source_terms_ids=ids,
                mapper=text2term.Mapper.TFIDF,
                min_score=0.0,
                max_mappings=1,
                incl_unmapped=True,
                base_iris=("https://w3id.org/concord-kg/",),
            )
            best: dict[str, tuple[str, float]] = {}
            for _, row in frame.iterrows():
                iri, mapping_score = str(row.get("Mapped Term IRI") or ""), row.get("Mapping Score")
                key = str(row["Source Term ID"])
                if iri in notation and mapping_score == mapping_score:  # NaN for unmapped rows
                    if key not in best or float(mapping_score) > best[key][1]:
                        best[key] = (notation[iri], float(mapping_score))
            answers[name] = [best.get(i, ("", 0.0)) for i in ids]
    logging.disable(logging.NOTSET)
    return answers


def _line(label: str, s: dict) -> str:
    return (
        f"  {label:24} tp {s['tp']:3} fp {s['fp']:3} fn {s['fn']:3}  "
        f"precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}"
    )


def _second_curator(rows: list[dict[str, str]], path: Path) -> dict:
    """Score another curator's labels of the same values (``value,label``) against the set's gold."""
    labelled = _rows(path)
    labels = {r["value"]: r["label"] for r in labelled}
    if len(labels) != len(labelled) or set(labels) != {r["value"] for r in rows}:
        raise SystemExit(f"{path}: not the values of the set it labels, each once")
    return _tally(rows, [labels[r["value"]] for r in rows])


def evaluate(paths: list[Path], *, verbose: bool) -> None:
    start = time.perf_counter()
    sets = {p: _rows(p) for p in paths}
    matchers = harmonisers(sets)
    lexical = Harmoniser(semantic=False)
    peer = text2term_answers({p.name: rows for p, rows in sets.items()}, lexical)
    pooled: list[tuple[float, bool]] = []
    held_out: list[tuple[float, bool]] = []
    for path in paths:
        rows = sets[path]
        harmoniser = matchers[path]
        s = score(path, harmoniser)
        how = ", cross-validated" if _tuning(path) else ""
        print(f"{path.name}: {s['n']} values (gold {s['gold']}, to stay unmapped {s['unrelated']}{how})")
        print(_line("concord-kg", s))
        for row, match in s["matches"]:
            if match.term is not None:
                pooled.append((match.confidence, (match.term.notation or "") == row["gold"]))
                if path.name in HELD_OUT:
                    held_out.append(pooled[-1])
        if any(r.get("domain") for r in rows):
            print(_line("concord-kg +domain", score(path, harmoniser, by_domain=True)))
        print(_line("lexical only", score(path, lexical)))
        second = SETS / "second-curator" / path.name
        if second.exists():
            print(_line("a second curator", _second_curator(rows, second)))
        if isinstance(peer, str):
            print(f"  text2term: not run: {peer}")
        else:
            found = peer[path.name]
            default = _tally(rows, [n if sc >= 0.5 else "" for n, sc in found])
            print(_line("text2term tfidf >=0.5", default))
            best = max(
                (
                    _tally(rows, [n if sc >= t / 100 else "" for n, sc in found]) | {"t": t / 100}
                    for t in range(30, 100, 5)
                ),
                key=lambda x: x["f1"],
            )
            print(_line(f"text2term best F1 >={best['t']:.2f}", best))
        if verbose:
            for value, gold, got in s["wrong"]:
                print(f"    wrong  {value!r}: {got} (gold {gold or 'unmapped'})")
            for value, gold in s["missed"]:
                print(f"    missed {value!r}: gold {gold}")
    _reliability("all sets pooled", pooled)
    if held_out:
        _reliability("held-out sets pooled", held_out)
    print(f"({time.perf_counter() - start:.1f} s including loading the ontology, the model and text2term)")


def _reliability(which: str, pooled: list[tuple[float, bool]]) -> None:
    """Print, for each confidence band, how many mappings fell in it and the share that were right."""
    print(f"\nreliability ({which}, concord-kg without domain): confidence band -> share right")
    for low, high in BANDS:
        inside = [ok for c, ok in pooled if low <= c < high]
        share = f"{sum(inside) / len(inside):.3f}" if inside else "  -  "
        close = "]" if high > 1 else ")"
        print(f"  [{low:.2f}, {min(high, 1.0):.2f}{close}  mappings {len(inside):4}  precision {share}")
    high = [ok for c, ok in pooled if c >= 0.8]
    if high:
        share = f"{sum(high) / len(high):.3f}"
        print(f"  confidence >= 0.8: {len(high)} mappings, precision {share} (target >= 0.8)")


def _variants(value: str, n: int) -> str:
    """Return the n-th written variant of a value: spacing, case, punctuation, a site or form note."""
    forms = [
        value,
        value.lower(),
        value.upper(),
        f"{value}.",
        f"{value} (other)",
        f"{value} (site {n})",
        f"{value} - form {n}",
        f"{value}; ward {n}",
    ]
    return forms[n % len(forms)] if n < len(forms) else forms[5 + n % 3]


def write_scale_input(path: Path, rows: int, distinct: int, seed: int = 7) -> None:
    """Write a CSV of ``rows`` rows whose column ``who_coordinates`` has ``distinct`` distinct values."""
    rng = random.Random(seed)
    base = [r["value"] for p in DEFAULT_SETS for r in _rows(p) if r["value"].strip()]
    values: list[str] = []
    seen: set[str] = set()
    n = 0
    while len(values) < distinct:
        for value in base:
            candidate = _variants(value, n)
            if candidate.strip() and candidate not in seen:
                seen.add(candidate)
                values.append(candidate)
                if len(values) == distinct:
                    break
        n += 1
    # Every distinct value appears at least once; the rest follow a skewed (Zipf-like) frequency.
    weights = [1.0 / (1 + i) ** 0.8 for i in range(distinct)]
    extra = rng.choices(range(distinct), weights=weights, k=rows - distinct)
    order = list(range(distinct)) + extra
    rng.shuffle(order)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["respondent_id", "who_coordinates", "survey_date"])
        for i, at in enumerate(order):
            writer.writerow([f"R{i:07d}", values[at], f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"])


def _run(command: list[str]) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """Run a command; return wall seconds, CPU seconds, the peak RSS of children so far (MiB), the result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, after.ru_maxrss / 1024, done


def scale(rows: int, distinct: int, repeat: int = 3) -> None:
    """Time ``concord-kg harmonise --out-dataset`` on a generated file ``repeat`` times, beside a csv copy.

    Each round runs the copy, then the command; the verdict goes by the median round (a shared 2-core
    machine varies by a few seconds from one run to the next).
    """
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "big.csv", Path(folder) / "big-harmonised.csv"
        t0 = time.perf_counter()
        write_scale_input(source, rows, distinct)
        print(
            f"input: {rows:,} rows, {distinct:,} distinct values, {source.stat().st_size / 2**20:.0f} MiB "
            f"(written in {time.perf_counter() - t0:.1f} s)"
        )
        copy = (
            "import csv,sys\n"
            "r=csv.reader(open(sys.argv[1],newline='',encoding='utf-8'))\n"
            "w=csv.writer(open(sys.argv[2],'w',newline='',encoding='utf-8'),lineterminator='\\n')\n"
            "w.writerows(r)\n"
        )
        script = str(Path(sys.executable).parent / "concord-kg")
        command = [script, "harmonise", str(source), "--column", "who_coordinates", "--out-dataset", str(out)]
        walls, cpus, peers = [], [], []
        for round_ in range(1, repeat + 1):
            load = f"{os.getloadavg()[0]:.1f}"
            peer, _, _, _ = _run([sys.executable, "-c", copy, str(source), str(out)])
            wall, cpu, _, done = _run(command)
            if done.returncode != 0:
                print(done.stderr)
                raise SystemExit(f"concord-kg harmonise failed with exit {done.returncode}")
            walls.append(wall)
            cpus.append(cpu)
            peers.append(peer)
            print(
                f"round {round_}: {wall:.1f} s wall ({cpu:.1f} s CPU); csv copy {peer:.1f} s; "
                f"load average before {load}"
            )
        # ru_maxrss of children: the largest process among them, the harmonising one.
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with out.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
            written = sum(1 for _ in handle)
        print(f"output: {written:,} rows, columns {header}")
        print(done.stderr.splitlines()[0])
        wall, peer = statistics.median(walls), statistics.median(peers)
        verdict = "met" if wall < 30 and peak < 1024 else "NOT met"
        print(
            f"concord-kg harmonise --out-dataset: median {wall:.1f} s wall (min {min(walls):.1f}, max "
            f"{max(walls):.1f}; median CPU {statistics.median(cpus):.1f} s), peak RSS {peak:.0f} MiB "
            f"(target < 30 s, < 1024 MiB: {verdict})"
        )
        print(
            f"peer: plain csv copy of the same file: median {peer:.1f} s; "
            f"ratio {wall / peer:.1f}x the time of copying the file"
        )
        print(f"command: {' '.join(command[1:])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, help="labelled sets (default: all)")
    parser.add_argument("--scale", action="store_true", help="run the 1M-row end-to-end benchmark instead")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the scale run (median reported)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every wrong and missed value")
    parser.add_argument(
        "--learning-curve",
        action="store_true",
        help="print the tuning sets' cross-validated P/R as the matcher learns more labelled sets, instead",
    )
    args = parser.parse_args()
    if args.scale:
        scale(args.rows, args.distinct, args.repeat)
    elif args.learning_curve:
        learning_curve()
    else:
        evaluate(args.sets or DEFAULT_SETS, verbose=args.verbose)


if __name__ == "__main__":
    main()
