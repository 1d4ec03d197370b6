"""A pure-Python, virtual-time platform: a tiny discrete-event scheduler.

No simulator: coroutines run until they await ``sleep`` or an ``Event``; time
jumps straight to the next timer. Deterministic, so framework tests can
reproduce races exactly. Device models for it are plain Python objects
(see ``VirtualRegisters`` and ``VirtualIrqLine``).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from .base import Event, HostMemory, IrqLine, Platform, PlatformDevice, RegisterBus, Task


class Deadlock(RuntimeError):
    """``run(until=...)`` found nothing left to run and the awaited task unfinished."""


class _Wait:
    """The one thing a coroutine yields to this scheduler."""

    __slots__ = ("sleep_ns", "event")

    def __init__(self, sleep_ns: int | None = None, event: VirtualEvent | None = None):
        self.sleep_ns = sleep_ns
        self.event = event

    def __await__(self):
        yield self


class VirtualEvent(Event):
    def __init__(self, sched: VirtualPlatform, name: str = ""):
        self._sched = sched
        self.name = name
        self._set = False
        self._waiters: list[VirtualTask] = []

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, []
        for t in waiters:
            self._sched._make_ready(t)

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def wait(self):
        return _Wait(event=self)


class VirtualTask(Task):
    def __init__(self, sched: VirtualPlatform, coro: Coroutine, name: str):
        self._sched = sched
        self.coro = coro
        self.name = name
        self._done = False
        self._cancelled = False
        self.result_value: Any = None
        self.exception: BaseException | None = None
        self._finished = VirtualEvent(sched, f"{name}.finished")
        self._gen = 0  # bumps on every resume, so stale timer entries are ignored

    def cancel(self) -> None:
        if not self._done:
            self._cancelled = True
            self._done = True
            self.coro.close()
            self._finished.set()
        self._sched._live.discard(self)

    def done(self) -> bool:
        return self._done

    async def join(self):
        await self._finished.wait()
        if self.exception is not None:
            raise self.exception
        return self.result_value

    def join_result(self):
        """The finished task's result, or its exception raised."""
        if self.exception is not None:
            raise self.exception
        return self.result_value

    def __repr__(self) -> str:
        return f"<VirtualTask {self.name}{' done' if self._done else ''}>"


class VirtualPlatform(Platform):
    """Scheduler plus one host's memory and device list.

    ``VirtualPlatform.host()`` gives a second host sharing the same clock, so
    several io-pkt instances can live in one virtual simulation.
    """

    def __init__(self, mem_size: int = 8 << 20, _clock: VirtualPlatform | None = None):
        self._clock = _clock or self
        if _clock is None:
            self._now = 0
            self._ready: deque[tuple[VirtualTask, int]] = deque()
            self._timers: list[tuple[int, int, VirtualTask, int]] = []
            self._seq = itertools.count()
            self.failures: list[tuple[VirtualTask, BaseException]] = []
            self._live: set[VirtualTask] = set()
        self.memory = HostMemory(bytearray_backing(mem_size), mem_size)
        self.devices: list[PlatformDevice] = []
        self.irq_lines: dict[int, IrqLine] = {}
        self.qtime: SystemClock | None = None
        self.itimer: IntrTimer | None = None

    def system_clock(self, irq: int = 0, period_ns: int = 1_000_000) -> SystemClock:
        """This host's system clock interrupt (``SYSPAGE_ENTRY(qtime)->intr``),
        created on first use. It starts ticking when the kernel first hooks it."""
        if self.qtime is None:
            self.qtime = SystemClock(self, irq, period_ns)
            self.irq_lines[irq] = self.qtime.line
        return self.qtime

    def interrupt_timer(self, irq: int = 5, period_ns: int = 1_000_000) -> PlatformDevice:
        """A periodic timer with its own interrupt registers (``IntrTimer``),
        listed in ``devices``, created on first use: the smallest device a
        hardware-masking ISR can be written against without a NIC model."""
        if self.itimer is None:
            self.itimer = IntrTimer(self, irq, period_ns)
            self.devices.append(self.itimer.device)
        return self.itimer.device

    def host(self, mem_size: int = 8 << 20) -> VirtualPlatform:
        return VirtualPlatform(mem_size, _clock=self._clock)

    # -- Platform interface -------------------------------------------------
    def now_ns(self) -> int:
        return self._clock._now

    def sleep(self, ns: int):
        if ns < 0:
            raise ValueError("negative sleep")
        return _Wait(sleep_ns=int(ns))

    def event(self, name: str = "") -> VirtualEvent:
        return VirtualEvent(self._clock, name)

    def spawn(self, coro: Coroutine, name: str = "") -> VirtualTask:
        c = self._clock
        task = VirtualTask(c, coro, name or getattr(coro, "__name__", "task"))
        c._live.add(task)
        c._make_ready(task)
        return task

    # -- scheduler ------------------------------------------------------------
    def _make_ready(self, task: VirtualTask) -> None:
        task._gen += 1
        self._ready.append((task, task._gen))

    def _step(self, task: VirtualTask) -> None:
        try:
            req = task.coro.send(None)
        except StopIteration as stop:
            self._live.discard(task)
            task._done = True
            task.result_value = stop.value
            task._finished.set()
            return
        except BaseException as exc:  # a crashed task fails the whole run
            self._live.discard(task)
            task._done = True
            task.exception = exc
            task._finished.set()
            self.failures.append((task, exc))
            return
        if not isinstance(req, _Wait):
            raise TypeError(f"task {task.name} awaited {req!r}, which this platform does not provide")
        if req.event is not None:
            if req.event.is_set():
                self._make_ready(task)
            else:
                req.event._waiters.append(task)
        else:
            task._gen += 1
            heapq.heappush(self._timers, (self._now + req.sleep_ns, next(self._seq), task, task._gen))

    def close(self) -> None:
        """End the simulation: close every unfinished task (a test's teardown;
        also done after a crash), so none is reported as never awaited."""
        c = self._clock
        for task in list(c._live):
            task.cancel()
        c._ready.clear()
        c._timers.clear()

    def run(self, until: VirtualTask | Coroutine | None = None, for_ns: int | None = None) -> Any:
        """Run tasks. With ``until``, stop when that task (or coroutine, which
        is spawned) finishes and return its result; with ``for_ns``, stop when
        virtual time has advanced that far. A crashed task raises here."""
        c = self._clock
        if until is not None and not isinstance(until, VirtualTask):
            until = self.spawn(until, "main")
        stop_at = None if for_ns is None else c._now + for_ns
        while True:
            while c._ready:
                task, gen = c._ready.popleft()
                if task._done or gen != task._gen:
                    continue
                c._step(task)
                if c.failures:
                    t, exc = c.failures.pop(0)
                    c.close()
                    raise RuntimeError(f"task {t.name} crashed: {exc!r}") from exc
            if until is not None and until.done():
                return until.join_result()
            while c._timers and (c._timers[0][2]._done or c._timers[0][3] != c._timers[0][2]._gen):
                heapq.heappop(c._timers)
            if not c._timers:
                if until is not None:
                    raise Deadlock(f"nothing left to run at t={c._now} ns and {until.name} has not finished")
                return None
            t = c._timers[0][0]
            if stop_at is not None and t > stop_at:
                c._now = stop_at
                return None
            while c._timers and c._timers[0][0] == t:
                _, _, task, gen = heapq.heappop(c._timers)
                if not task._done and gen == task._gen:
                    c._now = t
                    c._make_ready(task)


class bytearray_backing:
    """The read/write pair HostMemory wants, over a bytearray."""

    def __init__(self, size: int):
        self.mem = bytearray(size)

    def read(self, addr: int, length: int) -> bytes:
        return bytes(self.mem[addr:addr + length])

    def write(self, addr: int, data: bytes) -> None:
        self.mem[addr:addr + len(data)] = data


class VirtualIrqLine(IrqLine):
    """An interrupt line a Python device model drives with ``set(level)``."""

    def __init__(self):
        self._level = False
        self._callbacks: list[Callable[[], None]] = []

    @property
    def level(self) -> bool:
        return self._level

    def set(self, level: bool) -> None:
        rising = level and not self._level
        self._level = bool(level)
        if rising:
            for cb in list(self._callbacks):
                cb()

    def on_rise(self, callback) -> None:
        self._callbacks.append(callback)


class VirtualRegisters(RegisterBus):
    """Registers of a Python device model: ``read(off)``/``write(off, v)``
    callbacks, each access costing ``access_ns`` of virtual time (a posted
    write or a read round trip on a real bus is not free)."""

    def __init__(self, platform: Platform, read: Callable[[int], int], write: Callable[[int, int], None],
                 access_ns: int = 100):
        self._platform = platform
        self._read = read
        self._write = write
        self.access_ns = access_ns

    async def read32(self, offset: int) -> int:
        await self._platform.sleep(self.access_ns)
        return self._read(offset) & 0xFFFFFFFF

    async def write32(self, offset: int, value: int) -> None:
        await self._platform.sleep(self.access_ns)
        self._write(offset, value & 0xFFFFFFFF)


class _ClockLine(VirtualIrqLine):
    def __init__(self, clock: SystemClock):
        super().__init__()
        self._clock = clock

    def on_rise(self, callback) -> None:
        super().on_rise(callback)
        self._clock._start()

    def kernel_ack(self) -> None:
        """The kernel's clock handler acknowledges the tick on interrupt entry."""
        self.set(False)
        if self._clock._acked is not None:
            self._clock._acked.set()


class SystemClock:
    """The clock chip: raises its line every ``period_ns``.

    The kernel's own clock handler, which runs first on every entry of the
    line, acknowledges the tick, so each tick interrupts once; a tick that
    arrives while the line is masked waits until it is unmasked, and later
    ticks merge into it. The ticking task starts when the kernel first hooks
    the line. ``ticks`` counts the ticks that raised the line.

    While a tick is unacknowledged (the line masked, or nothing attached any
    more: a driver's detach) the model sleeps until the acknowledgement
    instead of waking every period for ticks that would merge; the next tick
    after it still falls on the chip's period grid.
    """

    def __init__(self, platform: VirtualPlatform, intr: int, period_ns: int):
        self.platform = platform
        self.intr = intr
        self.period_ns = period_ns
        self.line = _ClockLine(self)
        self.ticks = 0
        self._task = None
        self._acked = None

    def _start(self) -> None:
        if self._task is None:
            self._acked = self.platform.event("qtime-ack")
            self._task = self.platform.spawn(self._run(), "qtime")

    async def _run(self) -> None:
        t0 = self.platform.now_ns()
        n = 0  # ticks of the grid t0 + n * period_ns passed so far
        while True:
            n += 1
            await self.platform.sleep(t0 + n * self.period_ns - self.platform.now_ns())
            if not self.line.level:
                self.ticks += 1
                self.line.set(True)
                continue
            self._acked.clear()
            if self.line.level:
                await self._acked.wait()
            n = (self.platform.now_ns() - t0) // self.period_ns


class IntrTimer:
    """A timer chip with an e1000-style interrupt register set, on its own
    level-triggered line: the line is up while ``cause & mask`` is non-zero.

    ``ITR_CAUSE`` reads the pending causes and clears the bits written as 1;
    ``ITR_MASK`` reads the enabled causes; writing 1s to ``ITR_IMS`` enables
    causes and to ``ITR_IMC`` disables them (so an ISR masks the device with
    ``IMC = 0xffffffff`` and ``enable()`` unmasks with ``IMS``). Ticks set
    ``ITR_TICK`` every ``period_ns`` once the kernel hooks the line; a tick
    that comes while the last one is still pending merges into it.
    """

    ITR_CAUSE = 0x00
    ITR_MASK = 0x04
    ITR_IMS = 0x08
    ITR_IMC = 0x0C
    ITR_TICK = 0x1

    def __init__(self, platform: VirtualPlatform, irq: int, period_ns: int):
        self.platform = platform
        self.period_ns = period_ns
        self.cause = 0
        self.mask = 0
        self.ticks = 0
        self.line = _TimerLine(self)
        self._task = None
        self.regs = VirtualRegisters(platform, self._read, self._write)
        self.device = PlatformDevice("timer@0", self.regs, self.line, irq,
                                     props={"irq_pending": self.pending_but_masked})

    def pending_but_masked(self) -> bool:
        """What io-pkt's hang watch asks: a cause the device's mask holds back."""
        return bool(self.cause & ~self.mask)

    def _update(self) -> None:
        self.line.set(bool(self.cause & self.mask))

    def _read(self, off: int) -> int:
        if off == self.ITR_CAUSE:
            return self.cause
        if off == self.ITR_MASK:
            return self.mask
        return 0

    def _write(self, off: int, value: int) -> None:
        if off == self.ITR_CAUSE:
            self.cause &= ~value
        elif off == self.ITR_IMS:
            self.mask |= value & self.ITR_TICK
        elif off == self.ITR_IMC:
            self.mask &= ~value
        self._update()

    def _start(self) -> None:
        if self._task is None:
            self._task = self.platform.spawn(self._run(), "itimer")

    async def _run(self) -> None:
        while True:
            await self.platform.sleep(self.period_ns)
            self.ticks += 1
            self.cause |= self.ITR_TICK
            self._update()


class _TimerLine(VirtualIrqLine):
    def __init__(self, timer: IntrTimer):
        super().__init__()
        self._timer = timer

    def on_rise(self, callback) -> None:
        super().on_rise(callback)
        self._timer._start()
