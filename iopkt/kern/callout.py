"""Callouts: io-pkt's one-shot timers (NetBSD ``kern/kern_timeout.c``).

They fire in stack context as the special ``proc0``. ``callout_msec`` starts a
stopped callout or resets a pending one, rounding up to whole ticks of
``hz``. ``callout_stop`` cancels a pending one but does not wait for one that
is already running: the guide's "run_timer" race is reproducible here.
"""

from __future__ import annotations

import inspect

from .diag import DriverBug


class Callout:
    """``struct callout``: create it zeroed in the softc, then ``callout_init`` once."""

    def __init__(self):
        self.iopkt = None
        self.func = None
        self.arg = None
        self.pending = False
        self.running = False
        self.fired = 0
        self._task = None
        self._gen = 0

    def __repr__(self) -> str:
        fn = getattr(self.func, "__qualname__", self.func)
        return f"<Callout {fn} pending={self.pending} running={self.running}>"


def callout_init(c: Callout, iopkt) -> None:
    """Once per callout. A second init of a pending callout orphans its timer,
    which is the breakage the guide warns of: it is reported instead."""
    if c.iopkt is not None and c.pending:
        raise DriverBug(f"callout_init on a pending {c!r}: initialise callouts once, in attach")
    c.iopkt = iopkt
    c.pending = False
    iopkt.callouts.add(c)


def ms_to_ticks(iopkt, ms: int) -> int:
    return max(1, -(-int(ms) * iopkt.hz // 1000))


def callout_msec(c: Callout, ms: int, func, arg) -> None:
    if c.iopkt is None:
        raise DriverBug("callout_msec on a callout that was never callout_init'ed")
    iopkt = c.iopkt
    ticks = ms_to_ticks(iopkt, ms)
    _cancel(c)
    c.func, c.arg = func, arg
    c.pending = True
    c._gen += 1
    name = f"callout:{getattr(func, '__name__', func)}"
    c._task = iopkt.platform.spawn(_fire(c, c._gen, ticks * iopkt.tick_ns), name)


def callout_reset(c: Callout, ticks: int, func, arg) -> None:
    callout_msec(c, ticks * 1000 // c.iopkt.hz if c.iopkt else 0, func, arg)


def callout_stop(c: Callout) -> bool:
    """Cancel a pending callout; True if it was pending. A running one runs on."""
    was = c.pending
    _cancel(c)
    return was


def callout_pending(c: Callout) -> bool:
    return c.pending


def _cancel(c: Callout) -> None:
    if c._task is not None and c.pending:
        c._task.cancel()
    c._task = None
    c.pending = False


async def _fire(c: Callout, gen: int, delay_ns: int) -> None:
    iopkt = c.iopkt
    await iopkt.platform.sleep(delay_ns)
    if gen != c._gen or not c.pending:
        return
    await iopkt.ctx.acquire(iopkt.proc0)
    try:
        if gen != c._gen or not c.pending:
            return
        c.pending = False
        c._task = None
        c.running = True
        c.fired += 1
        r = c.func(c.arg)
        if inspect.isawaitable(r):
            await r
    finally:
        c.running = False
        iopkt.ctx.release(iopkt.proc0)
