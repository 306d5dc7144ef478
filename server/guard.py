r"""Parse a SPARQL request before any store sees it, and refuse what the service does not allow.

pyoxigraph's ``Store.query`` fetches ``SERVICE`` endpoints itself and cannot be told not to, so
federation, ``LOAD`` and graphs that are not in the store are refused here, on rdflib's parse
of the text (which also expands ``\uXXXX`` escapes, so ``\u0053ERVICE`` is seen as ``SERVICE``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from rdflib import URIRef

from concord_kg.errors import ForbiddenQueryError, QueryError

if TYPE_CHECKING:
    from rdflib.plugins.sparql.parserutils import CompValue

__all__ = [
    "Operation",
    "analyse_query",
    "analyse_update",
    "check_graphs",
    "check_query",
    "normalise_newlines",
]

#: rdflib's pyparsing grammar is not thread-safe (concurrent parses corrupt each other's results).
_PARSER_LOCK = threading.Lock()

Form = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
_FORMS: dict[str, Form] = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
#: The query forms by the keyword that opens them (what the fast path reads).
_KEYWORDS: dict[str, Form] = {form: form for form in _FORMS.values()}


@dataclass(frozen=True)
class Operation:
    """What the guard learnt about a query or update.

    :ivar form: the query form (``None`` for an update).
    :ivar from_default: IRIs of ``FROM`` clauses.
    :ivar from_named: IRIs of ``FROM NAMED`` clauses.
    :ivar graphs: every graph IRI the operation names (``FROM``, ``FROM NAMED``, ``GRAPH <iri>``).
    """

    form: Form | None
    from_default: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    graphs: frozenset[str] = frozenset()


#: Words whose presence anywhere in a query's text (any case) sends it through the full parse.
_NEEDS_PARSE = re.compile(r"service|graph|from|load|\\u|\\U", re.IGNORECASE)
#: A query's form, after its prologue, when the fast path applies.
_FORM = re.compile(
    r"\s*(?:(?:BASE\s*<[^<>\s]*>|PREFIX\s+[A-Za-z0-9_.-]*:\s*<[^<>\s]*>)\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
    re.IGNORECASE,
)


def normalise_newlines(text: str) -> str:
    r"""Turn ``\r\n`` and lone ``\r`` into ``\n``, so the guard and the store cut lines alike.

    rdflib ends a ``#`` comment at ``\n`` only, pyoxigraph at ``\r`` too: without this, text
    after ``#x\r`` is a comment to the guard and a pattern to the store. Every operation is
    normalised once, and the normalised text is what both judge.

    >>> normalise_newlines("#x\rSERVICE\r\n")
    '#x\nSERVICE\n'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_query(
    text: str,
    known_graphs: Collection[str],
    *,
    default_graph: Collection[str] = (),
    named_graphs: Collection[str] = (),
    base: str | None = None,
) -> Operation:
    """Run every check of a protocol query: analysis, dataset parameters, graphs in the store.

    :raises QueryError: malformed, or dataset given twice, or a graph not in the store.
    :raises ForbiddenQueryError: the query uses ``SERVICE``, or names a graph not in the store.
    """
    analysis = analyse_query(text, base=base)
    if (default_graph or named_graphs) and (analysis.from_default or analysis.from_named):
        raise QueryError(
            "the request gives both default-graph-uri/named-graph-uri parameters and FROM/FROM NAMED "
            "in the query; use one or the other"
        )
    check_graphs(analysis, known_graphs, extra=(*default_graph, *named_graphs))
    return analysis


def analyse_query(text: str, *, base: str | None = None) -> Operation:
    r"""Parse a query; refuse ``SERVICE``; return its form and the graphs it names.

    ``base`` resolves relative IRIs (the request URL, as the store is given it), so a relative
    graph IRI is checked as the IRI the store will see.

    Fast path: a text in which none of ``SERVICE``, ``GRAPH``, ``FROM``, ``LOAD`` or a ``\u``
    escape occurs anywhere (in any case, even inside strings or IRIs) cannot federate or name a
    graph, so only its form is read here and pyoxigraph does the full parse (a syntax error is
    still a 400). Any other text gets rdflib's full parse, serialised because rdflib's grammar is
    not thread-safe, and cached.

    :raises QueryError: the text is not a SPARQL query (an update sent as a query says so).
    :raises ForbiddenQueryError: the query uses ``SERVICE``.
    """
    _refuse_unnormalised(text)
    _refuse_escaped_federation(text)
    if not _NEEDS_PARSE.search(text):
        form = _FORM.match(_COMMENT.sub("", text))
        if form:
            return Operation(_KEYWORDS[form.group(1).upper()])
    return _parse_query(text, base)


def _refuse_unnormalised(text: str) -> None:
    r"""Refuse a ``\r``: callers pass :func:`normalise_newlines` text, so one here is a caller's bug."""
    if "\r" in text:
        raise QueryError("a carriage return in text that was not normalised", hint="normalise line endings")


#: A ``\u``/``\U`` escape, and the words that reach the network.
_ESCAPE = re.compile(r"\\[uU]")
_NETWORK_WORD = re.compile(r"\b(?:service|load)\b", re.IGNORECASE)


def _refuse_escaped_federation(text: str) -> None:
    r"""Refuse texts where ``\u`` escapes and ``SERVICE``/``LOAD`` meet.

    rdflib decodes ``\u`` escapes in the whole text before parsing, pyoxigraph only inside strings,
    so an escaped quote can hide a ``SERVICE`` clause from the analysis but not from the store.
    No analysis is trusted for such texts.
    """
    if _ESCAPE.search(text) and _NETWORK_WORD.search(text):
        raise ForbiddenQueryError(
            "SERVICE and LOAD are not allowed, and a text that mixes \\u escapes with those words "
            "cannot be checked for them",
            hint="write the characters instead of \\u escapes",
        )


#: A comment (a ``#`` outside IRIs and strings is good enough here: a wrong cut only loses the fast path).
_COMMENT = re.compile(r"#[^\n]*")


@lru_cache(maxsize=1024)
def _parse_query(text: str, base: str | None = None) -> Operation:
    """Parse with rdflib and walk the algebra (see :func:`analyse_query`)."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        with _PARSER_LOCK:
            parsed = translateQuery(parseQuery(text), base=base)
    except ParseException as exc:
        try:
            with _PARSER_LOCK:
                parseUpdate(text)
        except ParseException:
            raise QueryError(f"malformed SPARQL query: {_parse_message(exc)}") from None
        raise QueryError("this is a SPARQL update: send it as 'update', not 'query'") from None
    except Exception as exc:  # rdflib's algebra step raises plain exceptions on odd input
        raise QueryError(f"cannot analyse the query: {exc}") from None
    algebra = parsed.algebra
    default, named = [], []
    for clause in algebra.get("datasetClause") or ():
        if dict.get(clause, "default") is not None:
            default.append(str(dict.get(clause, "default")))
        if dict.get(clause, "named") is not None:
            named.append(str(dict.get(clause, "named")))
    graphs = set(default) | set(named)
    for node in _walk(algebra):
        _refuse(node)
        if node.name == "Graph" and isinstance(node.get("term"), URIRef):
            graphs.add(str(node["term"]))
    return Operation(_FORMS.get(algebra.name), tuple(default), tuple(named), frozenset(graphs))


@lru_cache(maxsize=256)
def analyse_update(text: str) -> Operation:
    """Parse an update; refuse ``LOAD`` and ``SERVICE``.

    :raises QueryError: the text is not a SPARQL update.
    :raises ForbiddenQueryError: it uses ``LOAD`` or ``SERVICE``.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    _refuse_unnormalised(text)
    _refuse_escaped_federation(text)

    try:
        with _PARSER_LOCK:
            parsed = translateUpdate(parseUpdate(text))
    except ParseException as exc:
        raise QueryError(f"malformed SPARQL update: {_parse_message(exc)}") from None
    except Exception as exc:
        raise QueryError(f"cannot analyse the update: {exc}") from None
    for operation in parsed.algebra:
        for node in _walk(operation):
            _refuse(node)
    return Operation(None)


def check_graphs(operation: Operation, known: Collection[str], *, extra: Collection[str] = ()) -> None:
    """Refuse graph IRIs (from the query or the protocol's dataset parameters) not in the store.

    Such a query is well-formed; the service's policy (no graphs from elsewhere) refuses it.

    :raises ForbiddenQueryError: naming the unknown graphs.
    """
    unknown = sorted((set(operation.graphs) | set(extra)) - set(known))
    if unknown:
        names = ", ".join(f"<{g}>" for g in unknown)
        raise ForbiddenQueryError(f"no such graph in the store: {names}", hint="GET /api/graphs lists them")


def _refuse(node: CompValue) -> None:
    name = getattr(node, "name", "")
    if name == "ServiceGraphPattern":
        raise ForbiddenQueryError("SERVICE (federated query) is not allowed on this endpoint")
    if name == "Load":
        raise ForbiddenQueryError("LOAD is not allowed on this endpoint")


def _walk(root: object) -> Iterator[CompValue]:
    """Yield every algebra node (rdflib ``CompValue``) under ``root``, depth first."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(v for k, v in node.items() if k != "_vars")
        elif isinstance(node, list | tuple):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())


def _parse_message(exc: Exception) -> str:
    line = getattr(exc, "line", "") or ""
    column = getattr(exc, "col", None)
    pointer = f" at line {getattr(exc, 'lineno', '?')}, column {column}" if column else ""
    near = f": {line.strip()[:80]!r}" if line else ""
    return f"syntax error{pointer}{near}"
