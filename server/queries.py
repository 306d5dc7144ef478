"""Saved queries over HTTP: list ``queries/*.rq`` with their headers, show one, run one with parameters.

``/queries`` and ``/queries/<name>`` answer browsers (``text/html`` preferred to JSON) with pages
(:func:`server.pages.query_page`), other clients with JSON (or the query text).

Parameters are read by :func:`concord_kg.saved_queries.bind_params` and bound with pyoxigraph
``substitutions`` (never spliced into the text); the run goes through the same guard, workers,
time limit, result cap and content negotiation as ``/sparql``.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)

from concord_kg.formats import GRAPH_MEDIA_TYPES, SOLUTION_MEDIA_TYPES
from concord_kg.saved_queries import SavedQuery, bind_params

from .backend import current_backend
from .guard import analyse_query, check_graphs
from .pages import query_page
from .results import Job
from .sparql import answer_job, negotiate, wants_html

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
    """List the saved queries with their title, description and parameters (a page, or JSON)."""
    queries = current_backend().saved_queries()
    if wants_html():
        return _by_accept(render_template("pages/queries.html", queries=queries))
    return _by_accept(jsonify(queries=[_describe(q) for q in queries]))


@bp.get("/queries/<name>")
def show(name: str) -> Response:
    """Show one saved query: its page (form and results), its header as JSON, or its text as SPARQL."""
    if wants_html():
        return _by_accept(query_page(name))
    query = current_backend().saved_query(name)
    if request.accept_mimetypes.best_match(("application/json", "application/sparql-query")) == (
        "application/sparql-query"
    ):
        return _by_accept(Response(query.text, mimetype="application/sparql-query"))
    return _by_accept(jsonify({**_describe(query), "sparql": query.text}))


def _by_accept(answer: Response | str | tuple[str, int]) -> Response:
    """Mark an answer as chosen by ``Accept`` (a page or data at one URL), so caches keep them apart."""
    response = make_response(answer)
    response.vary.add("Accept")
    return response


@bp.route("/queries/<name>/run", methods=["GET", "POST"])
def run(name: str) -> Response:
    """Run a saved query; parameters come from the query string or form (``?notation=D3``)."""
    backend = current_backend()
    query = backend.saved_query(name)
    given = {k: v for k, v in request.values.items() if k not in _RESERVED}
    bindings = bind_params(query, given, decision=backend.decision())
    substitutions = {variable.value: term for variable, term in bindings.items()}
    analysis = analyse_query(query.text)
    check_graphs(analysis, backend.graphs())
    graph_form = analysis.form in ("CONSTRUCT", "DESCRIBE")
    job = Job(
        query=query.text,
        media_type=negotiate(GRAPH_MEDIA_TYPES if graph_form else SOLUTION_MEDIA_TYPES),
        max_results=int(current_app.config["MAX_RESULTS"]),
        substitutions=substitutions,
    )
    return answer_job(job)


def init_app(app: Flask) -> None:
    """Register the saved-query routes."""
    app.register_blueprint(bp)
