"""Sleeping and waking in stack context: ``ltsleep``, ``wakeup``, ``nic_delay``.

``ltsleep`` gives the stack context away until ``wakeup(ident)`` or the
timeout, so other interfaces keep running. From a callout (``proc0``) it
returns at once without sleeping; outside stack context it is fatal.
"""

from __future__ import annotations

from .diag import StackContextError
from .errno import EOK, EWOULDBLOCK


async def ltsleep(iopkt, ident, pri: int, wmesg: str, timo: int, slock=None) -> int:
    proc = iopkt.ctx.owner
    if proc is None:
        raise StackContextError(f"ltsleep({wmesg!r}) called outside stack context")
    if proc.is_proc0:
        return EOK  # a callout cannot sleep: io-pkt returns success at once
    ev = iopkt.platform.event(f"ltsleep:{wmesg}")
    iopkt.sleepers.setdefault(id(ident), []).append(ev)
    iopkt.ctx.release(proc)
    timed_out: list[bool] = []
    try:
        if timo > 0:
            timer = iopkt.platform.spawn(_timeout(iopkt, ev, timo * iopkt.tick_ns, timed_out),
                                         f"ltsleep-timo:{wmesg}")
            await ev.wait()
            timer.cancel()
        else:
            await ev.wait()
    finally:
        waiters = iopkt.sleepers.get(id(ident), [])
        if ev in waiters:
            waiters.remove(ev)
        if not waiters:
            iopkt.sleepers.pop(id(ident), None)
        await iopkt.ctx.acquire(proc)
    return EWOULDBLOCK if timed_out else EOK


async def _timeout(iopkt, ev, ns: int, timed_out: list[bool]) -> None:
    await iopkt.platform.sleep(ns)
    if not ev.is_set():
        timed_out.append(True)
        ev.set()


def wakeup(iopkt, ident) -> None:
    for ev in iopkt.sleepers.pop(id(ident), []):
        ev.set()


async def nic_delay(iopkt, ms: int) -> int:
    """Delay without blocking other interfaces where io-pkt can."""
    proc = iopkt.ctx.owner
    if proc is not None and not proc.is_proc0:
        ticks = max(1, -(-ms * iopkt.hz // 1000))
        dummy = object()
        await ltsleep(iopkt, dummy, 0, "nic_delay", ticks)
        return EOK
    await delay(iopkt, ms)
    return EOK


async def delay(iopkt, ms: int) -> None:
    """A blocking delay: the stack context (if held) is not given up, so every
    other interface waits too, as a real busy delay would make it."""
    await iopkt.platform.sleep(int(ms * 1_000_000))
