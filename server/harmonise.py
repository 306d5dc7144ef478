"""The harmonisation review page: upload a dataset, review each distinct value's term, download the results.

The flow is plain HTML forms (no JavaScript needed) and keeps nothing on the server: the uploaded file
is read in memory (never written to disk), and travels on with the review form as a compressed hidden
field, so the review and the downloads can be answered without storing it.
Its size is bounded twice: by ``MAX_CONTENT_LENGTH`` (413 from Flask), and by how large it may be inside
the review form, which must itself stay under that limit (413 with a clear message).

1. ``GET /harmonise``: the upload form (file, column, optional domains).
2. ``POST /harmonise``: the review table: each distinct value with its count, proposed term, confidence
   and alternatives; per value accept, change (a term search box) or reject.
3. ``POST /harmonise/download``: the reviewed SSSOM table (``format=sssom``) or the dataset with the
   harmonised columns (``format=dataset``, CSV or XLSX like the upload). Applying that SSSOM table with
   ``concord-kg harmonise --mappings`` gives the reviewed answers.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from concord_kg.errors import MappingError
from concord_kg.harmonise import Harmonisation, Harmoniser, Match, harmonise_counts
from concord_kg.harmonised import count_column, iter_rows, write_harmonised
from concord_kg.mappings import write_sssom
from concord_kg.ontology import Term
from concord_kg.tables import XLSX_SUFFIXES

from .backend import current_backend

__all__ = ["bp", "init_app", "REVIEW_LIMIT"]

bp = Blueprint("harmonise", __name__, template_folder="templates", static_folder=None)

#: Distinct values shown for review at most (each takes two form fields; Werkzeug accepts 1000 parts).
REVIEW_LIMIT = 400
#: Share of ``MAX_CONTENT_LENGTH`` the carried (compressed, base64) file may take in the review form.
_CARRY_SHARE = 0.6


@dataclass
class _Upload:
    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return ".xlsx" if Path(self.name).suffix.lower() in XLSX_SUFFIXES else ".csv"

    def stream(self) -> io.BytesIO:
        """Return the file as a stream for the table readers (which name it ``name``)."""
        return io.BytesIO(self.data)

    def packed(self) -> str:
        return base64.b64encode(zlib.compress(self.data, 6)).decode("ascii")


def _unpack(text: str) -> bytes:
    """Decode the carried file, never to more than an upload may be (a crafted field cannot balloon)."""
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) or 1024 * 1024
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.b64decode(text.encode("ascii"), validate=True), limit + 1)
    except (binascii.Error, zlib.error, UnicodeEncodeError) as exc:
        raise MappingError("the review form's dataset field is damaged: upload the file again") from exc
    if len(data) > limit or inflater.unconsumed_tail:
        raise RequestEntityTooLarge(
            f"the review form's dataset is larger than an upload may be ({limit:,} bytes)"
        )
    return data


def _harmoniser(domains: tuple[str, ...]) -> Harmoniser:
    """One harmoniser per set of domains, sharing the backend's ontology."""
    return current_backend().harmoniser(domains)


def _read_upload() -> _Upload:
    if "data" in request.form:
        return _Upload(request.form.get("filename", "dataset.csv"), _unpack(request.form["data"]))
    file = request.files.get("file")
    if file is None or not file.filename:
        raise MappingError("no file uploaded: choose a CSV or XLSX file", term="file")
    upload = _Upload(file.filename, file.read())
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if limit and len(upload.packed()) > limit * _CARRY_SHARE:
        raise RequestEntityTooLarge(
            f"{file.filename} is too large to review here: once compressed it must fit in "
            f"{int(limit * _CARRY_SHARE):,} bytes of the review form. Use `concord-kg harmonise` instead."
        )
    return upload


def _columns(upload: _Upload) -> list[str]:
    with iter_rows(upload.stream(), name=upload.name) as rows:
        header = next(rows, None)
    if header is None:
        raise MappingError("empty file: expected a header row", source=request.form.get("filename"), line=1)
    return [str(h or "").strip() for h in header]


def _domains() -> tuple[str, ...]:
    return tuple(d for d in request.form.getlist("domain") if d)


def _domain_choices(harmoniser: Harmoniser) -> list[Term]:
    return [t for t in harmoniser.all_terms if t.notation and "." not in t.notation]


def _match(upload: _Upload, column: str, domains: tuple[str, ...]) -> tuple[Harmonisation, Harmoniser]:
    harmoniser = _harmoniser(domains)
    counts, _ = count_column(upload.stream(), column, name=upload.name)
    result = harmonise_counts(counts, harmoniser=harmoniser)
    result.source, result.column = upload.name, column
    return result, harmoniser


def _term_option(term: Term) -> str:
    return f"{term.notation} {term.label}"


def _resolve(text: str, harmoniser: Harmoniser, at: int) -> Term:
    """Find the term a reviewer typed: its notation (``D3.2.1``), ``notation label``, or its exact label."""
    text = text.strip()
    first = text.split(" ", 1)[0]
    for term in harmoniser.all_terms:
        if term.notation == first or term.label.casefold() == text.casefold():
            return term
    raise MappingError(f"value {at + 1}: no term {text!r}: pick one from the list", term=text)


def _reviewed(result: Harmonisation, harmoniser: Harmoniser) -> tuple[Harmonisation, dict[str, list[Match]]]:
    """Apply the form's decisions: each reviewed value becomes a ``reviewed`` match; turned-down proposals."""
    matches: list[Match] = []
    rejected: dict[str, list[Match]] = {}
    for at, match in enumerate(result.matches):
        decision = request.form.get(f"d{at}", "accept") if at < REVIEW_LIMIT else "accept"
        term = match.term
        if decision == "change":
            term = _resolve(request.form.get(f"t{at}", ""), harmoniser, at)
        elif decision == "reject":
            term = None
        elif decision != "accept":
            raise MappingError(f"value {at + 1}: decision {decision!r} is not accept, change or reject")
        if match.term is not None and (term is None or term.iri != match.term.iri):
            rejected[match.value] = [match]
        matches.append(
            Match(match.value, term, 1.0, "reviewed", match.count, alternatives=match.alternatives)
        )
    reviewed = Harmonisation(matches, source=result.source, column=result.column)
    return reviewed, rejected


@bp.get("/harmonise")
def upload_form() -> str:
    """Show the upload form."""
    return render_template(
        "pages/harmonise.html", step="upload", domains=_domain_choices(_harmoniser(())), chosen=()
    )


@bp.post("/harmonise")
def review() -> tuple[str, int] | str:
    """Read the upload; ask for the column if needed, else show each distinct value for review."""
    upload = _read_upload()
    column = request.form.get("column", "").strip()
    domains = _domains()
    base = _harmoniser(())
    columns = _columns(upload)
    if column not in columns:
        status = 422 if column else 200
        return render_template(
            "pages/harmonise.html",
            step="column",
            upload=upload,
            packed=upload.packed(),
            columns=columns,
            column=column,
            domains=_domain_choices(base),
            chosen=domains,
        ), status
    result, harmoniser = _match(upload, column, domains)
    return render_template(
        "pages/harmonise.html",
        step="review",
        upload=upload,
        packed=upload.packed(),
        column=column,
        chosen=domains,
        result=result,
        shown=result.matches[:REVIEW_LIMIT],
        limit=REVIEW_LIMIT,
        options=[_term_option(t) for t in harmoniser.all_terms if t.notation],
        rows=sum(m.count for m in result.matches),
    )


@bp.post("/harmonise/download")
def download() -> Response:
    """Answer the reviewed SSSOM table or the harmonised dataset, as a file download."""
    upload = _read_upload()
    column = request.form.get("column", "").strip()
    result, harmoniser = _match(upload, column, _domains())
    reviewed, rejected = _reviewed(result, harmoniser)
    stem = Path(upload.name).stem or "dataset"
    if request.form.get("format") == "dataset":
        lookup = {
            m.value: (m.term.notation or "", str(m.term.iri), m.term.label) for m in reviewed.mapped if m.term
        }
        out = io.BytesIO()
        xlsx = upload.suffix == ".xlsx"
        write_harmonised(upload.stream(), column, out, lookup, name=upload.name, xlsx=xlsx)
        body = out.getvalue()
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if upload.suffix == ".xlsx"
            else "text/csv; charset=utf-8"
        )
        name = f"{stem}-harmonised{upload.suffix}"
    else:
        text = io.StringIO()
        write_sssom(reviewed, text, dataset=stem, rejected=rejected)
        body, media, name = text.getvalue().encode("utf-8"), "text/tab-separated-values; charset=utf-8", ""
        name = f"{stem}-{column}-reviewed.sssom.tsv"
    response = Response(body, mimetype=media)
    response.headers["Content-Disposition"] = _attachment(name)
    response.headers["Cache-Control"] = "no-store"
    return response


def _attachment(name: str) -> str:
    """Return a Content-Disposition header value safe for any file name (RFC 6266 ``filename*``)."""
    from urllib.parse import quote

    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def init_app(app: Flask) -> None:
    """Register the review page."""
    app.register_blueprint(bp)
