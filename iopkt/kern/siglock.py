"""The transmit mutex (``if_snd_ex``) and ``NW_SIGLOCK_P``/``NW_SIGUNLOCK_P``.

The stack takes it before ``IFQ_ENQUEUE`` and calls ``if_start`` with it held;
``if_start`` must release it on every path. Here a start function that
returns still holding it is reported naming the driver (see ``net/if_``).

The critical count: ``NW_SIGLOCK_P`` raises it and ``NW_SIGUNLOCK_P`` lowers
it. In io-pkt, interrupt work that arrives while the count is non-zero is
deferred, and ``NW_SIGUNLOCK_P`` may run it inline once the count is back to
zero. That inline run is deliberately not modelled: ``NW_SIGUNLOCK_P`` is a
plain (synchronous) call made from many places, including ``if_start`` paths
that cannot await, and process functions here are coroutines that need the
stack context, which the unlocking code still holds. What is kept is the
observable order: the worker needs the stack context, so interrupt work
queued under the mutex runs only after the holder has unlocked (count zero)
and given the context up, before any later stack work queued behind it
(``tests/test_transmit.py``). A driver cannot tell the difference except by
the exact instant, which is the same simulated time either way.
"""

from __future__ import annotations

from .diag import DriverBug


class NwSigLock:
    def __init__(self, name: str = "if_snd_ex"):
        self.name = name
        self.owner = None
        self.critical = 0  # io-pkt's critical count: 1 while held (one holder at a time here)
        self._waiters: list = []
        self.acquisitions = 0

    @property
    def locked(self) -> bool:
        return self.owner is not None


async def NW_SIGLOCK_P(lock: NwSigLock, iopkt, wtp) -> None:
    """Take the mutex for ``wtp`` (a worker or proc); waits if someone else holds it."""
    who = wtp if wtp is not None else iopkt.ctx.owner
    if lock.owner is who and who is not None:
        raise DriverBug(f"{lock.name}: NW_SIGLOCK_P by {who} which already holds it (self-deadlock)")
    while lock.owner is not None:
        ev = iopkt.platform.event(f"{lock.name}-wait")
        lock._waiters.append(ev)
        await ev.wait()
    lock.owner = who if who is not None else object()
    lock.critical += 1
    lock.acquisitions += 1


def NW_SIGLOCK(lock: NwSigLock, iopkt):
    return NW_SIGLOCK_P(lock, iopkt, None)


def NW_SIGUNLOCK_P(lock: NwSigLock, iopkt, wtp) -> None:
    if lock.owner is None:
        raise DriverBug(f"{lock.name}: NW_SIGUNLOCK_P of a mutex that is not held")
    lock.owner = None
    lock.critical -= 1
    if lock._waiters:
        lock._waiters.pop(0).set()


def NW_SIGUNLOCK(lock: NwSigLock, iopkt) -> None:
    NW_SIGUNLOCK_P(lock, iopkt, None)
