"""The SPARQL 1.1 Protocol endpoint (``/sparql``): query, update, service description.

A request goes through small named steps (as in Oxigraph's server): the operation from method and
``Content-Type`` (else 415) → contradictory dataset parameters refused (400) → the text parsed and
``SERVICE``/``LOAD``/updates/unknown graphs refused before any store sees it (400/403) → the
answer format negotiated (406 lists what is supported) → evaluation in a killable worker under
the time limit and result cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flask import Blueprint, Flask, Response, current_app, request
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import DCTERMS, RDF
from werkzeug.exceptions import BadRequest, NotAcceptable, UnsupportedMediaType

from concord_kg.errors import ForbiddenQueryError, QueryError
from server.backend import Backend
from server.guard import analyse_query, analyse_update, check_graphs
from server.results import GRAPH_TYPES, SOLUTION_TYPES, Job

__all__ = ["bp", "init_app", "negotiate", "answer_job"]

bp = Blueprint("sparql", __name__)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

#: ``format=`` parameter values some clients send instead of an ``Accept`` header.
_FORMAT_PARAM = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
}
_RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
_SD_FORMATS = (
    FORMATS.SPARQL_Results_JSON,
    FORMATS.SPARQL_Results_XML,
    FORMATS.SPARQL_Results_CSV,
    FORMATS.SPARQL_Results_TSV,
    FORMATS.Turtle,
    FORMATS["N-Triples"],
    FORMATS.RDF_XML,
    FORMATS["JSON-LD"],
)


@dataclass(frozen=True)
class _Operation:
    kind: Literal["query", "update"]
    text: str
    default_graph: tuple[str, ...]
    named_graphs: tuple[str, ...]


def _backend() -> Backend:
    return current_app.extensions["concord"]


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer a SPARQL query or update, or describe the service when there is neither."""
    operation = _read_operation()
    if operation is None:
        return _service_description()
    if operation.kind == "update":
        return _update(operation)
    return _query(operation)


def _read_operation() -> _Operation | None:
    """Step 1: the operation from the method and ``Content-Type`` (SPARQL 1.1 Protocol §2)."""
    if request.method == "GET":
        if "update" in request.args:
            raise BadRequest("updates must be sent with POST")
        return _operation_from(request.args.getlist("query"), [], request.args)
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        form = request.form
        return _operation_from(form.getlist("query"), form.getlist("update"), request.values, required=True)
    if mimetype in ("application/sparql-query", "application/sparql-update"):
        text = request.get_data(as_text=True)
        kind: Literal["query", "update"] = "query" if mimetype.endswith("query") else "update"
        return _operation_from(
            [text] if kind == "query" else [], [text] if kind == "update" else [], request.args
        )
    raise UnsupportedMediaType(
        f"POST a query as application/sparql-query, an update as application/sparql-update, or either as "
        f"application/x-www-form-urlencoded; got {mimetype or 'no Content-Type'!r}"
    )


def _operation_from(
    queries: list[str], updates: list[str], params: object, *, required: bool = False
) -> _Operation | None:
    if len(queries) + len(updates) > 1:
        raise BadRequest("send exactly one 'query' or one 'update'")
    default = tuple(params.getlist("default-graph-uri"))  # type: ignore[attr-defined]
    named = tuple(params.getlist("named-graph-uri"))  # type: ignore[attr-defined]
    if params.getlist("using-graph-uri") or params.getlist("using-named-graph-uri"):  # type: ignore[attr-defined]
        raise BadRequest(
            "using-graph-uri and using-named-graph-uri are not supported; use USING in the update"
        )
    if queries:
        return _Operation("query", queries[0], default, named)
    if updates:
        return _Operation("update", updates[0], default, named)
    if required:
        raise BadRequest("the form has neither a 'query' nor an 'update' field")
    return None


def _query(operation: _Operation) -> Response:
    # SPARQL 1.1 Protocol: the request URL is the base IRI of a query that has no BASE.
    base = request.base_url
    analysis = analyse_query(operation.text, base=base)
    if (operation.default_graph or operation.named_graphs) and (analysis.from_default or analysis.from_named):
        raise QueryError(
            "the request gives both default-graph-uri/named-graph-uri parameters and FROM/FROM NAMED "
            "in the query; use one or the other"
        )
    backend = _backend()
    check_graphs(analysis, backend.graphs(), extra=operation.default_graph + operation.named_graphs)
    graph_form = analysis.form in ("CONSTRUCT", "DESCRIBE")
    media_type = negotiate(GRAPH_TYPES if graph_form else SOLUTION_TYPES)
    job = Job(
        query=operation.text,
        media_type=media_type,
        max_results=int(current_app.config["MAX_RESULTS"]),
        default_graph=operation.default_graph,
        named_graphs=operation.named_graphs,
        base_iri=base,
    )
    return answer_job(job)


def answer_job(job: Job) -> Response:
    """Evaluate a guarded job and wrap the answer, flagging truncation in ``X-Concord-Truncated``."""
    answer = _backend().run(job)
    response = Response(answer.body, mimetype=answer.media_type)
    response.headers["X-Concord-Result-Count"] = str(answer.count)
    if answer.truncated:
        response.headers["X-Concord-Truncated"] = "true"
    response.vary.add("Accept")
    return response


def negotiate(supported: tuple[str, ...]) -> str:
    """Pick the answer's media type by ``Accept`` (or a ``format`` parameter); the first is the default.

    :raises NotAcceptable: nothing supported is acceptable (the message lists what is).
    """
    wanted = request.values.get("format")
    if wanted:
        media_type = _FORMAT_PARAM.get(wanted.lower(), wanted)
        if media_type in supported:
            return media_type
    elif not request.accept_mimetypes:
        return supported[0]
    else:
        best = request.accept_mimetypes.best_match(supported)
        if best:
            return best
    raise NotAcceptable("this answer can be given as: " + ", ".join(supported))


def _update(operation: _Operation) -> Response:
    if not current_app.config["ALLOW_UPDATE"]:
        raise ForbiddenQueryError(
            "this endpoint is read-only: SPARQL Update is refused",
            hint="start the server with --allow-update",
        )
    if operation.default_graph or operation.named_graphs:
        raise BadRequest("default-graph-uri and named-graph-uri apply to queries, not updates")
    analyse_update(operation.text)
    _backend().update(operation.text)
    return Response(status=204)


def _service_description() -> Response:
    """Describe the endpoint (``sd:Service``) in Turtle or another RDF format by ``Accept``."""
    media_type = negotiate(GRAPH_TYPES)
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    graph.bind("dcterms", DCTERMS)
    service = URIRef(request.base_url + "#service")
    endpoint = URIRef(request.base_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, DCTERMS.title, RDFLiteral("concord-kg SPARQL endpoint", lang="en")))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if current_app.config["ALLOW_UPDATE"]:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    for fmt in _SD_FORMATS:
        graph.add((service, SD.resultFormat, fmt))
    backend = _backend()
    if backend.embedded:
        graph.add((service, SD.feature, SD.UnionDefaultGraph))
    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default = BNode()
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    for iri in backend.graphs():
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(iri)))
    body = graph.serialize(format=_RDFLIB_FORMATS[media_type], encoding="utf-8")
    response = Response(body, mimetype=media_type)
    response.vary.add("Accept")
    return response


def init_app(app: Flask) -> None:
    """Register the endpoint."""
    app.register_blueprint(bp)
