"""What every ``concord-kg`` command shares: help options and how user errors are printed."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from concord_kg.errors import ConcordError

__all__ = ["CONTEXT", "user_errors", "table_options", "OUT_HELP"]

#: Click context settings of every command: ``-h``/``--help``, wide help text.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


#: What every ``-o/--out`` option says about the file it writes.
OUT_HELP = (
    "Output file (default: standard output); missing parent folders are created. "
    "Nothing is written if the input has errors."
)


def table_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--delimiter``, ``--encoding`` and ``--sheet``, passed on as one ``table_format`` argument."""
    from concord_kg.tables import TableFormat

    @functools.wraps(command)
    def wrapper(*args: Any, delimiter: str | None, encoding: str, sheet: str | None, **kwargs: Any) -> Any:
        if delimiter is not None:
            delimiter = "\t" if delimiter.lower() in {"tab", "\\t"} else delimiter
        kwargs["table_format"] = TableFormat(delimiter=delimiter, encoding=encoding, sheet=sheet)
        return command(*args, **kwargs)

    wrapper = click.option("--sheet", default=None, help="Worksheet of an XLSX file (default: the first).")(
        wrapper
    )
    wrapper = click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help="Text encoding of a CSV file (e.g. cp1252 for an older Excel export).",
    )(wrapper)
    return click.option(
        "--delimiter",
        type=click.Choice([",", ";", "tab"]),
        default=None,
        help="CSV delimiter (default: sniffed from the header among ',', ';' and tab).",
    )(wrapper)


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a :class:`ConcordError` as ``file:line: message`` lines and exit 2 (traceback with --debug)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConcordError as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.echo(str(exc), err=True)
            sys.exit(2)

    return wrapper
