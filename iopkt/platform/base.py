"""What io-pkt needs from the machine underneath it.

Four things: simulated time (now, sleep, events, tasks), interrupt lines,
32-bit register access to devices, and host memory that devices DMA into.
``iopkt/`` is written against these classes only, so the same framework and
driver code runs on the virtual-time platform (plain pytest, milliseconds) and
on the cocotb platform (live RTL).
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, field
from typing import Any


class Event(abc.ABC):
    """A level-style event: ``wait()`` returns at once while it is set."""

    @abc.abstractmethod
    def set(self) -> None: ...

    @abc.abstractmethod
    def clear(self) -> None: ...

    @abc.abstractmethod
    def is_set(self) -> bool: ...

    @abc.abstractmethod
    def wait(self) -> Awaitable[None]: ...


class Task(abc.ABC):
    @abc.abstractmethod
    def cancel(self) -> None: ...

    @abc.abstractmethod
    def done(self) -> bool: ...

    @abc.abstractmethod
    def join(self) -> Awaitable[Any]: ...


class RegisterBus(abc.ABC):
    """A device's register window: 32-bit little-endian registers."""

    @abc.abstractmethod
    async def read32(self, offset: int) -> int: ...

    @abc.abstractmethod
    async def write32(self, offset: int, value: int) -> None: ...


class IrqLine(abc.ABC):
    """A level-triggered interrupt line as the interrupt controller sees it."""

    @property
    @abc.abstractmethod
    def level(self) -> bool: ...

    @abc.abstractmethod
    def on_rise(self, callback) -> None:
        """Call ``callback()`` (from the simulation, not in stack context)
        each time the line goes from low to high."""


class WiredOrIrqLine(IrqLine):
    """Several devices' interrupt outputs on one line (a shared PCI INTx, an
    open-drain interrupt): asserted while any of them is."""

    def __init__(self, lines: list[IrqLine]):
        self.lines = list(lines)

    @property
    def level(self) -> bool:
        return any(line.level for line in self.lines)

    def on_rise(self, callback) -> None:
        # A rise of any member may be a rise of the line; the kernel checks
        # the level itself, so calling back once too often is harmless.
        for line in self.lines:
            line.on_rise(callback)


class HostMemoryError(Exception):
    """A host-memory access outside the memory, or a bad free."""


class HostMemory:
    """Host RAM that devices reach by DMA, with a first-fit allocator.

    ``backing`` needs ``read(addr, n) -> bytes`` and ``write(addr, data)``,
    accesses that cost no simulated time (the cocotb platform's C buffer,
    cocotbext-axi's ``AxiRam`` and a plain bytearray wrapper all have exactly
    these). Addresses below ``base`` are never handed out so a zero address
    is always a bug.
    """

    def __init__(self, backing, size: int, base: int = 0x1000):
        self._backing = backing
        self.size = size
        self._free: list[tuple[int, int]] = [(base, size - base)]  # (addr, len), sorted
        self._used: dict[int, int] = {}

    def read(self, addr: int, length: int) -> bytes:
        self._check(addr, length)
        return bytes(self._backing.read(addr, length))

    def write(self, addr: int, data: bytes) -> None:
        self._check(addr, len(data))
        self._backing.write(addr, bytes(data))

    def _check(self, addr: int, length: int) -> None:
        if addr < 0 or length < 0 or addr + length > self.size:
            raise HostMemoryError(f"host memory access {addr:#x}+{length} outside 0..{self.size:#x}")

    def alloc(self, size: int, align: int = 16) -> int:
        if size <= 0:
            raise ValueError("allocation size must be positive")
        for i, (addr, length) in enumerate(self._free):
            start = (addr + align - 1) // align * align
            pad = start - addr
            if length - pad >= size:
                rest = []
                if pad:
                    rest.append((addr, pad))
                if length - pad - size:
                    rest.append((start + size, length - pad - size))
                self._free[i:i + 1] = rest
                self._used[start] = size
                return start
        raise HostMemoryError(f"host memory exhausted allocating {size} bytes")

    def free(self, addr: int) -> None:
        size = self._used.pop(addr, None)
        if size is None:
            raise HostMemoryError(f"free of {addr:#x}, which is not an allocation")
        self._free.append((addr, size))
        self._free.sort()
        merged: list[tuple[int, int]] = []
        for a, n in self._free:
            if merged and merged[-1][0] + merged[-1][1] == a:
                merged[-1] = (merged[-1][0], merged[-1][1] + n)
            else:
                merged.append((a, n))
        self._free = merged

    @property
    def bytes_in_use(self) -> int:
        return sum(self._used.values())


@dataclass
class PlatformDevice:
    """One device a driver's entry point can find by scanning the platform."""

    name: str  # where it sits, e.g. "nic@A"
    regs: RegisterBus
    irq: IrqLine
    irq_number: int
    mem_window: tuple[int, int] = (0, 0)  # (base, size) of its register window, for nicinfo
    props: dict[str, Any] = field(default_factory=dict)


class Platform(abc.ABC):
    """Time, tasks, devices and memory of one simulated machine (one host).

    Several hosts (io-pkt instances) may share one platform's clock by each
    having their own ``Platform`` view; time is global to the simulation.

    Optional attributes io-pkt's diagnoses read (``iopkt.kern.intr``; its own
    constants when absent): ``storm_entries``, ``livelock_passes``,
    ``hang_ns``, ``hang_poll_ns`` (thresholds, in simulated time where they
    are times) and ``hang_fatal`` (a missed unmask raises ``DriverBug`` as
    well as being logged).
    """

    memory: HostMemory
    devices: list[PlatformDevice]

    @abc.abstractmethod
    def now_ns(self) -> int: ...

    @abc.abstractmethod
    def sleep(self, ns: int) -> Awaitable[None]: ...

    @abc.abstractmethod
    def event(self, name: str = "") -> Event: ...

    @abc.abstractmethod
    def spawn(self, coro: Coroutine, name: str = "") -> Task: ...

    def interrupt_line(self, irq: int) -> IrqLine | None:
        """The line wired to interrupt number ``irq``: a device's, the
        wired-OR of the devices that share the number, or one of ``irq_lines``
        (lines with no device behind them, e.g. the system clock)."""
        extra = getattr(self, "irq_lines", {})
        if irq in extra:
            return extra[irq]
        wired = [dev.irq for dev in self.devices if dev.irq_number == irq]
        if len(wired) > 1:
            # devices sharing a number share the line: one wired-OR per number
            cache = self.__dict__.setdefault("_shared_lines", {})
            if irq not in cache:
                cache[irq] = WiredOrIrqLine(wired)
            return cache[irq]
        return wired[0] if wired else None
