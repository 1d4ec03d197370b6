"""The platform interface bound to cocotb: one simulated host whose host
memory serves a NIC's DMA port and whose device is that NIC's AXI4-Lite
register port and interrupt line.

The host memory is the testbench's own (``nic_pair_tb`` has a
``host_mem_axi`` slave on each DMA port, its storage a C buffer:
``nicsim.host_mem``), so the simulator serves every DMA beat without Python.

This is the only place the io-pkt framework meets cocotb. Nothing here wakes
per clock or per DMA beat: a register access is one toggle of the
testbench's HDL AXI-Lite master and one wake-up when it answers, memory
accesses by the driver are direct reads/writes of the C buffer (no simulated
time, as a CPU's cached access would be next to a DMA), interrupt lines are
watched on their rising edges only.
"""

from __future__ import annotations

import cocotb
import cocotb.simulator
from cocotb.triggers import Event as _CocotbEvent
from cocotb.triggers import Lock, NullTrigger, RisingEdge, Timer, ValueChange
from cocotb.utils import get_sim_time

from iopkt.platform.base import Event, HostMemory, IrqLine, Platform, PlatformDevice, RegisterBus, Task
from nicdef import regs as R
from nicsim import host_mem
from nicsim.faults import PortDmaFaults

_steps_per_ns: int | None = None


def now_ns() -> int:
    """Simulated time in whole ns, as ``int(get_sim_time("ns"))`` but from the raw
    step count (no float and unit conversion per call: the event log and the
    DMA checker ask at every register access)."""
    global _steps_per_ns
    if _steps_per_ns is None:
        prec = cocotb.simulator.get_precision()  # 10**prec seconds per step, e.g. -12
        if prec > -9:
            return int(get_sim_time("ns"))
        _steps_per_ns = 10 ** (-9 - prec)
    high, low = cocotb.simulator.get_sim_time()
    return (high << 32 | low) // _steps_per_ns


class CocotbEvent(Event):
    def __init__(self, name: str = ""):
        self._ev = _CocotbEvent()
        self.name = name

    def set(self) -> None:
        self._ev.set()

    def clear(self) -> None:
        self._ev.clear()

    def is_set(self) -> bool:
        return self._ev.is_set()

    def wait(self):
        return self._ev.wait()


class CocotbTask(Task):
    def __init__(self, task):
        self._task = task

    def cancel(self) -> None:
        if not self._task.done():
            self._task.cancel()

    def done(self) -> bool:
        return self._task.done()

    async def join(self):
        return await self._task


class RegisterAccessError(OSError):
    """The NIC answered a register access with SLVERR or DECERR."""


class HdlRegisters(RegisterBus):
    """32-bit register access through the testbench's HDL AXI-Lite master
    (``rtl/tb/axil_reg_master.v``), packed on nic_pair_tb's ports
    ``reg_<side>_cmd`` = {req, we, addr[11:0], wdata[31:0]} and
    ``reg_<side>_rsp`` = {resp[1:0], rdata[31:0]}: an access is one write of
    cmd with req toggled, one wake-up, when ``reg_<side>_ack`` toggles (a
    cocotbext-axi ``AxiLiteMaster`` costs one per clock of the handshake),
    and one read of rsp. Accesses from several coroutines queue
    on a lock, as the bus model's own queue did. A response other than
    OKAY raises :class:`RegisterAccessError` (offset and response named)."""

    REQ = 1 << 45
    WE = 1 << 44
    ADDR_SHIFT = 32
    RESP_SHIFT = 32

    def __init__(self, dut, side: str):
        self._cmd = getattr(dut, f"reg_{side}_cmd")
        self._ack = getattr(dut, f"reg_{side}_ack")
        self._rsp = getattr(dut, f"reg_{side}_rsp")
        self._lock = Lock()
        self._side = side
        # Carry on from whatever req the port holds: a bench made earlier in
        # the same simulation (another test of the module) may have left it
        # at 1, and writing 0 here would start an access nobody awaits, so
        # every later ack would answer the access before it.
        cmd = self._cmd.value
        if cmd.is_resolvable:
            self._req = int(cmd) & self.REQ
        else:
            self._req = 0
            self._cmd.value = 0

    async def _access(self, write: bool, offset: int, value: int = 0) -> int:
        async with self._lock:
            # An access still in flight (started by a bench whose test ended
            # before its ack) completes first: the master takes one at a time.
            while self._ack.value.is_resolvable and int(self._ack.value) * self.REQ != self._req:
                await ValueChange(self._ack)
            self._req ^= self.REQ
            self._cmd.value = (self._req | (self.WE if write else 0) | (offset & 0xFFF) << self.ADDR_SHIFT
                               | (value & 0xFFFFFFFF))
            await ValueChange(self._ack)
            rsp = int(self._rsp.value)
            resp = (rsp >> self.RESP_SHIFT) & 3
            if resp:
                kind = "write" if write else "read"
                raise RegisterAccessError(f"NIC {self._side}: register {kind} at {offset:#05x} answered "
                                          f"{('OKAY', 'EXOKAY', 'SLVERR', 'DECERR')[resp]}")
            return 0 if write else rsp & 0xFFFFFFFF

    async def read32(self, offset: int) -> int:
        return await self._access(False, offset)

    async def write32(self, offset: int, value: int) -> None:
        await self._access(True, offset, value)


class SignalIrqLine(IrqLine):
    """A NIC's interrupt output. Watched on rising edges only (one wake-up per
    interrupt) until someone asks for falls (:meth:`on_fall`, the event log):
    from then on on every change, one more wake-up per interrupt, none per clock."""

    def __init__(self, signal):
        self._sig = signal
        self._callbacks = []
        self._fall_callbacks = []
        self._watcher = None

    @property
    def level(self) -> bool:
        return str(self._sig.value) == "1"

    def on_rise(self, callback) -> None:
        self._callbacks.append(callback)
        self._start()

    def on_fall(self, callback) -> None:
        """Call ``callback()`` each time the line goes from high to low."""
        self._fall_callbacks.append(callback)
        if self._watcher is not None and not self._watcher.done():
            self._watcher.cancel()  # re-armed below on both edges
            self._watcher = None
        self._start()

    def _start(self) -> None:
        if self._watcher is None:
            self._watcher = cocotb.start_soon(self._watch_both() if self._fall_callbacks else self._watch())

    async def _watch(self) -> None:
        while True:
            await RisingEdge(self._sig)
            for cb in list(self._callbacks):
                cb()

    async def _watch_both(self) -> None:
        high = self.level
        while True:
            await ValueChange(self._sig)
            now_high = self.level
            if now_high == high:
                continue  # x/z or a glitch back: no edge
            high = now_high
            for cb in list(self._callbacks if high else self._fall_callbacks):
                cb()


class TappedRegisters(RegisterBus):
    """A device's register bus with observers: each of ``before`` is called
    as ``f(write, offset, value)`` when an access starts (``value`` None for
    a read), each of ``after`` as ``f(write, offset, value)`` once it has
    landed (a read's value then is what the NIC answered). The DMA checker
    and the event log share it: one wrapper per device, whoever watches."""

    def __init__(self, regs: RegisterBus):
        self.inner = regs
        self.before: list = []
        self.after: list = []

    async def read32(self, offset: int) -> int:
        for f in self.before:
            f(False, offset, None)
        value = await self.inner.read32(offset)
        for f in self.after:
            f(False, offset, value)
        return value

    async def write32(self, offset: int, value: int) -> None:
        for f in self.before:
            f(True, offset, value)
        await self.inner.write32(offset, value)
        for f in self.after:
            f(True, offset, value)


class TappedMemory:
    """Observers of the driver's accesses to host memory (``HostMemory.read``
    and ``write``, replaced once on the instance): each of ``before_read`` is
    called as ``f(addr, length)``, each of ``before_write`` as ``f(addr,
    data)``, before the access. Listeners filter cheaply (ring addresses)."""

    def __init__(self, memory):
        self.before_read: list = []
        self.before_write: list = []
        read, write = memory.read, memory.write
        taps = self

        def tapped_read(addr: int, length: int) -> bytes:
            for f in taps.before_read:
                f(addr, length)
            return read(addr, length)

        def tapped_write(addr: int, data: bytes) -> None:
            for f in taps.before_write:
                f(addr, data)
            write(addr, data)

        memory.read, memory.write = tapped_read, tapped_write


# Diagnosis thresholds in simulated time that suit a simulation of a few
# milliseconds (io-pkt's own, iopkt.kern.intr, are for a virtual clock where
# seconds are cheap): a process pass takes microseconds here, so an interrupt
# held back for 200 us with nothing queued to release it is a hang.
SIM_HANG_NS = 200_000
SIM_HANG_POLL_NS = 50_000
SIM_STORM_ENTRIES = 500
SIM_LIVELOCK_PASSES = 10_000


class NicIrqProbe:
    """``props["irq_pending"]`` of a NIC on ``nic_pair_tb``: is an interrupt
    held back in the NIC by its mask? Read from the testbench's wires onto the
    interrupt controller (``int_cause_<side>``, ``int_mask_<side>``,
    ``dma_en_<side>``), not by register reads: a read takes bus time, queues
    behind the driver's accesses, and the hang watch asks from a plain call.
    (INT_CAUSE is write-1-to-clear, not read-to-clear, so a read would not
    disturb it, but it would still be a bus access io-pkt's driver did not make.)

    Pending means: a cause set (INT_CAUSE != 0), every cause masked
    (INT_MASK = 0: the NIC masked whole, as an ISR masking it does) and an
    engine enabled (CTRL.TX_EN or RX_EN: the interface is running, so
    ``ifconfig down``'s mask is not counted), with the line low. A cause
    masked alone is not counted: the driver keeps TX_DONE masked on purpose
    while the ring has room, and the NIC still latches it (datasheet:
    INT_CAUSE latches whatever the mask). Returns a description for the
    diagnosis (truthy) or ''."""

    def __init__(self, dut, side: str, line: SignalIrqLine):
        self._cause = getattr(dut, f"int_cause_{side}")
        self._mask = getattr(dut, f"int_mask_{side}")
        self._en = getattr(dut, f"dma_en_{side}")
        self._line = line

    def __call__(self) -> str:
        try:
            cause, mask, en = int(self._cause.value), int(self._mask.value), int(self._en.value)
        except ValueError:  # x before reset
            return ""
        if not cause or mask or not en or self._line.level:
            return ""
        return f"INT_CAUSE = {format_fields(R.INT_CAUSE_FIELDS, cause)}, INT_MASK = 0"


def format_fields(fields, value: int) -> str:
    """``value`` as its set fields joined by ``|`` (a one-bit field by name, a
    wider one as NAME=n: in decimal up to 11 bits, a count or a code; in hex
    from 12, an ID or a data word, as the datasheet writes them), any bits no
    field covers as hex; ``0`` for none."""
    parts, covered = [], 0
    for f in fields:
        covered |= f.mask
        v = (value & f.mask) >> f.lsb
        if v:
            parts.append(f.name if f.width == 1 else f"{f.name}={v:#x}" if f.width >= 12 else f"{f.name}={v}")
    rest = value & ~covered
    if rest:
        parts.append(f"{rest:#x}")
    return "|".join(parts) or "0"


# the system clock's tick on a simulated host: shorter than QNX's 1 ms so that a driver hooked to it
# (devnp-sam) sees interrupts within the soak's hundreds of microseconds
SYSTEM_CLOCK_NS = 20_000


class CocotbPlatform(Platform):
    """One host: its NIC at ``side`` (``s_axil_<side>``, ``irq_<side>``, and the
    ``host_mem_axi`` slave ``host_mem_<side>_inst`` on its DMA port), on a
    toplevel such as ``nic_pair_tb``.

    ``mem_size``: bytes of host memory (addresses 0..mem_size-1; the NIC gets
    DECERR beyond). ``more`` adds further NICs of the same testbench to this
    host, as (side, mac, irq number): their DMA ports are attached to the
    same memory, as the NICs of one machine share its RAM. NICs given the
    same irq number share one wired-OR line.

    ``memory`` is the io-pkt ``HostMemory``, an allocator over ``ram`` (the
    ``nicsim.host_mem.SharedMemory``); ``dma_ports[i]`` is NIC i's port
    number; ``dma_faults[i]`` injects bus errors into NIC i's DMA port
    (``faults.PortDmaFaults``); ``dma_log()`` reads this host's DMA
    transactions. Raises ``ValueError`` if a side has no ``host_mem_axi`` slave.

    Observers: each device's ``regs`` is a :class:`TappedRegisters` and
    ``memory_taps`` (a :class:`TappedMemory`) sees the driver's host-memory
    accesses; the DMA checker and the event log hang off these. Each NIC
    offers ``props["irq_pending"]`` (:class:`NicIrqProbe`), and io-pkt's
    diagnosis thresholds are simulated-time ones (``SIM_*``): a missed
    unmask, an interrupt storm or a livelock fails the test where it is
    found (``hang_fatal``), its message naming the device and register."""

    hang_ns = SIM_HANG_NS
    hang_poll_ns = SIM_HANG_POLL_NS
    storm_entries = SIM_STORM_ENTRIES
    livelock_passes = SIM_LIVELOCK_PASSES
    hang_fatal = True

    def __init__(self, dut, side: str, mac: bytes, mem_size: int = 4 << 20, irq_number: int = 10,
                 more: tuple[tuple[str, bytes, int], ...] = ()):
        nics = ((side, mac, irq_number), *more)
        for s, _, _ in nics:
            if s not in host_mem.PORTS or not host_mem.in_hdl(dut, s):
                raise ValueError(f"NIC {s!r}: {dut._name} has no host_mem_axi slave host_mem_{s}_inst")
        self.ram = host_mem.SharedMemory(mem_size)
        self.memory = HostMemory(self.ram, mem_size)
        self.dma_ports = [host_mem.PORTS[s] for s, _, _ in nics]
        for port in self.dma_ports:
            self.ram.attach(port)
        self.devices = []
        for s, m, irq in nics:
            line = SignalIrqLine(getattr(dut, f"irq_{s}"))
            props = {"mac": m}
            if hasattr(dut, f"int_cause_{s}"):
                props["irq_pending"] = NicIrqProbe(dut, s, line)
            self.devices.append(PlatformDevice(
                name=f"axi-lite:{s}", regs=TappedRegisters(HdlRegisters(dut, s)), irq=line,
                irq_number=irq, mem_window=(0, 1 << 12), props=props))
        self.sides = [s for s, _, _ in nics]
        self.memory_taps = TappedMemory(self.memory)
        self.dma_faults = [PortDmaFaults(port) for port in self.dma_ports]
        self.irq_lines: dict = {}
        self.qtime = None

    def system_clock(self, irq: int = 0, period_ns: int = SYSTEM_CLOCK_NS):
        """This host's system clock interrupt (``SYSPAGE_ENTRY(qtime)->intr``, what devnp-sam attaches
        to), created on first use: ``iopkt.platform.virtual.SystemClock`` on cocotb timers, ticking every
        ``period_ns`` once the kernel hooks its line (a wake-up per tick, none per clock)."""
        if self.qtime is None:
            from iopkt.platform.virtual import SystemClock

            self.qtime = SystemClock(self, irq, period_ns)
            self.irq_lines[irq] = self.qtime.line
        return self.qtime

    def dma_log(self) -> host_mem.DmaLog:
        """A reader of this host's DMA transactions (all its NICs), from now on."""
        return host_mem.DmaLog(self.dma_ports)

    def now_ns(self) -> int:
        return now_ns()

    def sleep(self, ns: int):
        return Timer(int(ns), "ns") if ns > 0 else NullTrigger()

    def event(self, name: str = "") -> CocotbEvent:
        return CocotbEvent(name)

    def spawn(self, coro, name: str = "") -> CocotbTask:
        return CocotbTask(cocotb.start_soon(coro))
