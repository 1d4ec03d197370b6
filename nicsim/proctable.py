"""The process table as Linux's ``/proc/<pid>/stat`` gives it: who is whose
child, which session a process is in, whether it still runs (a zombie does
not). What the commands use to signal their simulator, and the tests to check
that nothing outlives a session.
"""

from __future__ import annotations

import time
from pathlib import Path

PROC = Path("/proc")


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, pgrp, session, ...;
    proc(5)), or None when there is no such process. The name is cut at its last ``)``: it may hold
    spaces and parentheses."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def processes() -> dict[int, list[str]]:
    """Every process now: pid -> its :func:`stat_fields` (those gone while being read left out)."""
    out = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := stat_fields(int(entry.name))) is not None:
            out[int(entry.name)] = fields
    return out


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return [p for p, fields in processes().items() if int(fields[1]) == pid]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``: its children, theirs, and so on."""
    below: dict[int, list[int]] = {}
    for p, fields in processes().items():
        below.setdefault(int(fields[1]), []).append(p)
    out, todo = set(), [pid]
    while todo:
        for child in below.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def alive(pids) -> set[int]:
    """Those of ``pids`` that are :func:`running`."""
    return {p for p in pids if running(p)}


def in_session(sid: int) -> list[int]:
    """The running processes of session ``sid``."""
    return [p for p, fields in processes().items() if int(fields[3]) == sid and fields[0] != "Z"]


def wait_gone(pids, within_s: float = 10.0, poll_s: float = 0.1) -> set[int]:
    """Wait up to ``within_s`` seconds for every one of ``pids`` to end; returns those still running."""
    deadline = time.monotonic() + within_s
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(poll_s)
    return left
