"""``pidin [-p io-pkt] [thread]``: io-pkt's threads (no ``thread``: pidin's default
listing, with thread ids and priorities) by name, as the driver guide
shows them (``io-pkt main``, the ``io-pkt#0xNN`` workers, driver threads).

``-p`` takes a process name or id; an id must be a decimal in 1..``PID_MAX``."""

from __future__ import annotations

from ..kern.strnum import NumberError, strtoi
from .output import line_writer

USAGE = "usage: pidin [-p name] [thread]"
PRIO = "21r"  # io-pkt's threads' default priority (its -p option) and round-robin policy, as pidin prints it
PID = 4100  # what the guide's example shows; one io-pkt per simulated host
PID_MAX = 0x7FFFFFFF  # pid_t
NAMES = ("io-pkt", "io-pkt-v4", "io-pkt-v4-hc", "io-pkt-v6-hc")


def thread_rows(iopkt) -> list[tuple[str, str, str]]:
    rows = [("io-pkt main", "SIGWAITINFO", "")]
    for w in iopkt.workers:
        rows.append((w.proc.name, "RECEIVE" if w.idle else "RUNNING", "1" if w.idle else ""))
    states = {"RUNNING": "RUNNING", "QUIESCED": "CONDVAR", "READY": "READY"}
    for t in iopkt.threads:
        rows.append((t.name, states.get(t.state, t.state), ""))
    return rows


async def main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    args = argv[1:]
    if len(args) >= 2 and args[0] == "-p":
        which = args[1]
        if which[:1] in "+-.0123456789":  # a process id, not a name
            try:
                pid = strtoi(which, 1, PID_MAX)
            except NumberError as bad:
                emit(f"pidin: invalid process id {which}: {bad.reason}")
                emit(USAGE)
                return 1
            if pid != PID:
                return 0  # no such process: pidin prints nothing
        elif which not in NAMES:
            return 0
        args = args[2:]
    if args == []:  # pidin's default listing: every thread with its id and priority
        emit(f"{'pid':>8} {'tid':>3} {'name':<18} {'prio':>4} {'STATE':<11} Blocked")
        for tid, (_name, state, blocked) in enumerate(thread_rows(iopkt), start=1):
            emit(f"{PID:>8} {tid:>3} {'sbin/io-pkt-v4-hc':<18} {PRIO:>4} {state:<11} {blocked}".rstrip())
        return 0
    if args != ["thread"]:
        emit(USAGE)
        return 1
    emit(f"{'pid':>8} {'name':<18} {'thread name':<20} {'STATE':<11} Blocked")
    for name, state, blocked in thread_rows(iopkt):
        emit(f"{PID:>8} {'sbin/io-pkt-v4-hc':<18} {name:<20} {state:<11} {blocked}".rstrip())
    return 0
