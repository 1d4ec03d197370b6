"""Interrupts: the kernel's level-triggered dispatch and io-pkt's run queue.

Kernel side (QNX ``InterruptAttach``/``InterruptMask``/``InterruptUnmask``):
while a line is asserted and its mask count is zero, the attached ISRs are
entered again and again, so an ISR that neither masks the source nor the line
storms, and a process function that never unmasks hangs the interface.

io-pkt side (``struct _iopkt_inter``, ``interrupt_entry_init``,
``interrupt_queue``): the ISR queues an entry on a worker; the worker calls
``func(arg, wtp)``; a non-zero return clears ``on_list`` and calls
``enable(arg)``; zero puts the entry at the tail to run again after the others.

The diagnoses (a storm, a livelock, a missed unmask) use the thresholds
below unless the platform sets its own (``Platform.storm_entries``,
``livelock_passes``, ``hang_ns``, ``hang_poll_ns``): a simulation of live
hardware covers milliseconds, not the seconds of the virtual clock. With
``Platform.hang_fatal`` a missed unmask raises ``DriverBug`` from the watch
as well as being logged, so the run stops there with the message.

Observers: ``InterruptKernel.observers`` holds callables ``f(event, irq,
name)`` told of ``"isr"`` (the kernel enters the ISRs of ``irq``), ``"mask"``
and ``"unmask"`` (``InterruptMask``/``InterruptUnmask``), ``"process"`` (a
process function pass, ``name`` the interrupt entry's; ``irq`` -1) and
``"enable"`` (its ``enable()``); an event log listens, io-pkt does not.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .diag import DriverBug, InterruptStorm
from .errno import EOK
from .proc import Proc

# Cost of entering an ISR: what a kernel's interrupt path takes on a real CPU.
# It also keeps a storming line from spinning at zero simulated time.
ISR_ENTRY_NS = 200
# Back-to-back ISR entries with the line still up and unmasked after the ISRs
# returned, after which the line is declared to be storming. On a CPU such a
# line starves every thread, so worker progress does not excuse it.
STORM_ENTRIES = 2000
# Passes of the run queue at one instant of simulated time after which a
# process function that keeps returning 0 is declared a livelock.
LIVELOCK_PASSES = 100_000


async def _maybe_await(value):
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass
class _Handler:
    isr: Callable[[Any, int], Any]
    area: Any
    iid: int
    name: str
    masks: int = 0  # InterruptMask calls not yet undone (_NTO_INTR_FLAGS_TRK_MSK)


class InterruptLine:
    """The kernel's view of one interrupt line: handlers and a mask count."""

    def __init__(self, kernel: InterruptKernel, irq: int, line):
        self.kernel = kernel
        self.irq = irq
        self.line = line
        self.handlers: list[_Handler] = []
        self.mask_count = 0
        self.entries = 0
        self.storm_run = 0
        self._wake = kernel._wake_for(irq, line)
        self._task = kernel.platform.spawn(self._dispatch(), f"irq{irq}-dispatch")

    def _pending(self) -> bool:
        return self.line.level and self.mask_count == 0 and bool(self.handlers)

    async def _dispatch(self) -> None:
        while True:
            if not self._pending():
                self._wake.clear()
                if self._pending():
                    continue
                await self._wake.wait()
                continue
            await self.kernel.platform.sleep(ISR_ENTRY_NS)
            if not self._pending():
                continue
            self.entries += 1
            if self.kernel.observers:
                self.kernel.notify("isr", self.irq, ", ".join(h.name for h in self.handlers))
            # The kernel's own handler first, where it has one on this line
            # (the clock: it acknowledges the timer chip on every entry).
            kernel_ack = getattr(self.line, "kernel_ack", None)
            if kernel_ack is not None:
                kernel_ack()
            for h in list(self.handlers):
                ev = await _maybe_await(h.isr(h.area, h.iid))
                if ev is not None:
                    ev.set()
            self.storm_run = self.storm_run + 1 if self._pending() else 0
            if self.storm_run > self.kernel.storm_entries:
                names = ", ".join(h.name for h in self.handlers)
                raise InterruptStorm(
                    f"interrupt storm on irq {self.irq}: {self.storm_run} ISR entries in a row left the line "
                    f"asserted and unmasked (ISRs: {names}); an ISR must mask its source or the line")

    @property
    def task(self):
        """The dispatch task (an ``InterruptStorm`` ends it: a test may await it to catch that)."""
        return self._task

    def stop(self) -> None:
        self._task.cancel()


class InterruptKernel:
    """The interrupt half of the QNX kernel for one host."""

    def __init__(self, platform):
        self.platform = platform
        self.lines: dict[int, InterruptLine] = {}
        self._next_iid = 1
        self._iids: dict[int, tuple[int, _Handler]] = {}
        # One rise hook per physical line for the life of the host: the
        # platform's lines cannot forget a callback, and attach/detach cycles
        # (100 mounts and destroys) must not pile them up.
        self._wakes: dict[int, tuple[Any, Any]] = {}
        self.storm_entries = getattr(platform, "storm_entries", STORM_ENTRIES)
        self.livelock_passes = getattr(platform, "livelock_passes", LIVELOCK_PASSES)
        self.observers: list[Callable[[str, int, str], None]] = []
        self.hang_watch = HangWatch(self)

    def notify(self, event: str, irq: int, name: str) -> None:
        """Tell every observer of ``event`` (see the module's docstring)."""
        for f in self.observers:
            f(event, irq, name)

    def _wake_for(self, irq: int, line):
        have = self._wakes.get(irq)
        if have is None or have[0] is not line:
            ev = self.platform.event(f"irq{irq}")
            line.on_rise(ev.set)
            have = self._wakes[irq] = (line, ev)
        return have[1]

    def attach(self, irq: int, line, isr, area, name: str) -> int:
        """``InterruptAttach``: ``isr(area, iid)`` runs in interrupt context and
        returns an event to deliver (io-pkt's wake-up) or None."""
        il = self.lines.get(irq)
        if il is None:
            il = self.lines[irq] = InterruptLine(self, irq, line)
        iid = self._next_iid
        self._next_iid += 1
        h = _Handler(isr, area, iid, name)
        il.handlers.append(h)
        self._iids[iid] = (irq, h)
        il._wake.set()
        self.hang_watch.start()
        return iid

    def detach(self, iid: int) -> None:
        """``InterruptDetach``: masks this handler still holds are undone, as
        the kernel does for an attach made with ``_NTO_INTR_FLAGS_TRK_MSK``."""
        if iid not in self._iids:
            raise DriverBug(f"InterruptDetach of iid {iid}, which is not attached")
        irq, h = self._iids.pop(iid)
        il = self.lines[irq]
        il.handlers.remove(h)
        il.mask_count -= h.masks
        h.masks = 0
        if not il.handlers:
            il.stop()
            del self.lines[irq]
        else:
            il._wake.set()
        if not self._iids:
            self.hang_watch.stop()

    def _handler(self, irq: int, iid: int, what: str) -> tuple[InterruptLine, _Handler | None]:
        il = self.lines.get(irq)
        if il is None:
            raise DriverBug(f"{what}(irq {irq}, iid {iid}): nothing is attached to irq {irq}")
        entry = self._iids.get(iid)
        return il, entry[1] if entry is not None and entry[0] == irq else None

    def mask(self, irq: int, iid: int) -> int:
        """``InterruptMask``: returns the new mask count."""
        il, h = self._handler(irq, iid, "InterruptMask")
        il.mask_count += 1
        if h is not None:
            h.masks += 1
        if self.observers:
            self.notify("mask", irq, h.name if h is not None else "")
        return il.mask_count

    def unmask(self, irq: int, iid: int) -> int:
        """``InterruptUnmask``: an unmask below zero is a driver bug, as the kernel says."""
        il, h = self._handler(irq, iid, "InterruptUnmask")
        if il.mask_count == 0:
            raise InterruptStorm(f"InterruptUnmask(irq {irq}) with a mask count of 0: unbalanced unmask")
        il.mask_count -= 1
        if h is not None and h.masks:
            h.masks -= 1
        if self.observers:
            self.notify("unmask", irq, h.name if h is not None else "")
        if il.mask_count == 0:
            il._wake.set()
        return il.mask_count

    @property
    def attached(self) -> list[tuple[int, int, str]]:
        """(irq, iid, name) of every handler still attached: what a leak check looks at."""
        return sorted((irq, iid, h.name) for iid, (irq, h) in self._iids.items())


# A line whose interrupt is pending but masked, with no process function queued
# to unmask it, for this long is reported as hung. Long compared with any
# process function, short compared with the second a person waits for a ping.
HANG_NS = 100_000_000
HANG_POLL_NS = 25_000_000


class HangWatch:
    """Makes the silent symptom of a missed unmask observable.

    On QNX a process function whose ``enable()`` forgets to unmask leaves the
    interface deaf with nothing in any log. Here a low-rate watchdog notices a
    line (kernel mask count) or a device (its own ``irq_pending`` probe, for
    hardware masking) that has had an interrupt pending while masked, with no
    process function queued that could unmask it, and says so in io-pkt's log
    and in ``hangs``. A masked line with nothing pending (an idle interface)
    is normal and stays silent.
    """

    def __init__(self, kernel: InterruptKernel):
        self.kernel = kernel
        platform = kernel.platform
        self.hang_ns = getattr(platform, "hang_ns", HANG_NS)
        self.poll_ns = getattr(platform, "hang_poll_ns", HANG_POLL_NS)
        self.fatal = bool(getattr(platform, "hang_fatal", False))
        self.queued = lambda: False  # set by IoPkt: is any process function queued or running?
        self.report = lambda msg: None
        self.devices = lambda: []  # PlatformDevices that offer props["irq_pending"]
        self.hangs: list[str] = []
        self._since: dict[int, int] = {}
        self._reported: set[int] = set()
        self._task = None

    @property
    def task(self):
        """The watch's task, or None (with ``fatal`` a hang ends it: a test may await it to catch that)."""
        return self._task

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = self.kernel.platform.spawn(self._run(), "irq-hang-watch")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._since.clear()
        self._reported.clear()

    def pending_but_masked(self) -> dict[int, str]:
        """irq -> how it is masked, for every line with an interrupt held back."""
        out: dict[int, str] = {}
        for irq, il in self.kernel.lines.items():
            if il.line.level and il.mask_count > 0:
                out[irq] = f"masked in the kernel (mask count {il.mask_count})"
        for dev in self.devices():
            probe = dev.props.get("irq_pending")
            if probe is not None and dev.irq_number in self.kernel.lines and dev.irq_number not in out:
                # a probe may say what it saw (registers and fields): that joins the message
                seen = probe()
                if seen:
                    detail = f" ({seen})" if isinstance(seen, str) else ""
                    out[dev.irq_number] = f"masked in {dev.name}'s interrupt mask register{detail}"
        return out

    def sample(self) -> list[str]:
        now = self.kernel.platform.now_ns()
        held = {} if self.queued() else self.pending_but_masked()
        for irq in list(self._since):
            if irq not in held:
                del self._since[irq]
                self._reported.discard(irq)
        found = []
        for irq, how in held.items():
            since = self._since.setdefault(irq, now)
            if now - since >= self.hang_ns and irq not in self._reported:
                self._reported.add(irq)
                names = ", ".join(h.name for h in self.kernel.lines[irq].handlers)
                msg = (f"irq {irq} ({names}): interrupt pending but {how} for {_duration(now - since)} "
                       f"with no process function queued: interface hung (an enable() that does not unmask?)")
                self.hangs.append(msg)
                self.report(msg)
                found.append(msg)
        return found

    async def _run(self) -> None:
        while True:
            await self.kernel.platform.sleep(self.poll_ns)
            found = self.sample()
            if found and self.fatal:
                raise DriverBug(found[0])


def _duration(ns: int) -> str:
    """``ns`` in the unit a person reads it in: ms from 1 ms, else us."""
    return f"{ns // 1_000_000} ms" if ns >= 1_000_000 else f"{ns // 1000} us"


@dataclass(eq=False)
class IopktInter:
    """``struct _iopkt_inter``."""

    func: Callable | None = None  # func(arg, wtp) -> int
    enable: Callable | None = None  # enable(arg) -> int
    arg: Any = None
    on_list: int = 0
    spurious: int = 0
    worker: Worker | None = field(default=None, repr=False)
    name: str = ""


class Worker:
    """An io-pkt worker thread (``io-pkt#0x00``): runs queued process functions."""

    def __init__(self, iopkt, index: int):
        self.iopkt = iopkt
        self.index = index
        self.proc = Proc(f"io-pkt#0x{index:02x}")
        self.queue: deque[IopktInter] = deque()
        self.idle = True
        self.wake = iopkt.platform.event(self.proc.name)
        self.passes = 0
        self.task = iopkt.platform.spawn(self._run(), self.proc.name)

    async def _run(self) -> None:
        ctx = self.iopkt.ctx
        while True:
            await self.wake.wait()
            self.wake.clear()
            self.idle = False
            await ctx.acquire(self.proc)
            try:
                stamp, spins = self.iopkt.platform.now_ns(), 0
                while self.queue:
                    ient = self.queue.popleft()
                    done = await _maybe_await(ient.func(ient.arg, self))
                    self.passes += 1
                    kernel = self.iopkt.kernel
                    if kernel.observers:
                        kernel.notify("process", -1, f"{ient.name or ient.func} returned {done}")
                    now = self.iopkt.platform.now_ns()
                    spins = spins + 1 if now == stamp else 0
                    stamp = now
                    if spins > kernel.livelock_passes:
                        raise DriverBug(f"{ient.name or ient.func}: the process function returned 0 "
                                        f"{spins} times without simulated time passing (livelock)")
                    if done:
                        ient.on_list = 0
                        if kernel.observers:
                            kernel.notify("enable", -1, ient.name or str(ient.enable))
                        await _maybe_await(ient.enable(ient.arg))
                    else:
                        self.queue.append(ient)
            finally:
                ctx.release(self.proc)
                self.idle = True


def interrupt_entry_init(iopkt, ient: IopktInter, flags: int = 0, prio=None) -> int:
    """Bind ``ient`` to a worker. Stack context only."""
    iopkt.ctx.require("interrupt_entry_init")
    ient.worker = iopkt.workers[0]
    ient.on_list = 0
    iopkt.interrupt_entries.add(ient)
    return EOK


def interrupt_entry_remove(iopkt, ient: IopktInter, flags: int = 0) -> None:
    iopkt.ctx.require("interrupt_entry_remove")
    if ient.worker is not None and ient in ient.worker.queue:
        ient.worker.queue.remove(ient)
    iopkt.interrupt_entries.discard(ient)
    ient.worker = None


def interrupt_queue(iopkt, ient: IopktInter):
    """From an ISR: queue ``ient``; the wake-up event comes back only if its worker is idle."""
    if ient.worker is None:
        raise InterruptStorm(f"interrupt_queue on {ient.name or ient} before interrupt_entry_init")
    if ient.on_list:
        ient.spurious += 1
        return None
    ient.on_list = 1
    w = ient.worker
    w.queue.append(ient)
    return w.wake if w.idle else None


# -- the QNX kernel calls a driver makes (<sys/neutrino.h>) ---------------------------
# C passes no io-pkt: the kernel is implicit. Here the host's kernel hangs off
# its io-pkt, so each call takes it first.
_NTO_INTR_FLAGS_END = 0x01
_NTO_INTR_FLAGS_PROCESS = 0x04
_NTO_INTR_FLAGS_TRK_MSK = 0x08


def InterruptAttach(iopkt, irq: int, handler, area, size: int = 0, flags: int = 0) -> int:
    """Attach ``handler(area, iid)`` to interrupt ``irq``; returns the iid, or a
    negative errno as ``InterruptAttach_r`` does (``-ENXIO``: no such line).
    The mask tracking of ``_NTO_INTR_FLAGS_TRK_MSK`` is always on."""
    from .errno import ENXIO

    line = iopkt.platform.interrupt_line(irq)
    if line is None:
        return -ENXIO
    # Named for diagnostics by the device it serves, as a person would look for it.
    name = getattr(area, "dv_xname", "") or getattr(area, "name", "") or getattr(handler, "__qualname__", repr(handler))
    return iopkt.kernel.attach(irq, line, handler, area, name)


InterruptAttach_r = InterruptAttach


def InterruptDetach(iopkt, iid: int) -> int:
    iopkt.kernel.detach(iid)
    return EOK


def InterruptMask(iopkt, irq: int, iid: int) -> int:
    """Mask ``irq`` (counted: every mask needs its unmask). Legal from an ISR."""
    return iopkt.kernel.mask(irq, iid)


def InterruptUnmask(iopkt, irq: int, iid: int) -> int:
    return iopkt.kernel.unmask(irq, iid)
