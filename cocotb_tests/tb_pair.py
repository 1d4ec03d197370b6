"""Two NICs on one cable (nic_pair_tb): frames queued by DMA on one side land in the other side's host memory."""

from __future__ import annotations

import cocotb
from cocotb.triggers import RisingEdge

from nicdef import regs
from nicsim.nic_harness import NicHarness, start_clock_and_reset, wait_irq, wait_until

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
    # Bus models are made after reset: nic_pair_tb clocks itself from time 0,
    # and under Verilator --timing models made before then never leave reset.
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


@cocotb.test()
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


@cocotb.test()
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
