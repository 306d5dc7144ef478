"""Every setting of the service in one table: its default, its type, and a strict parser.

A value comes from, in order of precedence: a ``concord-kg serve`` flag (or the mapping given to
:func:`server.create_app`), the ``CONCORD_<NAME>`` environment variable, the default here. Every
value is parsed strictly: ``CONCORD_ALLOW_UPDATE=off`` means no, and ``CONCORD_ALLOW_UPDATE=maybe``
is an error naming the variable, never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from concord_kg.errors import ConcordError

__all__ = ["SETTINGS", "Setting", "SettingError", "check_service", "defaults", "parse_bool", "resolve"]


class SettingError(ConcordError):
    """A setting has a value that cannot be used."""


_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n"})


def parse_bool(raw: object) -> bool:
    """Read a yes/no setting; refuse anything else.

    >>> parse_bool("off"), parse_bool("Yes")
    (False, True)
    """
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a yes/no value (use one of {', '.join(sorted(_TRUE | _FALSE))})")


def _positive(kind: type[int] | type[float]) -> Callable[[object], Any]:
    def parse(raw: object) -> int | float:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        if not isinstance(raw, str | int | float):
            raise ValueError(f"{raw!r} is not a number")
        value = kind(raw.strip()) if isinstance(raw, str) else kind(raw)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{raw!r} is not a positive number")
        return value

    return parse


_SIZE = re.compile(r"(\d+)\s*([KMG]i?B?)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _size(raw: object) -> int:
    """Read a byte count: ``2147483648``, ``2G``, ``512MiB``; ``0`` means no limit."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            raise ValueError(f"{raw!r} is negative")
        return raw
    match = _SIZE.fullmatch(str(raw).strip())
    if not match:
        raise ValueError(f"{raw!r} is not a size (e.g. 2G, 512M, or a number of bytes)")
    return int(match.group(1)) * _UNITS[(match.group(2) or "")[:1].lower()]


def _text(raw: object) -> str | None:
    text = str(raw).strip()
    return text or None


def _url(raw: object) -> str | None:
    text = _text(raw)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{raw!r} is not an http(s) URL")
    return text


def _public_url(raw: object) -> str | None:
    url = _url(raw)
    return None if url is None else url.rstrip("/") + "/"


def _store_mode(raw: object) -> str:
    text = str(raw).strip().lower()
    if text not in ("auto", "memory", "disk"):
        raise ValueError(f"{raw!r} is not one of auto, memory, disk")
    return text


def _token(raw: object) -> str | None:
    text = _text(raw)
    if text is not None and len(text) < 16:
        raise ValueError("an update token needs at least 16 characters")
    return text


def _origin(raw: object) -> str:
    text = str(raw).strip()
    if text != "*" and _url(text) is None:
        raise ValueError(f"{raw!r} is neither '*' nor an origin URL")
    return text


@dataclass(frozen=True)
class Setting:
    """One setting: its name (``CONCORD_<name>`` in the environment), default, parser and meaning."""

    name: str
    default: Any
    parse: Callable[[object], Any]
    help: str
    shown: str | None = None  # the default as a user writes it, where that differs

    @property
    def default_text(self) -> str:
        """Return the default as a user would write it."""
        return self.shown or str(self.default)


#: Every setting, with its default. The CLI's ``serve`` flags and their help come from here too.
SETTINGS: tuple[Setting, ...] = (
    Setting("STORE_DIR", ".concord-kg/store", str, "folder of the embedded Oxigraph store"),
    Setting("ENDPOINT", None, _url, "a SPARQL 1.1 query endpoint URL instead of the embedded store"),
    Setting("GRAPH_STORE", None, _url, "Graph Store Protocol URL of that endpoint (default: derived)"),
    Setting("QUERY_TIMEOUT", 30.0, _positive(float), "seconds before a query or update is stopped"),
    Setting("MAX_RESULTS", 100_000, _positive(int), "rows or triples returned at most"),
    Setting("ALLOW_UPDATE", False, parse_bool, "accept SPARQL Update (needs UPDATE_TOKEN)"),
    Setting("UPDATE_TOKEN", None, _token, "bearer token an update must carry (>= 16 characters)"),
    Setting("WORKERS", 2, _positive(int), "query worker processes (embedded store)"),
    Setting("MAX_WORKER_MEMORY", 2 * 1024**3, _size, "address space of one query worker (0: no limit)", "2G"),
    Setting(
        "STORE_MODE",
        "auto",
        _store_mode,
        "query workers answer from memory or disk (auto: memory if it fits)",
    ),
    Setting(
        "MEMORY_BUDGET",
        1024**3,
        _size,
        "auto mode: largest in-memory copy of the store per query worker",
        "1G",
    ),
    Setting("MAX_CONTENT_LENGTH", 1024 * 1024, _positive(int), "bytes of request body at most (413)"),
    Setting("MAX_QUERY_LENGTH", 100_000, _positive(int), "characters of query or update text at most"),
    Setting("MAX_VALIDATE_TRIPLES", 50_000, _positive(int), "/api/validate: triples parsed at most"),
    Setting("CORS_ORIGIN", "*", _origin, "Access-Control-Allow-Origin on read answers"),
    Setting("PUBLIC_URL", None, _public_url, "the service's public base URL (never taken from Host)"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def defaults() -> dict[str, Any]:
    """Return every setting's default by name."""
    return {s.name: s.default for s in SETTINGS}


def resolve(overrides: Mapping[str, Any] | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """Return every setting: ``overrides`` (flags; ``None`` = not given) > ``CONCORD_*`` > default.

    Keys of ``overrides`` that are not settings (Flask's own, e.g. ``TESTING``) pass through.

    :raises SettingError: a value does not parse, naming the variable or setting.
    """
    values = defaults()
    for setting in SETTINGS:
        raw = environ.get(f"CONCORD_{setting.name}")
        if raw is not None:
            values[setting.name] = _parse(setting, raw, f"CONCORD_{setting.name}")
    for name, raw in (overrides or {}).items():
        if name not in _BY_NAME:
            values[name] = raw
        elif raw is not None:
            values[name] = _parse(_BY_NAME[name], raw, name)
    return values


def check_service(values: Mapping[str, Any]) -> None:
    """Refuse settings that make no sense together for a running service.

    :raises SettingError: updates allowed without a token.
    """
    if values["ALLOW_UPDATE"] and not values["UPDATE_TOKEN"]:
        raise SettingError(
            "updates are allowed but no update token is set",
            hint="set CONCORD_UPDATE_TOKEN (or --update-token) to a secret of 16 or more characters",
        )


def _parse(setting: Setting, raw: object, where: str) -> Any:
    try:
        return setting.parse(raw)
    except (TypeError, ValueError) as exc:
        raise SettingError(f"{where}: {exc}") from None
