"""Service API (JSON): health, graph list, scenario classification and SHACL validation.

Classification and validation reuse the command line's code paths (``concord_kg.classify``,
``concord_kg.validate``, ``concord_kg.registry``), reading the request body in memory (JSON items
as rows, a CSV body as a stream), so the answers and the error lists are the ones
``concord-kg classify``/``validate`` give, naming the request instead of a file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from functools import cache

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from rdflib import Graph
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from concord_kg import __version__
from concord_kg.classify import Classifier
from concord_kg.errors import ConcordError, DataLoadError, parse_error
from concord_kg.formats import GRAPH_MEDIA_TYPES, graph_format
from concord_kg.validate import Report

from .backend import current_backend

__all__ = ["bp", "init_app"]

bp = Blueprint("api", __name__)

#: Shapes ``/api/validate`` can use.
SHAPES = ("scenario", "registry", "ontology")


@bp.get("/health")
def health() -> Response:
    """Say the service is up, which store it uses and how many graphs it holds (no query worker needed)."""
    backend = current_backend()
    return jsonify(
        status="ok",
        version=__version__,
        store="embedded" if backend.embedded else current_app.config["ENDPOINT"],
        graphs=len(backend.graphs()),
        store_mode=backend.store_mode,  # where query workers answer from: memory or disk
    )


@bp.get("/api/graphs")
def graphs() -> Response:
    """List the named graphs of the store."""
    return jsonify(graphs=current_backend().graphs())


def _classifier() -> Classifier:
    return current_backend().classifier()


@cache
def _shared_classifier() -> Classifier:
    """One classifier per worker process running :func:`validate_body` (the app's is the backend's)."""
    return Classifier()


@bp.post("/api/classify")
def classify() -> Response:
    """Classify a JSON list of scenarios (objects keyed by the CSV column names) with the fast engine.

    Answers the JSON of ``concord-kg classify --format json``; ``?allow_partial=true`` accepts blank
    values. Bad values → 422 listing every error (``item N: column ...``, ``item 0`` the first object).
    """
    from concord_kg.classify import write_classifications
    from concord_kg.scenarios import read_row_scenarios

    items = _json_body(request.get_data())
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items) or not items:
        raise BadRequest("send a non-empty JSON array of scenario objects (Content-Type: application/json)")
    allow_partial = request.args.get("allow_partial", "").lower() in ("1", "true", "yes")
    classifier = _classifier()
    scenarios = read_row_scenarios(
        items,
        classifier.decision,
        allow_partial=allow_partial,
        source="request body",
        columns=list(dict.fromkeys(key for item in items for key in item)),  # every object's keys
        row_name=lambda n: f"item {n}",
        blank_hint="use ?allow_partial=true to accept unknowns",
    )
    output = io.StringIO()
    write_classifications(
        scenarios, classifier=classifier, fmt="json", allow_partial=allow_partial, stdout=output
    )
    return Response(output.getvalue(), mimetype="application/json")


def _json_body(body: bytes) -> object:
    """Parse a JSON body; ``None`` if it is not JSON. Nesting too deep for the parser is a 400, not a 500."""
    try:
        return json.loads(body)
    except ValueError:
        return None
    except RecursionError:
        raise BadRequest("the JSON is nested too deeply") from None


@bp.post("/api/validate")
def validate() -> Response:
    """Validate an RDF body (by ``Content-Type``) or a CSV (scenarios, or a registry extract) with SHACL.

    ``?shapes=scenario|registry|ontology`` (default ``scenario``). Answers the report as JSON; a
    non-conforming input is still a 200 (the report is the answer). Parsing and SHACL run in a
    sandboxed worker under the query time limit and memory cap: their cost can grow fast with input.
    """
    kind = request.args.get("shapes", "scenario")
    if kind not in SHAPES:
        raise BadRequest(f"shapes must be one of {', '.join(SHAPES)}")
    mimetype = request.mimetype
    if mimetype == "text/csv" and kind == "ontology":
        raise UnsupportedMediaType("ontology shapes validate RDF, not CSV")
    if mimetype != "text/csv" and mimetype not in GRAPH_MEDIA_TYPES:
        raise UnsupportedMediaType("send RDF (" + ", ".join(GRAPH_MEDIA_TYPES) + ") or text/csv")
    limit = int(current_app.config["MAX_VALIDATE_TRIPLES"])
    backend = current_backend()
    return jsonify(backend.call(validate_body, request.get_data(), mimetype, kind, limit))


def validate_body(body: bytes, media_type: str, kind: str, max_triples: int) -> dict[str, object]:
    """Validate a request body (RDF or CSV) against the ``kind`` shapes; return the report as JSON data.

    Runs in a query worker (:meth:`server.backend.Backend.call`).

    :raises DataLoadError: the body does not parse.
    :raises TooLargeToValidate: more than ``max_triples`` triples.
    """
    if media_type == "text/csv":
        report = _validate_csv(body, kind, max_triples)
    else:
        report = _validate_rdf(_parse_rdf(body, media_type, max_triples), kind, max_triples)
    return {
        "conforms": report.conforms,
        "shapes": kind,
        "counts": {s: report.count(s) for s in ("Violation", "Warning", "Info")},
        "results": [asdict(f) for f in report.results],
    }


def _parse_rdf(body: bytes, media_type: str, limit: int) -> Graph:
    """Parse an RDF body with pyoxigraph, stopping past the triple cap; return it as an rdflib graph.

    The cap is checked while parsing (a short text can expand into many triples), and RDF/XML
    with a DTD is refused outright: entity expansion can make a few hundred bytes cost minutes.
    """
    import pyoxigraph as ox

    from concord_kg.validate import rdflib_graph

    if media_type == "application/ld+json":
        _refuse_remote_contexts(body)
    if media_type == "application/rdf+xml" and _declares_dtd(body):
        raise DataLoadError("RDF/XML with a DTD (<!DOCTYPE or <!ENTITY) is not accepted by this server")

    fmt = graph_format(media_type)
    if fmt is None:
        raise DataLoadError(f"unsupported RDF media type {media_type!r}")

    def capped(triples: Iterable[ox.Triple | ox.Quad]) -> Iterator[ox.Triple | ox.Quad]:
        for count, triple in enumerate(triples, 1):
            if count > limit:
                raise TooLargeToValidate(
                    f"the data has more than {limit:,} triples; this service validates at most {limit:,}",
                    hint="split the data, or run `concord-kg validate` locally",
                )
            yield triple

    try:
        graph = rdflib_graph(capped(ox.parse(body, format=fmt)), source="request body")
    except SyntaxError as exc:
        raise parse_error(exc, error=DataLoadError, source="request body", syntax=fmt.name) from exc
    except RecursionError:
        raise DataLoadError("the data is nested too deeply") from None
    return graph


def _declares_dtd(body: bytes) -> bool:
    utf16 = body[:2] in (b"\xff\xfe", b"\xfe\xff")
    text = body.decode("utf-16", "replace") if utf16 else body.decode("utf-8", "replace")
    upper = text.upper()
    return "<!DOCTYPE" in upper or "<!ENTITY" in upper


class TooLargeToValidate(ConcordError):
    """The data is larger than one validation request may take (SHACL runs in the request thread)."""


def _refuse_remote_contexts(body: bytes) -> None:
    """Refuse JSON-LD that names a context by IRI: the server makes no requests, so the answer is a clear 400.

    pyoxigraph, which parses the body, never fetches a context; this keeps that a stated rule, whatever
    parser reads the body in future.
    """
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise DataLoadError(f"the body is not valid JSON-LD: {exc}") from exc
    except RecursionError:
        raise DataLoadError("the JSON-LD is nested too deeply") from None
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import") and _names_iri(value):
                    raise DataLoadError(
                        "JSON-LD contexts given by IRI are not fetched by this server",
                        hint="put the context inline in the document",
                    )
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _names_iri(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and any(isinstance(v, str) for v in value))


def _validate_rdf(data: Graph, kind: str, limit: int) -> Report:
    from concord_kg.validate import class_hierarchy, load_shapes, validate_graph

    if len(data) > limit:
        raise TooLargeToValidate(
            f"the data has {len(data):,} triples; this service validates at most {limit:,} per request",
            hint="split the data, or run `concord-kg validate` locally",
        )

    if kind == "registry":
        from concord_kg.registry import validate_registry

        return validate_registry(data)
    ontology = _authored_ontology() if kind == "ontology" else class_hierarchy()
    return validate_graph(data, load_shapes(kind), ontology=ontology)


@cache
def _authored_ontology() -> Graph:
    """Return the authored ontology, as ``concord-kg validate`` uses it for ``sh:class`` checks (cached)."""
    from concord_kg.ontology import load_ontology

    return load_ontology()


def _validate_csv(body: bytes, kind: str, limit: int) -> Report:
    from concord_kg.classify import scenario_graph
    from concord_kg.scenarios import read_csv_scenarios

    classifier = _shared_classifier()
    if kind == "registry":
        from concord_kg.registry import link_registry, registry_graph

        linkage = link_registry(io.BytesIO(body), name="request body", classifier=classifier)
        data = registry_graph(linkage, classifier)
    elif kind == "scenario":
        stream = io.BytesIO(body)
        scenarios = list(
            read_csv_scenarios(stream, classifier.decision, name="request body", allow_partial=True)
        )
        data = scenario_graph(classifier.classify(scenarios), classifier.decision)
    else:
        raise DataLoadError("ontology shapes validate RDF, not CSV")
    return _validate_rdf(data, kind, limit)


def init_app(app: Flask) -> None:
    """Register the API routes."""
    app.register_blueprint(bp)
