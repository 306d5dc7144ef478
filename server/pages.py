"""Web pages for people: home and term browser, decision aid, saved-query catalogue, SPARQL editor.

Pages work without JavaScript (links and GET forms; scripts only enhance them). ``/queries`` and
``/sparql`` answer HTML only when a browser asks for it (``Accept: text/html`` preferred over JSON,
and for ``/sparql`` no query in the request); every other request goes on to the JSON and protocol
routes of those URLs.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from rdflib import Graph

from concord_kg.decision import DecisionModel, load_decision_model
from concord_kg.errors import ConcordError, ScenarioError
from concord_kg.ontology import CKG, prefixes, resolve_term
from concord_kg.saved_queries import (
    SavedQuery,
    UnknownQueryError,
    bind_params,
    list_saved_queries,
    load_saved_query,
)

from .browse import breadcrumbs, taxonomy_tree, term_relations
from .decide import NOT_RECOVERED, model_offer, next_step, read_answers, step_link
from .results import Job
from .terms import search_index

__all__ = ["bp", "init_app"]

bp = Blueprint("pages", __name__, template_folder="templates", static_folder=None)

#: Download formats of a saved query's results: file suffix → media type.
DOWNLOADS = {"csv": "text/csv", "json": "application/sparql-results+json", "tsv": "text/tab-separated-values"}
#: Rows shown in an HTML results table at most (downloads use the server's result cap).
HTML_ROWS = 1000
#: Saved queries offered as example tabs in the SPARQL editor.
EXAMPLE_QUERIES = ("model-characteristics", "decisions-per-model")
_QUERY_PAGE = re.compile(r"/queries/([A-Za-z0-9][A-Za-z0-9_-]*)")


def _graph() -> Graph:
    return current_app.extensions["concord"].ontology()


def _decision() -> DecisionModel:
    extensions = current_app.extensions
    if "concord.decision" not in extensions:
        extensions["concord.decision"] = load_decision_model(_graph())
    return extensions["concord.decision"]


def _wants_html() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


@bp.get("/")
def home() -> str:
    """Show the search box and the taxonomy tree (domains → sub-domains → options)."""
    return render_template("pages/home.html", tree=taxonomy_tree(_graph()))


@bp.get("/find")
def find() -> str:
    """Show the terms matching ``q`` (the search box's answer when JavaScript is off)."""
    query = request.args.get("q", "").strip()
    results = search_index().search(query, limit=50) if query else []
    for hit in results:
        hit["href"] = (
            "/term/" + hit["iri"].removeprefix(str(CKG)) if hit["iri"].startswith(str(CKG)) else hit["iri"]
        )
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


def _html_pages() -> Response | str | tuple[str, int] | None:
    """Answer browsers on ``/queries``, ``/queries/<name>`` and a bare ``/sparql``; let others through."""
    if request.method != "GET" or not _wants_html():
        return None
    if request.path == "/queries":
        return render_template("pages/queries.html", queries=list_saved_queries())
    match = _QUERY_PAGE.fullmatch(request.path)
    if match:
        return _query_page(match.group(1))
    if request.path == "/sparql" and not ({"query", "update"} & set(request.args)):
        examples = [load_saved_query(name) for name in EXAMPLE_QUERIES]
        from .sparql import endpoint_url

        endpoint = endpoint_url()
        return render_template("pages/sparql.html", prefixes=prefixes(), examples=examples, endpoint=endpoint)
    return None


def _load(name: str) -> SavedQuery:
    try:
        return load_saved_query(name)
    except UnknownQueryError:
        abort(404)


def _query_page(name: str) -> tuple[str, int]:
    query = _load(name)
    given = {p.name: request.args[p.name] for p in query.params if request.args.get(p.name, "").strip()}
    values = {p.name: given.get(p.name, p.default_text or "") for p in query.params}
    table, error, status = None, None, 200
    if "run" in request.args:
        try:
            table = _run(query, given, "application/sparql-results+json", HTML_ROWS)
        except ConcordError as exc:
            error, status = exc.message, exc.http_status
    page = render_template(
        "pages/query.html", query=query, values=values, given=given, table=table, error=error
    )
    return page, status


def _run(query: SavedQuery, given: dict[str, str], media_type: str, limit: int) -> dict:
    """Run a saved query through the server's workers (time limit, result cap); return its answer."""
    substitutions = {variable.value: term for variable, term in bind_params(query, given).items()}
    job = Job(query=query.text, media_type=media_type, max_results=limit, substitutions=substitutions)
    answer = current_app.extensions["concord"].run(job)
    if media_type != "application/sparql-results+json":
        return {"body": answer.body, "truncated": answer.truncated}
    data = json.loads(answer.body)
    variables = data.get("head", {}).get("vars", [])
    rows = [
        [_cell(binding.get(v)) for v in variables] for binding in data.get("results", {}).get("bindings", [])
    ]
    return {"variables": variables, "rows": rows, "truncated": answer.truncated}


def _cell(term: dict | None) -> dict:
    if term is None:
        return {"text": "", "href": None}
    value = term["value"]
    if term["type"] != "uri":
        return {"text": value, "href": None}
    if value.startswith(str(CKG)):
        local = value.removeprefix(str(CKG))
        return {"text": "ckg:" + local, "href": "/term/" + local}
    # Only web IRIs become links: data loaded into the store could hold javascript: or file: IRIs.
    return {"text": value, "href": value if value.startswith(("http://", "https://")) else None}


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


def _term_links() -> dict:
    """Give term pages breadcrumbs and links to models and decisions (``term_extras(iri)``)."""

    def term_extras(iri: str) -> dict:
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
    """Register the pages, the browser views of ``/queries`` and ``/sparql``, and term-page helpers."""
    app.register_blueprint(bp)
    app.before_request(_html_pages)
    app.context_processor(_term_links)
