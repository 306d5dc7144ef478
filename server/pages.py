"""Web pages for people: home and term browser, decision aid, a saved query's page and downloads.

Pages work without JavaScript (links and GET forms; scripts only enhance them). The views of
``/queries`` and ``/sparql`` (:mod:`server.queries`, :mod:`server.sparql`) answer browsers with the
saved-query pages rendered here, and other clients with JSON or the SPARQL protocol.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from rdflib import Graph

from concord_kg.decision import DecisionModel
from concord_kg.errors import ConcordError, ScenarioError
from concord_kg.formats import format_parameter
from concord_kg.links import shorten
from concord_kg.ontology import resolve_term
from concord_kg.saved_queries import (
    SavedQuery,
    UnknownQueryError,
    bind_params,
)

from .backend import current_backend
from .browse import breadcrumbs, taxonomy_tree, term_relations
from .decide import NOT_RECOVERED, model_offer, next_step, read_answers, step_link
from .problems import status_of
from .results import Job
from .terms import linked_hits, term_url

__all__ = ["bp", "init_app", "query_page"]

bp = Blueprint("pages", __name__, template_folder="templates", static_folder=None)

#: Download formats of a saved query's results: file suffix → media type.
DOWNLOADS = {suffix: format_parameter(suffix) for suffix in ("csv", "json", "tsv")}
#: Rows shown in an HTML results table at most (downloads use the server's result cap).
HTML_ROWS = 1000


def _graph() -> Graph:
    return current_backend().ontology()


def _decision() -> DecisionModel:
    return current_backend().decision()


@bp.get("/")
def home() -> str:
    """Show the search box and the taxonomy tree (domains → sub-domains → options)."""
    return render_template("pages/home.html", tree=taxonomy_tree(_graph()))


@bp.get("/find")
def find() -> str:
    """Show the terms matching ``q`` (the search box's answer when JavaScript is off)."""
    query = request.args.get("q", "").strip()
    results = linked_hits(current_backend().search_index().search(query, limit=50)) if query else []
    return render_template("pages/find.html", query=query, results=results)


@bp.get("/decide")
def decide() -> tuple[str, int]:
    """Ask the next situation question that matters, or show the model that applies."""
    decision = _decision()
    try:
        answers = read_answers(decision, request.args)
    except ScenarioError as exc:
        return render_template("pages/decide.html", error=str(exc.message), step=next_step(decision, {})), 400
    step = next_step(decision, answers)
    offer = model_offer(_graph(), step.outcome.model) if step.outcome.model else None
    total = len(step.answers) + step.remaining
    return (
        render_template(
            "pages/decide.html", step=step, offer=offer, not_recovered=NOT_RECOVERED, total=total, error=None
        ),
        200,
    )


def _load(name: str) -> SavedQuery:
    try:
        return current_backend().saved_query(name)
    except UnknownQueryError:
        abort(404)


def query_page(name: str) -> tuple[str, int]:
    """Render a saved query's page: its form, and its results table when the form asks to ``run``."""
    query = _load(name)
    given = {p.name: request.args[p.name] for p in query.params if request.args.get(p.name, "").strip()}
    values = {p.name: given.get(p.name, p.default_text or "") for p in query.params}
    table, error, status = None, None, 200
    if "run" in request.args:
        try:
            table = _run(query, given, "application/sparql-results+json", HTML_ROWS)
        except ConcordError as exc:
            error, status = exc.message, status_of(exc)
    page = render_template(
        "pages/query.html", query=query, values=values, given=given, table=table, error=error
    )
    return page, status


def _run(query: SavedQuery, given: dict[str, str], media_type: str, limit: int) -> dict[str, Any]:
    """Run a saved query through the server's workers (time limit, result cap); return its answer."""
    backend = current_backend()
    bindings = bind_params(query, given, decision=backend.decision())
    substitutions = {variable.value: term for variable, term in bindings.items()}
    job = Job(query=query.text, media_type=media_type, max_results=limit, substitutions=substitutions)
    answer = backend.run(job)
    if media_type != "application/sparql-results+json":
        return {"body": answer.body, "truncated": answer.truncated}
    data = json.loads(answer.body)
    variables = data.get("head", {}).get("vars", [])
    rows = [
        [_cell(binding.get(v)) for v in variables] for binding in data.get("results", {}).get("bindings", [])
    ]
    return {"variables": variables, "rows": rows, "truncated": answer.truncated}


def _cell(term: dict[str, Any] | None) -> dict[str, Any]:
    if term is None:
        return {"text": "", "href": None}
    value = term["value"]
    if term["type"] != "uri":
        return {"text": value, "href": None}
    # Data loaded into the store could hold javascript: or file: IRIs: term_url links web IRIs only.
    return {"text": shorten(value), "href": term_url(value)}


@bp.get("/queries/<name>/results.<fmt>")
def download(name: str, fmt: str) -> Response:
    """Run a saved query with the parameters of the query string and answer a CSV/TSV/JSON file."""
    if fmt not in DOWNLOADS:
        abort(404)
    query = _load(name)
    given = {p.name: request.args[p.name] for p in query.params if request.args.get(p.name, "").strip()}
    answer = _run(query, given, DOWNLOADS[fmt], int(current_app.config["MAX_RESULTS"]))
    response = Response(answer["body"], mimetype=DOWNLOADS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _term_links() -> dict[str, Any]:
    """Give term pages breadcrumbs and links to models and decisions (``term_extras(iri)``)."""

    def term_extras(iri: str) -> dict[str, Any]:
        graph = _graph()
        node = resolve_term(graph, iri)
        relations = term_relations(graph, node)
        for model in _decision().models:
            if model.iri == node:
                known = dict(model.conditions)
                relations["In the decision aid"] = [{**step_link(_decision(), known), "label": model.label}]
        return {"breadcrumbs": breadcrumbs(graph, node), "relations": relations}

    return {"term_extras": term_extras}


def init_app(app: Flask) -> None:
    """Register the pages and the term-page helpers."""
    app.register_blueprint(bp)
    app.context_processor(_term_links)
