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
from cocotb.triggers import Event as _CocotbEvent
from cocotb.triggers import Lock, NullTrigger, RisingEdge, Timer, ValueChange
from cocotb.utils import get_sim_time

from iopkt.platform.base import Event, HostMemory, IrqLine, Platform, PlatformDevice, RegisterBus, Task
from nicsim import host_mem
from nicsim.faults import PortDmaFaults


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
    def __init__(self, signal):
        self._sig = signal
        self._callbacks = []
        self._watcher = None

    @property
    def level(self) -> bool:
        return str(self._sig.value) == "1"

    def on_rise(self, callback) -> None:
        self._callbacks.append(callback)
        if self._watcher is None:
            self._watcher = cocotb.start_soon(self._watch())

    async def _watch(self) -> None:
        while True:
            await RisingEdge(self._sig)
            for cb in list(self._callbacks):
                cb()


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
    transactions. Raises ``ValueError`` if a side has no ``host_mem_axi`` slave."""

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
            self.devices.append(PlatformDevice(
                name=f"axi-lite:{s}", regs=HdlRegisters(dut, s), irq=SignalIrqLine(getattr(dut, f"irq_{s}")),
                irq_number=irq, mem_window=(0, 1 << 12), props={"mac": m}))
        self.dma_faults = [PortDmaFaults(port) for port in self.dma_ports]

    def dma_log(self) -> host_mem.DmaLog:
        """A reader of this host's DMA transactions (all its NICs), from now on."""
        return host_mem.DmaLog(self.dma_ports)

    def now_ns(self) -> int:
        return int(get_sim_time("ns"))

    def sleep(self, ns: int):
        return Timer(int(ns), "ns") if ns > 0 else NullTrigger()

    def event(self, name: str = "") -> CocotbEvent:
        return CocotbEvent(name)

    def spawn(self, coro, name: str = "") -> CocotbTask:
        return CocotbTask(cocotb.start_soon(coro))
