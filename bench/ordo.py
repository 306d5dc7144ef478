"""Benchmark: reading an ORDO-shaped file for ``concord-kg link --ordo`` (streaming) vs rdflib's full parse.

Run: .venv/bin/python bench/ordo.py [--classes 15000] [--repeat 3]
Writes a SYNTHETIC ORDO-shaped RDF/XML file (tests/registry_sources.py: owl:Class elements with English and
French labels, definitions, subClassOf, every 50th class obsolete), then times, in the same run:
  - concord_kg.registry.load_ordo (iterparse, keeps code → label/obsolete) — what `link --ordo` does;
  - the peer: rdflib Graph().parse(format="xml"), the whole file as an RDF graph;
  - the default list: the Orphanet diseases embedded in hpo3 (what `link` uses without --ordo).
Prints seconds (best of --repeat; rdflib once, it is slow), classes/s, the peak Python heap (tracemalloc)
of each, and the ratios to the peer.
Target: load_ordo at least 5x faster than rdflib and under 2 s for the real ORDO's ~15,000 classes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rdflib import Graph  # noqa: E402
from registry_sources import write_ordo  # noqa: E402

from concord_kg.registry import load_ordo  # noqa: E402


def measure(job: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Return (best seconds, peak MiB of Python allocations in one run, the job's result)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = job()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    job()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=15_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = write_ordo(Path(folder) / "ordo.owl", args.classes)
        size = path.stat().st_size / 2**20
        print(f"ORDO-shaped file: {args.classes:,} classes ({args.classes // 50:,} obsolete), {size:.1f} MiB")
        ours, ours_mem, index = measure(lambda: load_ordo(path), args.repeat)
        obsolete = sum(index.obsolete(iri) for iri in index.classes)  # type: ignore[attr-defined]
        print(
            f"load_ordo (streaming):   {ours:6.3f} s  {args.classes / ours:9,.0f} classes/s  "
            f"peak {ours_mem:6.1f} MiB  ({len(index):,} classes, {obsolete:,} obsolete)"  # type: ignore[arg-type]
        )
        peer, peer_mem, graph = measure(lambda: Graph().parse(path, format="xml"), 1)
        print(
            f"rdflib Graph.parse:      {peer:6.3f} s  {args.classes / peer:9,.0f} classes/s  "
            f"peak {peer_mem:6.1f} MiB  ({len(graph):,} triples)"  # type: ignore[arg-type]
        )
        print(f"ratio: load_ordo {peer / ours:.1f}x faster than rdflib, {peer_mem / ours_mem:.1f}x less heap")
    from concord_kg.orphanet import hpo_orphanet_codes

    start = time.perf_counter()
    codes = hpo_orphanet_codes()
    took = time.perf_counter() - start
    print(f"default list (hpo3):     {took:6.3f} s  ({len(codes):,} diseases, {codes.source})")


if __name__ == "__main__":
    main()
