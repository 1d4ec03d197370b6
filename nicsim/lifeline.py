"""Children that do not outlive their parent, however it ends (SIGKILL included).

Linux's ``prctl(PR_SET_PDEATHSIG)`` asks the kernel to send a signal to a
process when the thread that started it dies. :func:`die_with_parent` sets it
from inside the child, either as ``Popen``'s ``preexec_fn`` (between fork and
exec) or, in a simulator started by a runner that offers no such hook, from
the simulation's Python at its start, against the parent's pid the caller put
in :data:`PARENT_ENV`.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_ENV = "NICSIM_PARENT_PID"  # the pid the simulation is to die with


def die_with_parent(sig: int = signal.SIGTERM, parent_pid: int | None = None) -> None:
    """Have this process receive ``sig`` when its parent dies. With ``parent_pid``, a parent
    already gone (this process re-parented before the call) sends it at once. No-op off Linux."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return
    prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)


def preexec(sig: int = signal.SIGTERM):
    """A ``preexec_fn`` for ``subprocess.Popen``: the child gets ``sig`` when this process dies."""
    return functools.partial(die_with_parent, sig, os.getpid())


def die_with_runner(sig: int = signal.SIGTERM) -> None:
    """In a simulation: die with the process that ran the simulator, if it named itself in
    :data:`PARENT_ENV` (``{PARENT_ENV: str(os.getpid())}`` in ``run_cocotb``'s ``extra_env``)."""
    parent = os.environ.get(PARENT_ENV, "")
    if parent.isdigit():
        die_with_parent(sig, int(parent))


def die_with_make(sig: int = signal.SIGTERM) -> None:
    """When this process's parent is ``make`` (``make tap``, ``make shell``): end with it. A signal
    to make alone (``kill <make's pid>``, even SIGKILL) would otherwise leave this command running."""
    parent = os.getppid()
    try:
        with open(f"/proc/{parent}/comm") as f:
            name = f.read().strip()
    except OSError:
        return
    if name in ("make", "gmake"):
        die_with_parent(sig, parent)
