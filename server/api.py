"""Service API (JSON): health, graph list, scenario classification and SHACL validation.

Classification and validation reuse the command line's code paths (``concord_kg.classify``,
``concord_kg.validate``, ``concord_kg.registry``) on a temporary copy of the request body, so the
answers and the error lists are the ones ``concord-kg classify``/``validate`` give.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from rdflib import Graph
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from concord_kg import __version__
from concord_kg.classify import Classifier
from concord_kg.errors import ConcordError, DataLoadError, InputErrors
from concord_kg.validate import Report
from server.backend import current_backend

__all__ = ["bp", "init_app"]

bp = Blueprint("api", __name__)

#: RDF media types accepted by ``/api/validate`` (parsed by pyoxigraph).
RDF_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
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
    values. Bad values → 422 listing every error (``item N: column ...``).
    """
    from concord_kg.classify import classify_file

    items = _json_body(request.get_data())
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items) or not items:
        raise BadRequest("send a non-empty JSON array of scenario objects (Content-Type: application/json)")
    allow_partial = request.args.get("allow_partial", "").lower() in ("1", "true", "yes")
    output = io.StringIO()
    with _request_file(_rows_to_csv(items), ".csv") as path, _as_items(path):
        classify_file(path, classifier=_classifier(), fmt="json", allow_partial=allow_partial, stdout=output)
    return Response(output.getvalue(), mimetype="application/json")


def _json_body(body: bytes) -> object:
    """Parse a JSON body; ``None`` if it is not JSON. Nesting too deep for the parser is a 400, not a 500."""
    try:
        return json.loads(body)
    except ValueError:
        return None
    except RecursionError:
        raise BadRequest("the JSON is nested too deeply") from None


def _rows_to_csv(items: list[dict]) -> bytes:
    columns = list(dict.fromkeys(key for item in items for key in item))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(item.get(column)) for column in columns])
    return out.getvalue().encode()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


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
    if mimetype != "text/csv" and mimetype not in RDF_TYPES:
        raise UnsupportedMediaType("send RDF (" + ", ".join(RDF_TYPES) + ") or text/csv")
    limit = int(current_app.config["MAX_VALIDATE_TRIPLES"])
    backend = current_backend()
    return jsonify(backend.call(validate_body, request.get_data(), mimetype, kind, limit))


def validate_body(body: bytes, media_type: str, kind: str, max_triples: int) -> dict:
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
    from rdflib.term import BNode, Literal, URIRef

    if media_type == "application/ld+json":
        _refuse_remote_contexts(body)
    if media_type == "application/rdf+xml" and _declares_dtd(body):
        raise DataLoadError("RDF/XML with a DTD (<!DOCTYPE or <!ENTITY) is not accepted by this server")

    def term(node: object) -> URIRef | BNode | Literal:
        if isinstance(node, ox.NamedNode):
            return URIRef(node.value)
        if isinstance(node, ox.BlankNode):
            return BNode(node.value)
        if isinstance(node, ox.Literal):
            datatype = None if node.language else URIRef(node.datatype.value)
            return Literal(node.value, lang=node.language, datatype=datatype)
        raise DataLoadError("RDF-star quoted triples are not accepted by /api/validate")

    graph = Graph()
    try:
        for count, quad in enumerate(ox.parse(body, format=ox.RdfFormat.from_media_type(media_type)), 1):
            if count > limit:
                raise TooLargeToValidate(
                    f"the data has more than {limit:,} triples; this service validates at most {limit:,}",
                    hint="split the data, or run `concord-kg validate` locally",
                )
            graph.add((term(quad.subject), term(quad.predicate), term(quad.object)))
    except SyntaxError as exc:
        raise DataLoadError(f"the body is not valid {media_type}: {str(exc)[:300]}") from exc
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

    http_status = 413


def _refuse_remote_contexts(body: bytes) -> None:
    """Refuse JSON-LD that names a context by IRI: rdflib would fetch it (the server makes no requests)."""
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
    with _request_file(body, ".csv") as path, _as_items(path, items=False):
        if kind == "registry":
            from concord_kg.registry import link_registry, registry_graph

            data = registry_graph(link_registry(path, classifier=classifier), classifier)
        elif kind == "scenario":
            scenarios = list(read_csv_scenarios(path, classifier.decision, allow_partial=True))
            data = scenario_graph(classifier.classify(scenarios), classifier.decision)
        else:
            raise DataLoadError("ontology shapes validate RDF, not CSV")
    return _validate_rdf(data, kind, limit)


@contextmanager
def _request_file(body: bytes, suffix: str) -> Iterator[Path]:
    """Hold the request body in a temporary file (the readers take paths) and delete it after."""
    with tempfile.TemporaryDirectory(prefix="concord-kg-request-") as folder:
        path = Path(folder) / f"request{suffix}"
        path.write_bytes(body)
        yield path


@contextmanager
def _as_items(path: Path, *, items: bool = True) -> Iterator[None]:
    """Re-word errors about the temporary file as errors about the request.

    :param items: name rows as JSON array items (``item 0`` is the first object), else as
        ``request body:LINE``.
    """
    try:
        yield
    except InputErrors as exc:
        raise InputErrors([_reword(e, path, items) for e in exc.errors]) from None
    except ConcordError as exc:
        raise _reword(exc, path, items) from None


def _reword(error: ConcordError, path: Path, items: bool) -> ConcordError:
    if error.source != str(path) or isinstance(error, InputErrors):
        return error
    line: int | None = error.line
    if items:
        source = f"item {error.line - 2}" if error.line and error.line >= 2 else "request body"
        line = None
    else:
        source = "request body"
    return type(error)(
        error.message, source=source, line=line, term=error.term, hint=error.hint, column=error.column
    )


def init_app(app: Flask) -> None:
    """Register the API routes."""
    app.register_blueprint(bp)
