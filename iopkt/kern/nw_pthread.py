"""Driver threads: ``nw_pthread_create``, thread names, quiesce.

A driver should not need threads (io-pkt calls it), but when it does, the
thread must be made by ``nw_pthread_create`` with an init function that names
it and installs a quiesce callout. ``quiesce_all`` calls each thread's
callout and waits until the thread parks itself in ``quiesce_block``;
``unquiesce_all`` lets it go; with ``die`` set the thread ends there.

Threads are platform tasks outside the stack context. A thread that never
answers its quiesce callout would hang io-pkt for good; here the wait has a
deadline and the culprit is named.
"""

from __future__ import annotations

import inspect

from .diag import DriverBug
from .errno import EINVAL, EOK

# How long quiesce_all waits for a thread to reach quiesce_block. io-pkt
# waits forever; a deadline turns that hang into a report.
QUIESCE_DEADLINE_NS = 1_000_000_000


class NwThreadExit(BaseException):
    """Raised out of ``quiesce_block(wtp, die=1)``: the thread ends there."""


class NwWorkThread:
    """``struct nw_work_thread`` of a driver thread (what ``WTP`` gives in it)."""

    def __init__(self, iopkt, tid: int):
        self.iopkt = iopkt
        self.tid = tid
        self.name: str | None = None
        self.quiesce_callout = None  # quiesce_callout(quiesce_arg, die)
        self.quiesce_arg = None
        self.state = "READY"  # RUNNING, QUIESCED (parked in quiesce_block), DEAD
        self.task = None
        self._release = iopkt.platform.event(f"tid{tid}-unquiesce")
        self._die = False

    def __repr__(self) -> str:
        return f"<nw thread {self.tid} {self.name!r} {self.state}>"

    async def quiesce(self, die: bool) -> None:
        """From io-pkt: ask the thread (through its callout) to park or to die."""
        if self.state == "DEAD":
            return
        parked = self.state == "QUIESCED"
        if not parked:
            self._release.clear()
        r = self.quiesce_callout(self.quiesce_arg, int(die))
        if inspect.isawaitable(r):
            await r
        if parked and die:
            # Already blocked in quiesce_block (a detach inside quiesce_all):
            # io-pkt lets it out into thread exit.
            self._die = True
            self._release.set()

    def unquiesce(self) -> None:
        self._release.set()


def WTP(iopkt):
    """The calling thread's ``nw_work_thread``: the new thread while its init
    function runs, else io-pkt's worker (process functions get theirs as ``wtp``)."""
    return iopkt._wtp_init or iopkt.workers[0]


def pthread_setname_np(wtp: NwWorkThread, name: str) -> int:
    wtp.name = name
    return EOK


async def nw_pthread_create(iopkt, tidp, attr, fn, arg, flags: int, init_fn, init_arg) -> int:
    """Create a driver thread running ``await fn(arg)``. Stack context only.
    ``init_fn(init_arg)`` runs first, in the creator's context, with ``WTP``
    giving the new thread; it must name it and set the quiesce callout."""
    iopkt.ctx.require("nw_pthread_create")
    if init_fn is None:
        return EINVAL  # io-pkt insists: a thread without one cannot be quiesced
    iopkt._next_tid += 1
    wtp = NwWorkThread(iopkt, iopkt._next_tid)
    iopkt._wtp_init = wtp
    try:
        err = init_fn(init_arg)
        if inspect.isawaitable(err):
            err = await err
    finally:
        iopkt._wtp_init = None
    if err not in (None, EOK):
        return err
    if wtp.quiesce_callout is None:
        raise DriverBug(f"nw_pthread_create: the init function {getattr(init_fn, '__qualname__', init_fn)} set no "
                        f"quiesce_callout; the next quiesce_all (any ifconfig destroy) would call a NULL function")
    if wtp.name is None:
        # What the guide warns of: an unnamed driver thread looks like one of io-pkt's own.
        wtp.name = f"io-pkt#0x{len(iopkt.workers) + sum(1 for t in iopkt.threads if t.name.startswith('io-pkt#')):02x}"
        iopkt.printf(f"nw_pthread_create: thread {wtp.tid} has no name; it shows as {wtp.name}")
    iopkt.threads.append(wtp)
    wtp.state = "RUNNING"
    wtp.task = iopkt.platform.spawn(_thread_main(wtp, fn, arg), wtp.name)
    if tidp is not None:
        tidp.value = wtp
    return EOK


async def _thread_main(wtp: NwWorkThread, fn, arg) -> None:
    try:
        r = fn(arg)
        if inspect.isawaitable(r):
            await r
    except NwThreadExit:
        pass
    finally:
        wtp.state = "DEAD"
        if wtp in wtp.iopkt.threads:
            wtp.iopkt.threads.remove(wtp)
        wtp.iopkt._thread_change.set()


async def quiesce_block(wtp: NwWorkThread, die: int) -> None:
    """Called by the thread when its callout asked: park until ``unquiesce_all``,
    or end the thread here when ``die`` is set."""
    iopkt = wtp.iopkt
    wtp.state = "QUIESCED"
    iopkt._thread_change.set()
    if die:
        raise NwThreadExit()
    await wtp._release.wait()
    if wtp._die:
        raise NwThreadExit()
    wtp.state = "RUNNING"


async def wait_threads(iopkt, threads, done, what: str) -> None:
    """Wait until ``done(t)`` holds for every thread, or name those that never got there."""
    deadline = iopkt.platform.now_ns() + QUIESCE_DEADLINE_NS
    while True:
        late = [t for t in threads if not done(t)]
        if not late:
            return
        if iopkt.platform.now_ns() >= deadline:
            names = ", ".join(f"{t.name!r} (tid {t.tid})" for t in late)
            raise DriverBug(f"{what}: driver thread {names} did not call quiesce_block within "
                            f"{QUIESCE_DEADLINE_NS // 1_000_000} ms of its quiesce callout; io-pkt would hang here")
        ev = iopkt._thread_change
        ev.clear()
        timer = iopkt.platform.spawn(_set_after(iopkt, ev, deadline - iopkt.platform.now_ns()), "quiesce-deadline")
        await ev.wait()
        timer.cancel()


async def _set_after(iopkt, ev, ns: int) -> None:
    await iopkt.platform.sleep(ns)
    ev.set()


async def nw_pthread_reap(iopkt, wtp: NwWorkThread) -> int:
    """End a driver thread (its detach does this): quiesce with ``die`` and wait for it."""
    if wtp.state != "DEAD":
        await wtp.quiesce(die=True)
        await wait_threads(iopkt, [wtp], lambda t: t.state == "DEAD", "nw_pthread_reap")
    return EOK


class PthreadMutex:
    """``pthread_mutex_t``: what a driver serialises its thread and its
    stack-context code with (one MDIO master, two users). Stack code that
    blocks on it keeps the stack context, as a ``pthread_mutex_lock`` in an
    io-pkt thread blocks that thread; so hold it only around short work."""

    def __init__(self, platform, name: str = "mutex"):
        self.platform = platform
        self.name = name
        self.locked = False
        self._waiters: list = []


async def pthread_mutex_lock(m: PthreadMutex) -> int:
    while m.locked:
        ev = m.platform.event(f"{m.name}-wait")
        m._waiters.append(ev)
        await ev.wait()
    m.locked = True
    return EOK


def pthread_mutex_unlock(m: PthreadMutex) -> int:
    if not m.locked:
        raise DriverBug(f"pthread_mutex_unlock of {m.name}, which is not locked")
    m.locked = False
    # Wake every waiter; each re-checks. A waiter whose task was cancelled
    # then cannot swallow the hand-off and leave the others blocked.
    waiters, m._waiters = m._waiters, []
    for ev in waiters:
        ev.set()
    return EOK
