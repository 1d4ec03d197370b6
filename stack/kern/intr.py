"""Interrupts: the kernel's level-triggered dispatch and io-pkt's run queue.

Kernel side (QNX ``InterruptAttach``/``InterruptMask``/``InterruptUnmask``):
while a line is asserted and its mask count is zero, the attached ISRs are
entered again and again, so an ISR that neither masks the source nor the line
storms, and a process function that never unmasks hangs the interface.

io-pkt side (``struct _iopkt_inter``, ``interrupt_entry_init``,
``interrupt_queue``): the ISR queues an entry on a worker; the worker calls
``func(arg, wtp)``; a non-zero return clears ``on_list`` and calls
``enable(arg)``; zero puts the entry at the tail to run again after the others.
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
        self._wake = kernel.platform.event(f"irq{irq}")
        line.on_rise(self._wake.set)
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
            for h in list(self.handlers):
                ev = await _maybe_await(h.isr(h.area, h.iid))
                if ev is not None:
                    ev.set()
            self.storm_run = self.storm_run + 1 if self._pending() else 0
            if self.storm_run > STORM_ENTRIES:
                names = ", ".join(h.name for h in self.handlers)
                raise InterruptStorm(
                    f"interrupt storm on irq {self.irq}: {self.storm_run} ISR entries in a row left the line "
                    f"asserted and unmasked (ISRs: {names}); an ISR must mask its source or the line")

    def stop(self) -> None:
        self._task.cancel()


class InterruptKernel:
    """The interrupt half of the QNX kernel for one host."""

    def __init__(self, platform):
        self.platform = platform
        self.lines: dict[int, InterruptLine] = {}
        self._next_iid = 1
        self._iids: dict[int, tuple[int, _Handler]] = {}

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
        return iid

    def detach(self, iid: int) -> None:
        irq, h = self._iids.pop(iid)
        il = self.lines[irq]
        il.handlers.remove(h)
        if not il.handlers:
            il.stop()
            del self.lines[irq]

    def mask(self, irq: int, iid: int) -> int:
        """``InterruptMask``: returns the new mask count."""
        il = self.lines[irq]
        il.mask_count += 1
        return il.mask_count

    def unmask(self, irq: int, iid: int) -> int:
        """``InterruptUnmask``: an unmask below zero is a driver bug, as the kernel says."""
        il = self.lines[irq]
        if il.mask_count == 0:
            raise InterruptStorm(f"InterruptUnmask(irq {irq}) with a mask count of 0: unbalanced unmask")
        il.mask_count -= 1
        if il.mask_count == 0:
            il._wake.set()
        return il.mask_count


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
                    now = self.iopkt.platform.now_ns()
                    spins = spins + 1 if now == stamp else 0
                    stamp = now
                    if spins > LIVELOCK_PASSES:
                        raise DriverBug(f"{ient.name or ient.func}: the process function returned 0 "
                                        f"{spins} times without simulated time passing (livelock)")
                    if done:
                        ient.on_list = 0
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
