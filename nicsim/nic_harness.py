"""Shared cocotb-side helpers for the NIC testbenches (imported by tb_*.py).

A :class:`NicHarness` wraps one NIC's buses: an ``AxiLiteMaster`` on the
register slave, host memory on the DMA master, and a log of every DMA burst.
On toplevel ``nic`` the host memory is cocotbext-axi's ``AxiRam`` with an
address decoder (``nicsim.decoding_ram.DecodingAxiRam``: DECERR past its end) and an
:class:`AxiBurstLog` watches the address handshakes; on ``nic_pair_tb``
(``side`` "a" or "b") it is the testbench's ``host_mem_axi`` slave, a C
buffer (``nicsim.host_mem.SharedMemory``, the same ``read``/``write``), and
:class:`HostMemBurstLog` reads the C transaction log. Register names,
offsets, fields and descriptor layouts all come from ``nicdef.regs``.
A :class:`GmiiBench` adds cocotbext-eth GMII models to one NIC (toplevel ``nic``).
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, First, RisingEdge, Timer
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster
from cocotbext.eth import GmiiFrame, GmiiSink, GmiiSource

from nicdef import regs
from nicdef.desc import decode, rx_desc, tx_desc
from nicsim import artifacts, host_mem
from nicsim import event_log as _event_log
from nicsim.decoding_ram import DecodingAxiRam
from nicsim.host_platform import SignalIrqLine
from nicsim.pcap import record_gmii

# cocotbext-axi/-eth 0.1.28 use APIs cocotb 2.1 deprecates; not ours to fix
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"cocotbext\.")

REG = {r.name: r.offset for r in regs.REGISTERS}
REG_BY_NAME = {r.name: r for r in regs.REGISTERS}
CLK_NS = 8  # 125 MHz

# GmiiBench's NIC: station address, rings (16 descriptors each), first RX buffer
MAC = bytes.fromhex("020000000001")
TX_RING, RX_RING = 0x1000, 0x2000
RX_BUF0 = 0x10000

TX_EOP = regs.TX_DESC_CMD_EOP
TX_RS = regs.TX_DESC_CMD_RS


async def start_clock_and_reset(dut, cycles: int = 10) -> None:
    """Start the 125 MHz clock (unless the toplevel's clock already runs:
    ``clock_running``, made by the design or the simulator's main) and hold the
    synchronous reset for a few cycles."""
    if not hasattr(dut, "clock_running"):
        Clock(dut.clk, CLK_NS, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, cycles)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)


@dataclass
class RxStatus:
    addr: int
    length: int
    sta: int

    csum: int = 0

    @property
    def done(self) -> bool:
        return bool(self.sta & regs.RX_DESC_STA_DD)


@dataclass
class Burst:
    channel: str  # "AR" or "AW"
    addr: int
    len: int
    size: int
    burst: int
    time_ns: int


class AxiBurstLog:
    """Records every AR and AW handshake of an AXI4 master port.

    Sleeps until a valid rises, then looks at clock edges only while it stays
    high, so an idle bus costs no Python wake-ups.
    """

    def __init__(self, dut, prefix: str):
        self.clk = dut.clk
        self.bursts: list[Burst] = []
        self.data_bytes = len(getattr(dut, f"{prefix}_wdata")) // 8
        for ch in ("ar", "aw"):
            sig = {n: getattr(dut, f"{prefix}_{ch}{n}") for n in ("valid", "ready", "addr", "len", "size", "burst")}
            cocotb.start_soon(self._watch(ch.upper(), sig))

    async def _watch(self, channel: str, sig: dict) -> None:
        while True:
            if not sig["valid"].value.is_resolvable or not int(sig["valid"].value):
                await RisingEdge(sig["valid"])
            await RisingEdge(self.clk)
            if int(sig["valid"].value) and int(sig["ready"].value):
                self.bursts.append(Burst(channel, int(sig["addr"].value), int(sig["len"].value),
                                         int(sig["size"].value), int(sig["burst"].value),
                                         cocotb.utils.get_sim_time("ns")))

    def check(self) -> None:
        """AXI4 rules the DMA must keep: INCR, full width, <= 256 beats, no 4 KiB crossing."""
        check_bursts(self.bursts, self.data_bytes)


def check_bursts(bursts: list[Burst], data_bytes: int) -> None:
    """Assert the AXI4 rules the DMA must keep on every burst: INCR, full bus
    width (``data_bytes`` per beat), <= 256 beats, bus-aligned, no 4 KiB crossing."""
    for b in bursts:
        assert b.burst == 1, f"{b}: not INCR"
        assert 1 << b.size == data_bytes, f"{b}: size is not the bus width"
        assert b.len <= 255, f"{b}: more than 256 beats"
        assert b.addr % data_bytes == 0, f"{b}: address not aligned to the bus width"
        last = b.addr + (b.len + 1) * data_bytes - 1
        assert b.addr // 4096 == last // 4096, f"{b}: crosses a 4 KiB boundary"


class HostMemBurstLog:
    """:class:`AxiBurstLog`'s records for a ``host_mem_axi`` port, taken from
    the C transaction log (``nicsim.host_mem.DmaLog``) when ``bursts`` is
    read: no Python runs while the NIC moves data."""

    def __init__(self, port: int, data_bytes: int):
        self.data_bytes = data_bytes
        self._log = host_mem.DmaLog([port])
        self._bursts: list[Burst] = []

    @property
    def bursts(self) -> list[Burst]:
        """Every burst since this log was made, oldest first ("AR" reads, "AW" writes)."""
        for t in self._log.drain():
            self._bursts.append(Burst("AW" if t.write else "AR", t.addr, t.beats - 1, t.size.bit_length() - 1,
                                      t.burst, t.time_ns))
        return self._bursts

    def check(self) -> None:
        """AXI4 rules the DMA must keep: INCR, full width, <= 256 beats, no 4 KiB crossing."""
        check_bursts(self.bursts, self.data_bytes)


def quiet_models(dut, *prefixes: str) -> None:
    """Keep the bus models' INFO lines (their banner, and a line per access
    or burst with raw offsets) out of the log: the cocotbext-axi/-eth model on
    the signals ``<prefix>...`` of ``dut`` logs as ``cocotb.<dut>.<prefix>``,
    set here to WARNING. They cost time too. ``VERBOSE=1`` in the
    environment (passed to the simulation) leaves them at INFO."""
    level = logging.INFO if os.environ.get("VERBOSE", "0") not in ("", "0") else logging.WARNING
    for prefix in prefixes:
        logging.getLogger(f"cocotb.{dut._name}.{prefix}").setLevel(level)


class NicHarness:
    """One NIC seen from the host: registers, memory and the ring bookkeeping a driver would keep.

    ``ram`` is its host memory (``read(addr, n)``, ``write(addr, data)``, no
    simulated time), ``mem_size`` bytes: a ``DecodingAxiRam`` on toplevel ``nic``,
    the ``host_mem_axi`` C buffer on ``nic_pair_tb`` (``dma_port`` is then its
    port number; None for ``DecodingAxiRam``). ``bursts`` logs every DMA burst.
    ``events``: the register and interrupt log of its ``rd``/``wr`` accesses
    and its line's edges (``nicsim.event_log``; None when ``event_log`` is
    False, or None and ``NICSIM_EVENT_LOG=0``); ``write_artifacts`` writes it."""

    def __init__(self, dut, side: str = "", mem_size: int = 1 << 20, event_log: bool | None = None):
        sfx = f"_{side}" if side else ""
        quiet_models(dut, f"s_axil{sfx}", f"m_axi{sfx}")
        self.dut = dut
        self.clk = dut.clk
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, f"s_axil{sfx}"), dut.clk, dut.rst)
        if side and host_mem.in_hdl(dut, side):
            # nic_pair_tb: the testbench's own slave serves the DMA port from a C buffer
            self.ram = host_mem.SharedMemory(mem_size)
            self.ram.attach(host_mem.PORTS[side])
            self.dma_port = host_mem.PORTS[side]
            self.bursts = HostMemBurstLog(self.dma_port, len(getattr(dut, f"m_axi{sfx}_wdata")) // 8)
        else:
            # AxiRam would wrap addresses past its end; this one answers DECERR, as a real bus does
            self.ram = DecodingAxiRam(AxiBus.from_prefix(dut, f"m_axi{sfx}"), dut.clk, dut.rst, size=mem_size)
            self.dma_port = None
            self.bursts = AxiBurstLog(dut, f"m_axi{sfx}")
        self.irq = getattr(dut, f"irq{sfx}")
        if event_log is None:
            event_log = _event_log.enabled_by_default()
        self.events = None
        self._name = f"nic{sfx}"
        if event_log:
            self.events = _event_log.EventLog(lambda: int(get_sim_time("ns")))
            line = SignalIrqLine(self.irq)
            line.on_rise(lambda: self.events.irq_edge("bench", self._name, True))
            line.on_fall(lambda: self.events.irq_edge("bench", self._name, False))
        folder = artifacts.folder()
        if folder is not None:
            artifacts.on_test_end(lambda error: self.write_artifacts(folder, error))
        if not side:
            # a lone NIC has no PHY: no link, MDIO line pulled up
            dut.phy_link_up.value = 0
            dut.mdio_i.value = 1
        self.tx_base = self.tx_len = self.tx_tail = 0
        self.rx_base = self.rx_len = self.rx_tail = 0
        self.rx_next = 0  # next RX descriptor the driver expects to complete

    # registers
    async def rd(self, name: str) -> int:
        value = await self.axil.read_dword(REG[name])
        if self.events is not None:
            self.events.register("bench", self._name, False, REG[name], value)
        return value

    async def wr(self, name: str, value: int) -> None:
        await self.axil.write_dword(REG[name], value)
        if self.events is not None:
            self.events.register("bench", self._name, True, REG[name], value)

    def write_artifacts(self, folder: Path | str, error: BaseException | None = None) -> list[Path]:
        """Write ``events.log`` (``events-nic_<side>.log`` for a NIC of ``nic_pair_tb``: a test may drive
        both) when the log is on and, when the test failed, ``diagnosis.txt`` (the error: a bench without
        io-pkt has no diagnoses of its own) into ``folder``; returns the paths. Called at the end of every
        test with the test's artifact folder (``nicsim.artifacts``) and its error."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        if self.events is not None:
            name = "events.log" if self._name == "nic" else f"events-{self._name}.log"
            written.append(self.events.write(folder / name))
        if error is not None:
            diag = folder / "diagnosis.txt"
            diag.write_text(f"# the test failed: {type(error).__name__}\n{error}\n")
            written.append(diag)
        return written

    async def rd_stat(self) -> dict[str, int]:
        return {r.name[5:]: await self.rd(r.name) for r in regs.REGISTERS if r.name.startswith("STAT_")}

    async def expect_stopped(self, side: str, addr: int, info: int, dma_errors: int = 1) -> None:
        """Assert ring ``side`` ("TX" or "RX") stopped on an error as the datasheet's *DMA errors* gives
        it: STATUS.*_STOPPED, INT_CAUSE.DMA_ERR, ``dma_errors`` in STAT_DMA_ERR, the engine's and the
        shared latches holding ``addr`` (64 bits) and ``info`` (the ring's *_ERR_INFO value).
        Raises ``AssertionError`` naming the register that differs."""
        assert await self.rd("STATUS") & getattr(regs, f"STATUS_{side}_STOPPED"), f"{side} ring not stopped"
        assert await self.rd("INT_CAUSE") & regs.INT_DMA_ERR
        assert (await self.rd_stat())["DMA_ERR"] == dma_errors
        got = await self.rd(f"{side}_ERR_ADDR_LO") | await self.rd(f"{side}_ERR_ADDR_HI") << 32
        assert got == addr, f"{side}_ERR_ADDR {got:#x}, want {addr:#x}"
        got = await self.rd(f"{side}_ERR_INFO")
        assert got == info, f"{side}_ERR_INFO {got:#x}, want {info:#x}"
        shared = await self.rd("DMA_ERR_ADDR_LO") | await self.rd("DMA_ERR_ADDR_HI") << 32
        assert shared == addr, f"DMA_ERR_ADDR {shared:#x}, want {addr:#x}"
        engine = regs.DMA_ERR_INFO_TX if side == "TX" else regs.DMA_ERR_INFO_RX
        assert await self.rd("DMA_ERR_INFO") == engine | info  # the same bit positions for WRITE, RESP, CAUSE

    # bring-up
    async def setup(self, mac: bytes, tx_base: int, tx_len: int, rx_base: int, rx_len: int,
                    irq_mask: int = regs.INT_ALL, enable: bool = True) -> None:
        self.tx_base, self.tx_len, self.tx_tail = tx_base, tx_len, 0
        self.rx_base, self.rx_len, self.rx_tail, self.rx_next = rx_base, rx_len, 0, 0
        await self.wr("MAC_LO", int.from_bytes(mac[0:4], "little"))
        await self.wr("MAC_HI", int.from_bytes(mac[4:6], "little"))
        for side, base, length in (("TX", tx_base, tx_len), ("RX", rx_base, rx_len)):
            self.ram.write(base, bytes(regs.DESC_SIZE * length))
            await self.wr(f"{side}_BASE_LO", base & 0xFFFFFFFF)
            await self.wr(f"{side}_BASE_HI", base >> 32)
            await self.wr(f"{side}_LEN", length)
            await self.wr(f"{side}_TAIL", 0)
        await self.wr("INT_MASK_SET", irq_mask)
        if enable:
            await self.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)

    # MDIO (clause 22) through MDIO_CMD
    async def mdio(self, op: int, phy: int, reg: int, data: int = 0, timeout_us: float = 200) -> int:
        await self.wr("MDIO_CMD", (op << regs.MDIO_CMD_OP_SHIFT) | (phy << regs.MDIO_CMD_PHY_SHIFT)
                      | (reg << regs.MDIO_CMD_REG_SHIFT) | data)
        waited = 0.0
        while (val := await self.rd("MDIO_CMD")) & regs.MDIO_CMD_BUSY:
            assert waited < timeout_us, "MDIO transaction did not finish"
            await Timer(500, unit="ns")
            waited += 0.5
        return val & regs.MDIO_CMD_DATA

    async def mdio_read(self, reg: int, phy: int = 1) -> int:
        return await self.mdio(regs.MDIO_OP_READ, phy, reg)

    async def mdio_write(self, reg: int, data: int, phy: int = 1) -> None:
        await self.mdio(regs.MDIO_OP_WRITE, phy, reg, data)

    # transmit
    def tx_desc_addr(self, idx: int) -> int:
        return self.tx_base + regs.DESC_SIZE * idx

    async def send(self, buffers: list[tuple[int, bytes]], rs: bool = True, kick: bool = True) -> list[int]:
        """Queue one frame made of (address, bytes) buffers; returns the descriptor indexes used."""
        used = []
        for n, (addr, data) in enumerate(buffers):
            self.ram.write(addr, data)
            last = n == len(buffers) - 1
            cmd = (TX_EOP | (TX_RS if rs else 0)) if last else 0
            self.ram.write(self.tx_desc_addr(self.tx_tail), tx_desc(addr, len(data), cmd))
            used.append(self.tx_tail)
            self.tx_tail = (self.tx_tail + 1) % self.tx_len
        if kick:
            await self.wr("TX_TAIL", self.tx_tail)
        return used

    def tx_sta(self, idx: int) -> int:
        return self.ram.read(self.tx_desc_addr(idx) + regs.TX_DESC_STA_OFF, 1)[0]

    # receive
    def rx_desc_addr(self, idx: int) -> int:
        return self.rx_base + regs.DESC_SIZE * idx

    async def post_rx(self, addrs: list[int]) -> None:
        for addr in addrs:
            self.ram.write(self.rx_desc_addr(self.rx_tail), rx_desc(addr))
            self.rx_tail = (self.rx_tail + 1) % self.rx_len
        await self.wr("RX_TAIL", self.rx_tail)

    def rx_status(self, idx: int) -> RxStatus:
        raw = self.ram.read(self.rx_desc_addr(idx), regs.DESC_SIZE)
        d = decode(regs.RX_DESC, raw)
        addr, length = d["ADDR"], d["LEN"]
        return RxStatus(addr, length, raw[regs.RX_DESC_STA_OFF], raw[regs.RX_DESC_CSUM_OFF])

    async def recv(self, timeout_us: float = 200) -> bytes:
        """Wait for the next RX descriptor to complete and return its frame."""
        idx = self.rx_next
        await self._wait_rx(idx, timeout_us)
        st = self.rx_status(idx)
        assert st.sta == regs.RX_DESC_STA_DD | regs.RX_DESC_STA_EOP, f"RX STA {st.sta:#x}"
        self.rx_next = (idx + 1) % self.rx_len
        self.last_rx = st
        return self.ram.read(st.addr, st.length)

    async def _wait_rx(self, idx: int, timeout_us: float) -> None:
        """Wait for RX[idx]'s write-back; on a timeout fail naming the descriptor and every receive
        counter of the NIC that is not 0 (where the frame went: STAT_RX_FCS_ERR, STAT_RX_FILTERED, ...)."""
        try:
            await wait_until(lambda: self.rx_status(idx).done, timeout_us)
        except AssertionError:
            stats = {k: v for k, v in (await self.rd_stat()).items() if k.startswith("RX_") and v}
            counted = ", ".join(f"STAT_{k} = {v}" for k, v in stats.items()) or "every STAT_RX_* counter 0"
            raise AssertionError(f"RX[{idx}] not written back (DD) within {timeout_us} us; the NIC's receive "
                                 f"counters: {counted}") from None

    async def recv_multi(self, timeout_us: float = 400) -> tuple[bytes, list[RxStatus]]:
        """Wait for a frame that may span several descriptors; returns it and each descriptor's status."""
        parts, sts = [], []
        while True:
            idx = self.rx_next
            await self._wait_rx(idx, timeout_us)
            st = self.rx_status(idx)
            sts.append(st)
            parts.append(self.ram.read(st.addr, st.length))
            self.rx_next = (idx + 1) % self.rx_len
            if st.sta & regs.RX_DESC_STA_EOP:
                return b"".join(parts), sts


async def wait_until(predicate, timeout_us: float = 200, poll_ns: int = 400) -> None:
    """Poll a backdoor condition every poll_ns of simulated time (cheap: no per-cycle wake-ups)."""
    waited = 0
    while not predicate():
        assert waited < timeout_us * 1000, "timed out"
        await Timer(poll_ns, unit="ns")
        waited += poll_ns


async def wait_irq(irq, timeout_us: float = 200) -> None:
    """Wait until an interrupt line is high."""
    if irq.value.is_resolvable and int(irq.value):
        return
    timeout = Timer(timeout_us, unit="us")
    result = await First(RisingEdge(irq), timeout)
    assert result is not timeout, "interrupt did not fire"


def tie_off_gmii_rx(dut) -> None:
    """Idle the receive side of a single NIC that has no GMII source attached."""
    dut.gmii_rxd.value = 0
    dut.gmii_rx_dv.value = 0
    dut.gmii_rx_er.value = 0


class GmiiBench:
    """One NIC (toplevel ``nic``) on GMII: a GmiiSource on its receive pins, a
    GmiiSink on its transmit pins, ``phy_link_up`` high (tests may drop it), and
    a :class:`NicHarness` for the host side. With ``NICSIM_ARTIFACTS`` set, every
    frame either model carries goes to a pcap there (:func:`nicsim.pcap.record_gmii`)."""

    def __init__(self, dut):
        self.dut = dut
        quiet_models(dut, "gmii_rxd", "gmii_txd")
        self.nic = NicHarness(dut)
        # the models stand for a PHY with its link up: without it the MAC sends nothing
        dut.phy_link_up.value = 1
        self.source = GmiiSource(dut.gmii_rxd, dut.gmii_rx_er, dut.gmii_rx_dv, dut.clk, dut.rst)
        self.sink = GmiiSink(dut.gmii_txd, dut.gmii_tx_er, dut.gmii_tx_en, dut.clk, dut.rst)
        # wire-to-nic.pcap and wire-from-nic.pcap in $NICSIM_ARTIFACTS (nothing when it is unset)
        self.wires = record_gmii(self.source, self.sink)

    async def start(self, rx_buffers: int = 8, buf_stride: int = 0x800) -> NicHarness:
        """Clock, reset, both rings set up for MAC, and rx_buffers RX buffers posted from RX_BUF0."""
        await start_clock_and_reset(self.dut)
        await self.nic.setup(MAC, TX_RING, 16, RX_RING, 16)
        if rx_buffers:
            await self.nic.post_rx([RX_BUF0 + buf_stride * i for i in range(rx_buffers)])
        return self.nic

    async def inject(self, frame: bytes | GmiiFrame) -> None:
        """Send one frame (bytes get preamble and FCS added) and give the NIC time to finish with it
        (FCS check, drop or DMA)."""
        if not isinstance(frame, GmiiFrame):
            frame = GmiiFrame.from_payload(frame)
        await self.source.send(frame)
        await self.source.wait()
        await Timer(1, unit="us")

    def check_bursts(self, min_count: int) -> None:
        """Every DMA burst so far kept the AXI4 rules, and there were at least min_count of them."""
        self.nic.bursts.check()
        assert len(self.nic.bursts.bursts) >= min_count
