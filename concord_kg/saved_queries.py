"""Read the saved SPARQL queries of ``queries/*.rq`` and run them with safely bound parameters.

Each file opens with a header of comment lines (ROBOT ``.rq`` style)::

    # title: Options of a taxonomy domain
    # description: Every term under one domain ...
    #   (an indented comment line continues the field above)
    # param: ?notation: notation of the domain (default: "D3")

A parameter's default, and every value a user gives, is read as one RDF term: ``<iri>``, a CURIE
with a prefix of the project's prefix map (``ckg:Coordinator``), a quoted literal (``"D3"``,
``"text"@en``, ``"3"^^xsd:integer``), a number, a bare ``http(s)://`` IRI, or else the plain text as
an ``xsd:string`` literal. Values reach the query only through pyoxigraph's ``substitutions=``
(SEP-0007), never by editing the query text. pyoxigraph only substitutes variables that the query
projects, so every parameter must appear in the ``SELECT`` clause.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, QuerySolutions, Variable

from concord_kg.answers import accepted_answers, read_answer
from concord_kg.errors import QueryError, UnknownTermError
from concord_kg.links import expand, shorten
from concord_kg.resources import queries_dir

if TYPE_CHECKING:
    from concord_kg.decision import DecisionModel
    from concord_kg.store import Store

__all__ = [
    "Param",
    "SavedQuery",
    "UnknownQueryError",
    "list_saved_queries",
    "load_saved_query",
    "parse_term",
    "format_term",
    "bind_params",
    "run_saved_query",
]

#: The kinds of RDF term a parameter can be bound to (pyoxigraph terms).
RdfTerm = NamedNode | Literal

_XSD = "http://www.w3.org/2001/XMLSchema#"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_FIELD = re.compile(r"#\s*(title|description|param)\s*:\s*(.*)$")
_PARAM = re.compile(r"\?(\w+)\s*:\s*(.*?)\s*(?:\(default:\s*(.*)\))?\s*$")
_CURIE = re.compile(r"([A-Za-z][\w.-]*)?:([\w.-]*)")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
_DOUBLE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")
_QUOTED = re.compile(r"""("|')((?:[^"'\\]|\\.|(?!\1)["'])*)\1(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^(\S+))?""")
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class UnknownQueryError(UnknownTermError, QueryError):
    """No saved query has the requested name (a 404 for the server; also a :class:`QueryError`)."""


@dataclass(frozen=True)
class Param:
    """A parameter of a saved query: the variable it binds, what it means and its default value."""

    name: str
    description: str
    default: RdfTerm | None

    @property
    def default_text(self) -> str | None:
        """Return the default as a user would type it (CURIE where possible), or None."""
        return format_term(self.default) if self.default is not None else None


@dataclass(frozen=True)
class SavedQuery:
    """A saved query: its name (the file stem), header fields and full SPARQL text."""

    name: str
    title: str
    description: str
    params: list[Param] = field(default_factory=list)
    text: str = ""

    def param(self, name: str) -> Param:
        """Return the parameter called ``name`` (with or without ``?``).

        :raises QueryError: the query has no such parameter.
        """
        key = name.removeprefix("?")
        for param in self.params:
            if param.name == key:
                return param
        raise QueryError(f"saved query {self.name!r} has no parameter {key!r}", term=key)


def list_saved_queries(directory: Path | None = None) -> list[SavedQuery]:
    """Return every saved query of ``queries/`` (or ``directory``), sorted by name.

    :raises QueryError: a file's header is malformed (names the file and line).
    """
    directory = directory or queries_dir()
    return [_read_query(path) for path in sorted(directory.glob("*.rq"))]


def load_saved_query(name: str, directory: Path | None = None) -> SavedQuery:
    """Return the saved query called ``name`` (the file name without ``.rq``).

    :raises UnknownQueryError: no saved query has that name (also a ``QueryError`` and an
        ``UnknownTermError``).
    """
    directory = directory or queries_dir()
    path = directory / f"{name}.rq"
    if not _NAME.fullmatch(name) or not path.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.rq")))
        raise UnknownQueryError(f"no saved query named {name!r}", term=name, hint=f"known: {known}")
    return _read_query(path)


def parse_term(text: str) -> RdfTerm:
    """Read a parameter value as one RDF term (see the module docstring for the accepted forms).

    Text that looks like a quoted literal but is not exactly one (``"x" } ; DROP ALL #``) is taken
    whole as a plain string: it can only ever become a literal value.

    :raises QueryError: an ``<iri>`` is not a valid IRI, or a CURIE's prefix is unknown inside ``^^``.
    """
    value = text.strip()
    if value.startswith("<") and value.endswith(">"):
        return _named_node(value[1:-1], text)
    quoted = _QUOTED.fullmatch(value)
    if quoted:
        lexical = _unescape(quoted.group(2))
        try:
            if quoted.group(3):
                return Literal(lexical, language=quoted.group(3))
            if quoted.group(4):
                datatype = parse_term(quoted.group(4))
                if not isinstance(datatype, NamedNode):
                    raise QueryError(f"datatype of {text!r} is not an IRI", term=text)
                return Literal(lexical, datatype=datatype)
        except ValueError as exc:  # pyoxigraph refuses malformed language tags
            raise QueryError(f"not a valid literal: {text!r} ({exc})", term=text) from exc
        return Literal(lexical)
    if _INTEGER.fullmatch(value):
        return Literal(value, datatype=NamedNode(_XSD + "integer"))
    if _DECIMAL.fullmatch(value):
        return Literal(value, datatype=NamedNode(_XSD + "decimal"))
    if _DOUBLE.fullmatch(value):
        return Literal(value, datatype=NamedNode(_XSD + "double"))
    if re.fullmatch(r"https?://\S+", value):
        return _named_node(value, text)
    expanded = expand(value) if _CURIE.fullmatch(value) else None
    if expanded:
        return _named_node(expanded, text)
    return Literal(text)


def format_term(term: RdfTerm) -> str:
    """Write ``term`` the way :func:`parse_term` reads it: a CURIE where a prefix fits, else N-Triples."""
    if isinstance(term, NamedNode):
        curie = shorten(term.value)
        # a CURIE whose local part parse_term would not read back (a "/" or "#" in it) stays an <iri>
        if curie != term.value and re.fullmatch(r"[\w-]*", curie.partition(":")[2]):
            return curie
        return f"<{term.value}>"
    return str(term)


def bind_params(
    query: SavedQuery, given: Mapping[str, str] | None = None, *, decision: DecisionModel | None = None
) -> dict[Variable, RdfTerm]:
    """Return the substitutions for ``query``: every parameter's default, overridden by ``given``.

    :param given: parameter name (with or without ``?``) to value text, parsed by :func:`parse_term`;
        a parameter whose default is an answer to a situation question (``ckg:TravelAbilityYes``)
        also takes the answer spellings of the scenario tables (yes/no, y/n, true/false, 1/0).
    :param decision: the situation questions and their answers (default: compiled from the project's
        ontology, once per process); a server passes the one it holds.
    :raises QueryError: ``given`` names parameters the query does not have (all are named), or a
        parameter without a default has no value, or an answer parameter gets no answer.
    """
    given = {key.removeprefix("?"): value for key, value in (given or {}).items()}
    known = {param.name for param in query.params}
    unknown = sorted(set(given) - known)
    if unknown:
        raise QueryError(
            f"saved query {query.name!r} has no parameter(s) {', '.join(unknown)}",
            term=unknown[0],
            hint=f"its parameters: {', '.join(sorted(known)) or 'none'}",
        )
    bindings: dict[Variable, RdfTerm] = {}
    for param in query.params:
        if param.name in given:
            bindings[Variable(param.name)] = _answer_or_term(query, param, given[param.name], decision)
        elif param.default is not None:
            bindings[Variable(param.name)] = param.default
        else:
            raise QueryError(f"saved query {query.name!r} needs a value for {param.name!r}", term=param.name)
    return bindings


def _answer_or_term(
    query: SavedQuery, param: Param, text: str, decision: DecisionModel | None = None
) -> RdfTerm:
    """Read a parameter value; an answer parameter takes answer spellings and nothing but its answers.

    A parameter whose default is an answer (yes/no) to a situation question reads the spellings of
    the scenario tables and refuses anything that is not one of that question's answers.
    """
    if not isinstance(param.default, NamedNode):
        return parse_term(text)
    answers = _answer_values(decision or _project_decision()).get(param.default.value)
    if answers is None:
        return parse_term(text)
    notation = read_answer(text)
    if notation and notation in answers:
        return NamedNode(answers[notation])
    term = parse_term(text)
    if isinstance(term, NamedNode) and term.value in answers.values():
        return term
    allowed = ", ".join(format_term(NamedNode(iri)) for iri in answers.values())
    raise QueryError(
        f"saved query {query.name!r}: {text!r} is not an answer for {param.name!r}",
        term=param.name,
        hint=f"give {accepted_answers()}, or {allowed}",
    )


@functools.cache
def _project_decision() -> DecisionModel:
    """Return the decision model of the project's ontology (compiled once per process)."""
    from concord_kg.decision import load_decision_model
    from concord_kg.ontology import load_ontology

    return load_decision_model(load_ontology())


def _answer_values(decision: DecisionModel) -> dict[str, dict[str, str]]:
    """Return, for every answer IRI of the situation questions, its question's answers (notation → IRI)."""
    found: dict[str, dict[str, str]] = {}
    for var in decision.variables:
        answers = {v.notation: str(v.iri) for v in var.values}
        for value in var.values:
            found[str(value.iri)] = answers
    return found


def run_saved_query(
    store: Store, name: str | SavedQuery, params: Mapping[str, str] | None = None
) -> QuerySolutions:
    """Run a saved query over the union of a store's graphs and return the solutions.

    :param store: any :class:`concord_kg.store.Store` (embedded, in memory or remote): its default
        graph is the union of its named graphs.
    :param name: the query's name, or an already loaded :class:`SavedQuery`.
    :param params: parameter values as text (see :func:`bind_params`).
    :raises UnknownQueryError: no saved query has that name.
    :raises QueryError: bad parameters, or the store rejects the query.
    """
    query = name if isinstance(name, SavedQuery) else load_saved_query(name)
    substitutions = {variable.value: term for variable, term in bind_params(query, params).items()}
    try:
        solutions = store.query(query.text, substitutions=substitutions)
    except (QueryError, RuntimeError) as exc:  # RuntimeError: pyoxigraph's evaluation errors
        raise QueryError(f"saved query {query.name!r} failed: {exc}", source=f"{query.name}.rq") from exc
    if not isinstance(solutions, QuerySolutions):
        raise QueryError(f"saved query {query.name!r} is not a SELECT query", source=f"{query.name}.rq")
    return solutions


def _read_query(path: Path) -> SavedQuery:
    """Parse the header of one ``.rq`` file."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    raw_params: list[tuple[int, str]] = []
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        match = _FIELD.match(stripped)
        if match:
            key, value = match.groups()
            if key == "param":
                raw_params.append((number, value))
            elif key in fields:
                raise QueryError(f"header field {key!r} given twice", source=str(path), line=number)
            else:
                fields[key] = value
            last = key
        elif last is not None and stripped.lstrip("#").strip():
            continuation = stripped.lstrip("#").strip()
            if last == "param":
                raw_params[-1] = (raw_params[-1][0], f"{raw_params[-1][1]} {continuation}")
            else:
                fields[last] = f"{fields[last]} {continuation}"
    for key in ("title", "description"):
        if not fields.get(key):
            raise QueryError(f"header has no '# {key}:' line", source=str(path), line=1)
    params = [_read_param(value, path, number) for number, value in raw_params]
    return SavedQuery(
        name=path.stem, title=fields["title"], description=fields["description"], params=params, text=text
    )


def _read_param(value: str, path: Path, line: int) -> Param:
    match = _PARAM.fullmatch(value.strip())
    if not match:
        raise QueryError(
            f"malformed parameter {value!r}",
            source=str(path),
            line=line,
            hint="write '# param: ?name: meaning (default: VALUE)'",
        )
    name, description, default = match.groups()
    try:
        term = parse_term(default) if default is not None else None
    except QueryError as exc:
        raise QueryError(exc.message, source=str(path), line=line, term=name) from exc
    return Param(name=name, description=description, default=term)


def _named_node(iri: str, text: str) -> NamedNode:
    try:
        return NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"not a valid IRI: {text!r} ({exc})", term=text) from exc


def _unescape(lexical: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), lexical)
