"""Two NICs on one cable (nic_pair_tb): frames queued by DMA on one side land in the other side's host memory.

Host memory is the bench's host_mem_axi slaves (C buffers, nicsim.host_mem): the last tests check that slave
itself: DECERR outside the memory, and a DMA port that never waits for it.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import (
    ClockCycles,
    FallingEdge,
    NextTimeStep,
    ReadOnly,
    ReadWrite,
    RisingEdge,
    Timer,
    ValueChange,
    with_timeout,
)
from cocotb.utils import get_sim_time

from nicdef import regs
from nicdef.desc import tx_desc
from nicsim import host_mem, testing
from nicsim.host_platform import HdlRegisters
from nicsim.nic_harness import NicHarness, start_clock_and_reset, wait_irq, wait_until

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)

MAC_A = bytes.fromhex("02000000000a")
MAC_B = bytes.fromhex("02000000000b")


def frame(dst: bytes, src: bytes, length: int, seed: int) -> bytes:
    return dst + src + b"\x88\xb5" + bytes((i * 13 + seed) & 0xFF for i in range(length - 14))


class WireCount:
    """Counts frames on one direction of the cable (one wake-up per frame)."""

    def __init__(self, en):
        self.frames = 0
        cocotb.start_soon(self._run(en))

    async def _run(self, en) -> None:
        while True:
            await RisingEdge(en)
            self.frames += 1


async def bring_up(dut) -> tuple[NicHarness, NicHarness]:
    # Bus models are made after reset: nic_pair_tb clocks itself from time 0
    # (the design or the simulator main toggles it), and bus models made
    # before then never see reset end.
    await start_clock_and_reset(dut)
    a = NicHarness(dut, "a")
    b = NicHarness(dut, "b")
    await a.setup(MAC_A, 0x1000, 16, 0x2000, 16)
    await b.setup(MAC_B, 0x1000, 16, 0x2000, 16)
    for nic in (a, b):
        await nic.post_rx([0x10000 + 0x800 * i for i in range(8)])
    await wait_link(dut)
    for nic in (a, b):
        await nic.wr("INT_CAUSE", regs.INT_ALL)  # the link coming up raised LINK
    return a, b


async def wait_link(dut, up: bool = True, timeout_us: float = 50) -> None:
    """Wait until both PHYs report the link up (or down)."""
    await wait_until(lambda: int(dut.link_a.value) == up and int(dut.link_b.value) == up, timeout_us, poll_ns=80)


@testing.test()
async def test_the_clock_and_every_trigger_keep_cocotb_time(dut):
    """However the toplevel's clock is made (by the design under Icarus, by the simulator's main loop under
    Verilator, which runs stretches with no callback due without cocotb's per-step work), cocotb's triggers
    behave as on a cocotb Clock: 125 MHz edges at odd multiples of 4 ns, timers to the picosecond, ReadOnly,
    ReadWrite and NextTimeStep in their regions, value changes seen, a write made at a rising edge's time seen by
    the next edge, and a write made in a quiet stretch applied."""
    await start_clock_and_reset(dut)
    await RisingEdge(dut.clk)
    t0 = get_sim_time("ps")
    assert t0 % 8000 == 4000, f"rising edge at {t0} ps, not 4 ns + a multiple of 8 ns"
    await ClockCycles(dut.clk, 1000)
    assert get_sim_time("ps") - t0 == 8_000_000
    await FallingEdge(dut.clk)
    assert get_sim_time("ps") - t0 == 8_004_000

    for delay_ps in (1, 1000, 3999, 4000, 123_457, 2_000_000):  # inside, at and across clock edges
        start = get_sim_time("ps")
        await Timer(delay_ps, unit="ps")
        assert get_sim_time("ps") - start == delay_ps

    await Timer(10_001, unit="ps")  # between edges: the next time step is the next clock edge
    start = get_sim_time("ps")
    await NextTimeStep()
    assert 0 < get_sim_time("ps") - start <= 4000 and get_sim_time("ps") % 4000 == 0

    await RisingEdge(dut.clk)
    await Timer(8000, unit="ps")  # lands on a clock edge: the next time step is the edge after it
    start = get_sim_time("ps")
    await NextTimeStep()
    assert get_sim_time("ps") - start == 4000

    await Timer(50, unit="us")  # a long quiet stretch first
    await RisingEdge(dut.clk)
    await ReadOnly()
    edge = get_sim_time("ps")
    assert int(dut.clk.value) == 1
    await RisingEdge(dut.clk)
    assert get_sim_time("ps") - edge == 8000
    await ReadWrite()
    assert get_sim_time("ps") - edge == 8000  # same step

    # A write made at the time of a rising edge (a Timer that lands on it) is seen by the edge after it, on
    # both simulators, as a nonblocking assignment made at that edge would be: the register master's access
    # takes 4 ns longer, counted from the write, than one written at the falling edge before.
    async def access_time(at_rising: bool) -> int:
        await FallingEdge(dut.clk)
        if at_rising:
            await Timer(4, unit="ns")
        cmd = dut.reg_a_cmd.value  # undriven (z) on Icarus until written
        req = int(cmd) & HdlRegisters.REQ if cmd.is_resolvable else 0
        start = get_sim_time("ps")
        dut.reg_a_cmd.value = (req ^ HdlRegisters.REQ) | regs.REG_INT_THROTTLE << HdlRegisters.ADDR_SHIFT
        await ValueChange(dut.reg_a_ack)
        return get_sim_time("ps") - start

    between, at_edge = await access_time(False), await access_time(True)
    assert at_edge - between == 4000, f"an access written at a rising edge took {at_edge} ps, between edges {between}"

    # a write in a quiet stretch takes effect, and the value change it causes wakes its waiter
    await wait_link(dut, True)
    await Timer(20, unit="us")
    dut.cable_pull.value = 1
    await ValueChange(dut.link_a)
    assert int(dut.link_a.value) == 0
    dut.cable_pull.value = 0
    await wait_link(dut, True, timeout_us=200)


@testing.test()
async def test_register_accesses_of_both_nics_overlap_and_each_completes(dut):
    """The HDL register masters (one write of reg_*_cmd per access, done at a toggle of reg_*_ack): both NICs'
    accesses interleaved at every phase of the clock, each one completes within a microsecond and reads back
    what was written."""
    await start_clock_and_reset(dut)
    a, b = HdlRegisters(dut, "a"), HdlRegisters(dut, "b")

    async def accesses(bus: HdlRegisters, first: int) -> None:
        for i in range(60):
            value = first + i
            await with_timeout(bus.write32(regs.REG_INT_THROTTLE, value), 1, "us")
            assert await with_timeout(bus.read32(regs.REG_INT_THROTTLE), 1, "us") == value
            assert await with_timeout(bus.read32(regs.REG_INT_THROTTLE), 1, "us") == value  # nothing changed
            await Timer(1 + i % 7, "ns")

    tasks = [cocotb.start_soon(accesses(a, 0x100)), cocotb.start_soon(accesses(b, 0x200))]
    for task in tasks:
        await task


@testing.test()
async def test_a_second_bench_takes_the_register_master_as_the_first_left_it(dut):
    """A bench made after another in the same simulation (the next test of a module) finds reg_*_cmd's req
    where the first left it, at 1 after an odd number of accesses and with an access still in flight, with or
    without a reset between: its accesses are its own, none answered by the ack of the one before."""

    async def check(bus: HdlRegisters, first: int) -> None:
        for value in range(first, first + 5):
            await with_timeout(bus.write32(regs.REG_INT_THROTTLE, value), 1, "us")
            assert await with_timeout(bus.read32(regs.REG_INT_THROTTLE), 1, "us") == value

    for reset_between in (False, True):
        await start_clock_and_reset(dut)
        first = HdlRegisters(dut, "a")
        await first.write32(regs.REG_INT_THROTTLE, 0x55)  # req now 1
        left = cocotb.start_soon(first.read32(regs.REG_INT_THROTTLE))  # in flight when its test ends
        await Timer(1, "ns")
        left.cancel()
        if reset_between:
            await start_clock_and_reset(dut)
        await check(HdlRegisters(dut, "a"), 0x300 + 0x10 * reset_between)


@testing.test()
async def test_a_to_b_and_back(dut):
    """A frame sent by A arrives in B's memory with B's RX_DONE interrupt, and B's reply arrives at A."""
    ab = WireCount(dut.wire_ab_en)
    a, b = await bring_up(dut)
    request = frame(MAC_B, MAC_A, 98, 1)
    await a.send([(0x30001, request)])
    await wait_irq(dut.irq_b)
    assert await b.rd("INT_CAUSE") & regs.INT_RX_DONE
    assert await b.recv() == request
    await b.wr("INT_CAUSE", regs.INT_ALL)

    reply = frame(MAC_A, MAC_B, 98, 2)
    await b.send([(0x30003, reply)])
    assert await a.recv() == reply
    assert await a.rd("INT_CAUSE") & (regs.INT_RX_DONE | regs.INT_TX_DONE) == regs.INT_RX_DONE | regs.INT_TX_DONE
    assert ab.frames == 1
    for nic in (a, b):
        stats = await nic.rd_stat()
        assert stats["TX_FRAMES"] == 1 and stats["RX_FRAMES"] == 1
        nic.bursts.check()


@testing.test()
async def test_full_duplex(dut):
    """Both NICs send several frames at once; each side receives all of the other's, in order."""
    a, b = await bring_up(dut)
    sizes = [60, 61, 1514, 200, 64]
    to_b = [frame(MAC_B, MAC_A, n, i) for i, n in enumerate(sizes)]
    to_a = [frame(MAC_A, MAC_B, n, 50 + i) for i, n in enumerate(sizes)]
    for i, (fa, fb) in enumerate(zip(to_b, to_a, strict=True)):
        await a.send([(0x30000 + 0x800 * i + i, fa)], kick=False)
        await b.send([(0x30000 + 0x800 * i + 2 * i, fb)], kick=False)
    await a.wr("TX_TAIL", a.tx_tail)
    await b.wr("TX_TAIL", b.tx_tail)
    for fa, fb in zip(to_b, to_a, strict=True):
        assert await b.recv() == fa
        assert await a.recv() == fb
    for nic in (a, b):
        stats = await nic.rd_stat()
        assert stats["RX_FRAMES"] == len(sizes)
        assert stats["RX_FCS_ERR"] == 0
        nic.bursts.check()


@testing.test()
async def test_dma_beyond_host_memory_gets_decerr(dut):
    """Host memory ends where its size says (1 MiB here), as a real bus does: an RX buffer posted beyond B's
    memory gets DECERR for its write, and B's NIC stops its RX ring with the address in RX_ERR_ADDR and DECERR
    in RX_ERR_INFO (STATUS.RX_STOPPED, DMA_ERR, STAT_DMA_ERR); the bytes where a wrapping memory would have
    written (the address modulo the size) are untouched. A TX buffer beyond A's memory gets DECERR for its read
    the same way (TX_ERR_*), and nothing reaches the wire. The transaction log shows both bursts with DECERR."""
    wire = WireCount(dut.wire_ab_en)
    await start_clock_and_reset(dut)
    a = NicHarness(dut, "a")
    b = NicHarness(dut, "b")
    log = host_mem.DmaLog([a.dma_port, b.dma_port])
    await a.setup(MAC_A, 0x1000, 16, 0x2000, 16)
    await b.setup(MAC_B, 0x1000, 16, 0x2000, 16)
    beyond = b.ram.size + 0x3000
    canary = bytes([0xEE]) * 0x800
    b.ram.write(0x3000, canary)
    await b.post_rx([beyond])
    await wait_link(dut)
    for nic in (a, b):
        await nic.wr("INT_CAUSE", regs.INT_ALL)

    t0 = get_sim_time("ns")
    await a.send([(0x30000, frame(MAC_B, MAC_A, 100, 3))])
    await wait_irq(dut.irq_b)
    await b.expect_stopped("RX", beyond, regs.RX_ERR_INFO_WRITE | (3 << regs.RX_ERR_INFO_RESP_SHIFT))
    assert b.ram.read(0x3000, len(canary)) == canary, "the write wrapped around the memory"

    # a transmit buffer beyond A's memory: only the descriptor is in memory
    a.ram.write(a.tx_desc_addr(a.tx_tail), tx_desc(beyond + 8, 60, regs.TX_DESC_CMD_EOP | regs.TX_DESC_CMD_RS))
    a.tx_tail = (a.tx_tail + 1) % a.tx_len
    await a.wr("INT_CAUSE", regs.INT_ALL)
    await a.wr("TX_TAIL", a.tx_tail)
    await wait_irq(dut.irq_a)
    await a.expect_stopped("TX", beyond + 8, 3 << regs.TX_ERR_INFO_RESP_SHIFT)
    assert wire.frames == 1, "the frame with the bad buffer reached the wire"

    now = get_sim_time("ns")
    txns = log.drain()
    bad = [t for t in txns if t.resp != host_mem.RESP_OKAY]
    assert [(t.port, t.write, t.addr, t.resp_name) for t in bad] == [
        (b.dma_port, True, beyond, "DECERR"), (a.dma_port, False, beyond + 8, "DECERR")], bad
    assert all(t0 <= t.time_ns <= now for t in bad), (t0, bad, now)
    assert [t.time_ns for t in txns] == sorted(t.time_ns for t in txns)
    for nic in (a, b):
        nic.bursts.check()


class StallCount:
    """Per clock, on one NIC's DMA bus: cycles where the NIC offered something (AR, AW, W valid) that the host
    memory did not take, and cycles inside an R burst (after its first beat, before its last) with no beat
    while the NIC was ready. Python per clock: start it only around a short exchange."""

    def __init__(self, dut, side: str):
        self.sig = {n: getattr(dut, f"m_axi_{side}_{n}") for n in (
            "arvalid", "arready", "awvalid", "awready", "wvalid", "wready", "rvalid", "rready", "rlast")}
        self.clk = dut.clk
        self.stalls = {"AR": 0, "AW": 0, "W": 0, "R": 0}
        self.beats = {"R": 0, "W": 0}
        self.task = cocotb.start_soon(self._run())

    async def _run(self) -> None:
        v = self.sig
        in_r = False
        while True:
            await RisingEdge(self.clk)
            await ReadOnly()
            on = {n: int(h.value) if h.value.is_resolvable else 0 for n, h in v.items()}
            for ch in ("ar", "aw", "w"):
                if on[f"{ch}valid"] and not on[f"{ch}ready"]:
                    self.stalls[ch.upper()] += 1
            if on["wvalid"] and on["wready"]:
                self.beats["W"] += 1
            if on["rready"] and not on["rvalid"] and in_r:
                self.stalls["R"] += 1
            if on["rvalid"] and on["rready"]:
                self.beats["R"] += 1
                in_r = not on["rlast"]

    def stop(self) -> None:
        self.task.cancel()


@testing.test()
async def test_host_memory_never_stalls_the_dma(dut):
    """Full throughput from host_mem_axi: while A sends three 1514-byte frames (descriptor reads, buffer reads
    of up to 256 beats, write-backs) and B receives them, no AR, AW or W beat the NICs offer waits a cycle,
    and every R burst's beats come on consecutive clocks."""
    a, b = await bring_up(dut)
    watch = {side: StallCount(dut, side) for side in ("a", "b")}
    frames = [frame(MAC_B, MAC_A, 1514, 20 + i) for i in range(3)]
    for i, f in enumerate(frames):
        await a.send([(0x30000 + 0x800 * i + 5 * i, f)], kick=False)
    await a.wr("TX_TAIL", a.tx_tail)
    for f in frames:
        assert await b.recv() == f
    for w in watch.values():
        w.stop()
    assert watch["a"].beats["R"] >= 3 * 1514 // 8 and watch["b"].beats["W"] >= 3 * 1514 // 8, \
        {s: w.beats for s, w in watch.items()}
    assert all(n == 0 for w in watch.values() for n in w.stalls.values()), {s: w.stalls for s, w in watch.items()}
