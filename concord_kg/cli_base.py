"""What every ``concord-kg`` command shares: help options and how user errors are printed."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from concord_kg.errors import ConcordError

__all__ = ["CONTEXT", "user_errors"]

#: Click context settings of every command: ``-h``/``--help``, wide help text.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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
