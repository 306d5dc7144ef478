"""The SPARQL 1.1 Protocol endpoint (``/sparql``): query, update, service description.

A request goes through small named steps (as in Oxigraph's server): the operation from method and
``Content-Type`` (else 415) → line endings normalised and the length capped (413), so the guard and
the store read the same text → updates: read-only refused (403), bearer token checked (401) → the
answer formats negotiated (406 lists what is supported) → in a killable worker that cannot reach
the network, under the time limit, memory cap and result cap: the text parsed and
``SERVICE``/``LOAD``/unknown graphs refused (400/403), then evaluation.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal, overload
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, render_template, request
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import DCTERMS, RDF
from werkzeug.datastructures import MultiDict, WWWAuthenticate
from werkzeug.exceptions import (
    BadRequest,
    NotAcceptable,
    RequestEntityTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)

from concord_kg.errors import ForbiddenQueryError
from concord_kg.formats import (
    GRAPH_MEDIA_TYPES,
    SOLUTION_MEDIA_TYPES,
    format_parameter,
    rdflib_format,
)
from concord_kg.ontology import prefixes

from .backend import Backend, current_backend
from .guard import normalise_newlines
from .results import Job

__all__ = ["bp", "init_app", "negotiate", "wants_html", "answer_job", "endpoint_url", "public_url"]

bp = Blueprint("sparql", __name__)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

#: Saved queries offered as example tabs in the SPARQL editor.
EXAMPLE_QUERIES = ("model-characteristics", "decisions-per-model")
#: Base URL when ``PUBLIC_URL`` is not set (an app made by ``create_app`` alone, as in tests);
#: ``concord-kg serve`` sets it to the address it listens on.
_FALLBACK_URL = "http://localhost/"
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
    return current_backend()


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer a SPARQL query or update; with neither, the editor (browsers) or the service description."""
    operation = _read_operation()
    if operation is None:
        return _editor_page() if wants_html() else _service_description()
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
    queries: list[str], updates: list[str], params: MultiDict[str, str], *, required: bool = False
) -> _Operation | None:
    if len(queries) + len(updates) > 1:
        raise BadRequest("send exactly one 'query' or one 'update'")
    default = tuple(params.getlist("default-graph-uri"))
    named = tuple(params.getlist("named-graph-uri"))
    if params.getlist("using-graph-uri") or params.getlist("using-named-graph-uri"):
        raise BadRequest(
            "using-graph-uri and using-named-graph-uri are not supported; use USING in the update"
        )
    for kind, texts in (("query", queries), ("update", updates)):
        if texts:
            form: Literal["query", "update"] = "query" if kind == "query" else "update"
            return _Operation(form, _bounded(normalise_newlines(texts[0])), default, named)
    if required:
        raise BadRequest("the form has neither a 'query' nor an 'update' field")
    return None


def _bounded(text: str) -> str:
    """Refuse texts longer than ``MAX_QUERY_LENGTH`` before anything parses them."""
    limit = int(current_app.config["MAX_QUERY_LENGTH"])
    if len(text) > limit:
        raise RequestEntityTooLarge(f"the text has {len(text):,} characters; this endpoint takes {limit:,}")
    return text


def _query(operation: _Operation) -> Response:
    backend = _backend()
    job = Job(
        query=operation.text,
        media_type=negotiate(SOLUTION_MEDIA_TYPES, strict=False),
        graph_media_type=negotiate(GRAPH_MEDIA_TYPES, strict=False),
        max_results=int(current_app.config["MAX_RESULTS"]),
        default_graph=operation.default_graph,
        named_graphs=operation.named_graphs,
        base_iri=endpoint_url(),  # SPARQL 1.1 Protocol: the request URL is the base IRI
        known_graphs=tuple(backend.graphs()),  # the guard runs where the query runs, under its limits
    )
    if job.media_type is None and job.graph_media_type is None:
        raise NotAcceptable(
            "this answer can be given as: " + ", ".join(SOLUTION_MEDIA_TYPES + GRAPH_MEDIA_TYPES)
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


@overload
def negotiate(supported: tuple[str, ...]) -> str: ...
@overload
def negotiate(supported: tuple[str, ...], *, strict: Literal[False]) -> str | None: ...


def negotiate(supported: tuple[str, ...], *, strict: bool = True) -> str | None:
    """Pick the answer's media type by ``Accept`` (or a ``format`` parameter); the first is the default.

    :param strict: raise when nothing is acceptable (else return ``None``).
    :raises NotAcceptable: nothing supported is acceptable (the message lists what is).
    """
    wanted = request.values.get("format")
    if wanted:
        media_type = format_parameter(wanted)
        if media_type in supported:
            return media_type
    elif not request.accept_mimetypes:
        return supported[0]
    else:
        best = request.accept_mimetypes.best_match(supported)
        if best:
            return best
    if not strict:
        return None
    raise NotAcceptable("this answer can be given as: " + ", ".join(supported))


def wants_html() -> bool:
    """Whether a browser is asking for a page: a GET (or HEAD) preferring ``text/html`` to JSON."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.method in ("GET", "HEAD") and best == "text/html"


def _editor_page() -> Response:
    """Render the SPARQL editor (YASGUI) with the project's prefixes and example queries."""
    backend = _backend()
    examples = [backend.saved_query(name) for name in EXAMPLE_QUERIES]
    page = render_template(
        "pages/sparql.html", prefixes=prefixes(), examples=examples, endpoint=endpoint_url()
    )
    response = Response(page, mimetype="text/html")
    response.vary.add("Accept")  # the same URL answers the service description to other clients
    return response


def _update(operation: _Operation) -> Response:
    g.concord_write = True  # no CORS headers on this answer (server.cors)
    config = current_app.config
    if not config["ALLOW_UPDATE"]:
        raise ForbiddenQueryError(
            "this endpoint is read-only: SPARQL Update is refused",
            hint="start the server with --allow-update and an update token",
        )
    _authorise_update(config["UPDATE_TOKEN"])
    if operation.default_graph or operation.named_graphs:
        raise BadRequest("default-graph-uri and named-graph-uri apply to queries, not updates")
    _backend().update(operation.text)
    return Response(status=204)


def _authorise_update(token: str) -> None:
    """Let an update through only with the bearer token, and never a cross-origin form post.

    A page on another origin can post an HTML form without a CORS preflight: such a post is
    refused whatever it carries. The token is compared in constant time and never logged.
    """
    origin = request.headers.get("Origin")
    if request.mimetype == "application/x-www-form-urlencoded" and origin and origin != _own_origin():
        raise ForbiddenQueryError(f"an update form posted from another origin ({origin[:100]}) is refused")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized(
            "SPARQL Update needs the update token: send 'Authorization: Bearer <token>'",
            www_authenticate=WWWAuthenticate("Bearer", {"realm": "concord-kg update"}),
        )


def _own_origin() -> str:
    parts = urlsplit(public_url())
    return f"{parts.scheme}://{parts.netloc}"


def public_url() -> str:
    """Return the service's base URL from the settings (``PUBLIC_URL``), never from ``Host``."""
    return current_app.config["PUBLIC_URL"] or _FALLBACK_URL


def endpoint_url() -> str:
    """Return the public URL of ``/sparql`` (the base IRI of queries, the service description's endpoint)."""
    return public_url() + "sparql"


def _service_description() -> Response:
    """Describe the endpoint (``sd:Service``) in Turtle or another RDF format by ``Accept``."""
    media_type = negotiate(GRAPH_MEDIA_TYPES)
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    graph.bind("dcterms", DCTERMS)
    endpoint = URIRef(endpoint_url())
    service = URIRef(endpoint + "#service")
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
    body = graph.serialize(format=rdflib_format(media_type), encoding="utf-8")
    response = Response(body, mimetype=media_type)
    response.vary.add("Accept")
    return response


def init_app(app: Flask) -> None:
    """Register the endpoint."""
    app.register_blueprint(bp)
