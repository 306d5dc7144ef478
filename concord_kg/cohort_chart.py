"""Draw the shape of a linked cohort: patients per model, and per disease × model for the top diseases."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concord_kg.classify import Classifier
    from concord_kg.registry import Linkage

__all__ = ["CHART_FORMATS", "TOP_DISEASES", "render_chart"]

#: File formats a chart can be written in (the output file's suffix).
CHART_FORMATS = ("png", "svg")
#: How many of the most frequent diseases get their own row in the disease × model panel.
TOP_DISEASES = 10


def render_chart(linkage: Linkage, classifier: Classifier, fmt: str = "svg") -> bytes:
    """Return a two-panel chart (bars of patients per model; a disease × model grid) as PNG or SVG.

    :raises ValueError: ``fmt`` is not one of :data:`CHART_FORMATS`.
    """
    if fmt not in CHART_FORMATS:
        raise ValueError(f"chart format {fmt!r}: use one of {', '.join(CHART_FORMATS)}")
    import matplotlib

    matplotlib.use("Agg")  # no display: charts are files or HTTP bodies
    from matplotlib.figure import Figure

    models = [m.notation for m in classifier.decision.models]
    per_model = linkage.per_model
    names = {p.orphacode: p.disease or p.orphacode for p in linkage.patients}
    by_disease: dict[str, int] = {}
    for (code, _), n in linkage.per_disease_model.items():
        by_disease[code] = by_disease.get(code, 0) + n
    top = sorted(by_disease, key=lambda c: (-by_disease[c], int(c.split(":")[1])))[:TOP_DISEASES]
    grid = [[linkage.per_disease_model.get((code, m), 0) for m in models] for code in top]

    figure = Figure(figsize=(10, 4 + 0.35 * len(top)), layout="constrained")
    bars, heat = figure.subplots(2, 1, height_ratios=[1, max(1, len(top)) / 4])
    counts = [per_model.get(m, 0) for m in models]
    bars.bar(models, counts, color="#2f6f8f")
    bars.set_ylabel("patients")
    bars.set_title(f"Patients per care coordination model (n = {len(linkage.patients)})")
    for x, n in zip(models, counts, strict=True):
        bars.annotate(str(n), (x, n), ha="center", va="bottom", fontsize=8)
    if top:
        image = heat.imshow(grid, aspect="auto", cmap="Blues")
        heat.set_xticks(range(len(models)), models)
        heat.set_yticks(range(len(top)), [f"{c} {names[c]}"[:60] for c in top], fontsize=8)
        heat.set_title(f"Disease × model, top {len(top)} disease(s) by patients")
        darkest = max(max(row) for row in grid)
        for i, row in enumerate(grid):
            for j, n in enumerate(row):
                if n:  # white on the dark half of the colour scale, so every count stays readable
                    colour = "white" if n > darkest / 2 else "black"
                    heat.text(j, i, str(n), ha="center", va="center", fontsize=7, color=colour)
        figure.colorbar(image, ax=heat, label="patients")
    else:
        heat.set_axis_off()
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()
