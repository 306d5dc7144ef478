"""Saved queries over HTTP: list ``queries/*.rq`` with their headers, show one, run one with parameters.

Parameters are read by :func:`concord_kg.saved_queries.bind_params` and bound with pyoxigraph
``substitutions`` (never spliced into the text); the run goes through the same guard, workers,
time limit, result cap and content negotiation as ``/sparql``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for

from concord_kg.saved_queries import SavedQuery, bind_params, list_saved_queries, load_saved_query

from .guard import analyse_query, check_graphs
from .results import GRAPH_TYPES, SOLUTION_TYPES, Job
from .sparql import answer_job, negotiate

__all__ = ["bp", "init_app"]

bp = Blueprint("queries", __name__)

#: Request parameters that are not query parameters.
_RESERVED = {"format"}


def _describe(query: SavedQuery) -> dict[str, object]:
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "params": [
            {"name": p.name, "description": p.description, "default": p.default_text} for p in query.params
        ],
        "url": url_for("queries.show", name=query.name),
        "run": url_for("queries.run", name=query.name),
    }


@bp.get("/queries")
def index() -> Response:
    """List the saved queries with their title, description and parameters."""
    return jsonify(queries=[_describe(q) for q in list_saved_queries()])


@bp.get("/queries/<name>")
def show(name: str) -> Response:
    """Show one saved query: its header as JSON, or its text as ``application/sparql-query``."""
    query = load_saved_query(name)
    if request.accept_mimetypes.best_match(("application/json", "application/sparql-query")) == (
        "application/sparql-query"
    ):
        return Response(query.text, mimetype="application/sparql-query")
    return jsonify({**_describe(query), "sparql": query.text})


@bp.route("/queries/<name>/run", methods=["GET", "POST"])
def run(name: str) -> Response:
    """Run a saved query; parameters come from the query string or form (``?notation=D3``)."""
    query = load_saved_query(name)
    given = {k: v for k, v in request.values.items() if k not in _RESERVED}
    substitutions = {variable.value: term for variable, term in bind_params(query, given).items()}
    analysis = analyse_query(query.text)
    check_graphs(analysis, current_app.extensions["concord"].graphs())
    graph_form = analysis.form in ("CONSTRUCT", "DESCRIBE")
    job = Job(
        query=query.text,
        media_type=negotiate(GRAPH_TYPES if graph_form else SOLUTION_TYPES),
        max_results=int(current_app.config["MAX_RESULTS"]),
        substitutions=substitutions,
    )
    return answer_job(job)


def init_app(app: Flask) -> None:
    """Register the saved-query routes."""
    app.register_blueprint(bp)
