"""The ``/registry`` page: upload a registry extract, see the shape of its cohort as a chart.

The upload (a CSV, FHIR R4 Bundle or Phenopackets JSON with an answers CSV) is bounded by the app's
``MAX_CONTENT_LENGTH`` (413 above it), read in memory and never stored. Nothing is written to the
store.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from flask import Blueprint, Flask, Response, render_template, request
from werkzeug.datastructures import FileStorage

from concord_kg.classify import Classifier
from concord_kg.cohort_chart import render_chart
from concord_kg.errors import ConcordError, InputErrors, ScenarioError
from concord_kg.registry import Linkage, read_extract, summary_rows

from .backend import current_backend
from .problems import status_of

__all__ = ["bp", "init_app"]

bp = Blueprint("registry_page", __name__, template_folder="templates", static_folder=None)

#: What ``format`` may ask for: the page, or the chart alone.
FORMATS = {"html": "text/html", "svg": "image/svg+xml", "png": "image/png"}
_SUFFIXES = {".csv", ".json"}


def _classifier() -> Classifier:
    return current_backend().classifier()


@bp.get("/registry")
def form() -> str:
    """Show the upload form."""
    return render_template("pages/registry.html", result=None, errors=[])


@bp.post("/registry")
def upload() -> Response | tuple[str, int]:
    """Link the uploaded extract and answer with the page, or with the chart as SVG or PNG."""
    fmt = request.form.get("format", "html")
    if fmt not in FORMATS:
        raise ScenarioError(f"format {fmt!r}: use one of {', '.join(FORMATS)}", column="format")
    try:
        linkage = _link(request.files.get("extract"), request.files.get("answers"))
    except InputErrors as exc:
        if fmt != "html":
            raise
        return render_template("pages/registry.html", result=None, errors=[str(e) for e in exc.errors]), 422
    except ConcordError as exc:
        if fmt != "html":
            raise
        return render_template("pages/registry.html", result=None, errors=[str(exc)]), status_of(exc)
    if fmt != "html":
        return Response(render_chart(linkage, _classifier(), fmt), mimetype=FORMATS[fmt])
    svg = render_chart(linkage, _classifier(), "svg")
    result = {
        "patients": len(linkage.patients),
        "chart": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        "rows": summary_rows(linkage, _classifier()),
    }
    return Response(render_template("pages/registry.html", result=result, errors=[]), mimetype="text/html")


def _link(extract: FileStorage | None, answers: FileStorage | None) -> Linkage:
    """Read the uploads in memory and link them; errors name the uploaded files."""
    if extract is None or not extract.filename:
        raise ScenarioError("no file: upload a registry extract in the field 'extract'", column="extract")
    suffix = Path(extract.filename).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ScenarioError(
            f"{extract.filename}: expected a .csv registry extract or a .json FHIR Bundle/Phenopackets file",
            column="extract",
        )
    answers_data, answers_name = None, None
    if answers is not None and answers.filename:
        answers_data, answers_name = io.BytesIO(answers.read()), answers.filename
    return read_extract(
        io.BytesIO(extract.read()),
        name=extract.filename,
        classifier=_classifier(),
        answers=answers_data,
        answers_name=answers_name,
    )


def init_app(app: Flask) -> None:
    """Register the registry page."""
    app.register_blueprint(bp)
