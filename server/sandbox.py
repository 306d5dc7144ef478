"""Take away what a query worker must never do: open network sockets, or grow without bound.

pyoxigraph evaluates ``SERVICE`` and ``LOAD`` by making HTTP requests itself and has no option to
turn that off, so the guard (:mod:`server.guard`) is not enough on its own: a parser difference
between the guard and the store is a way past it. Each worker therefore installs, before it opens
the store, a seccomp filter that makes ``socket(AF_INET | AF_INET6, …)`` fail with ``EACCES``: the
store cannot federate, resolve a host name or fetch a document, whatever text reaches it. The
filter is inherited by every thread the store starts and cannot be lifted (``no_new_privs``).
A memory limit (``RLIMIT_AS``) bounds what one query can allocate; past it the worker dies and is
replaced.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import platform
import resource
import struct
import sys

__all__ = ["SandboxError", "forbid_network", "limit_memory", "network_forbidden"]

_LOG = logging.getLogger(__name__)

# <linux/prctl.h>, <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_RET_K = 0x06
#: ``struct seccomp_data`` offsets: syscall number, audit arch, low word of the first argument.
_NR, _ARCH, _ARG0 = 0, 4, 16
#: Per machine: audit arch and the number of the ``socket`` system call.
_ARCHES = {
    "x86_64": (0xC000003E, 41),
    "aarch64": (0xC00000B7, 198),
}
#: x32 system calls on x86_64 carry this bit; refused so the filter cannot be sidestepped that way.
_X32_BIT = 0x40000000
_AF_INET, _AF_INET6 = 2, 10
#: io_uring_setup .. io_uring_register: the same numbers on x86_64 and aarch64.
_IO_URING = (425, 427)


class SandboxError(RuntimeError):
    """The sandbox could not be set up (unsupported platform, or the kernel refused)."""


def _program(arch: int, socket_nr: int) -> bytes:
    """Return the BPF program: deny Internet sockets, io_uring and foreign ABIs; allow the rest.

    Jumps name their target; :func:`_assemble` turns names into the relative offsets BPF wants.
    """
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    return _assemble(
        [
            ("", _BPF_LD_W_ABS, None, None, _ARCH),
            ("", _BPF_JEQ_K, "native", "deny", arch),  # another ABI (e.g. i386 on x86_64): deny
            ("native", _BPF_LD_W_ABS, None, None, _NR),
            ("", _BPF_JGE_K, "deny", None, _X32_BIT),  # x32 call numbers: deny
            ("", _BPF_JEQ_K, "socket", None, socket_nr),
            ("", _BPF_JGE_K, None, "allow", _IO_URING[0]),  # io_uring can open sockets without socket()
            ("", _BPF_JGE_K, "allow", "deny", _IO_URING[1] + 1),
            ("socket", _BPF_LD_W_ABS, None, None, _ARG0),
            ("", _BPF_JEQ_K, "deny", None, _AF_INET),
            ("", _BPF_JEQ_K, "deny", None, _AF_INET6),
            ("allow", _BPF_RET_K, None, None, _SECCOMP_RET_ALLOW),
            ("deny", _BPF_RET_K, None, None, deny),
        ]
    )


def _assemble(program: list[tuple[str, int, str | None, str | None, int]]) -> bytes:
    """Pack ``(label, code, jump-if-true, jump-if-false, k)`` rows; a ``None`` jump falls through."""
    where = {label: index for index, (label, *_) in enumerate(program) if label}
    out = []
    for index, (_, code, true, false, k) in enumerate(program):
        jt = where[true] - index - 1 if true else 0
        jf = where[false] - index - 1 if false else 0
        out.append(struct.pack("=HBBI", code, jt, jf, k))
    return b"".join(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def forbid_network() -> None:
    """Make every later ``socket(AF_INET/AF_INET6)`` of this process and its threads fail.

    Call it in a worker before the store is opened (threads started earlier are not covered).

    :raises SandboxError: not Linux on x86_64/aarch64, or the kernel refused the filter.
    """
    machine = platform.machine()
    if sys.platform != "linux" or machine not in _ARCHES:
        raise SandboxError(f"no network sandbox for {sys.platform}/{machine}")
    program = _program(*_ARCHES[machine])
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise SandboxError(f"prctl(NO_NEW_PRIVS) failed: {errno.errorcode.get(ctypes.get_errno())}")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise SandboxError(f"prctl(SECCOMP) failed: {errno.errorcode.get(ctypes.get_errno())}")


def network_forbidden() -> bool:
    """Tell whether this process can no longer open an Internet socket (what the tests check)."""
    import socket

    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except PermissionError:
        return True
    return False


def limit_memory(max_bytes: int) -> None:
    """Cap this process's address space at ``max_bytes`` (0: no cap); an allocation past it fails."""
    if max_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
