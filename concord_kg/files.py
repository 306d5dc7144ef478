"""Write output files so that a failed run leaves no partial file behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["write_atomic", "write_atomic_bytes", "atomic_file", "atomic_path", "current_umask"]


def current_umask() -> int:
    """Return the process's umask without changing it (read from ``/proc`` where it exists).

    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    # Elsewhere the only way to read the umask is to set it (and put it straight back).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; what is written there replaces ``path`` if the block succeeds.

    For writers that want a file name rather than a handle (a workbook's ``save``). The temporary
    file is in the same folder (created if needed), so the rename is atomic; it then gets the mode a
    plain ``open(path, "w")`` would give (``0o666`` less the umask, so ``0644`` under umask ``022``)
    rather than the temporary file's ``0600``. If the block fails, the previous file (if any) is
    left as it was and the temporary file is removed.
    """
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[str]]:
    """Yield a text handle whose content replaces ``path`` only if the ``with`` block succeeds.

    Written through :func:`atomic_path` (folder created, umask respected, nothing left on failure).
    """
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        yield handle


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through :func:`atomic_file` (folder created, umask respected)."""
    with atomic_file(path) as handle:
        handle.write(text)


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as :func:`write_atomic` writes text (folder created, umask respected)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
