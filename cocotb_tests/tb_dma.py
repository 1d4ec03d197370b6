"""DMA engines of one NIC: buffers at any byte address, 4 KiB boundaries,
scatter-gather, burst splitting, and the AXI4 rules on every burst.

Runs at whatever DATA_WIDTH the toplevel was built with (``PARAMETERS``
below: 64, 128 and 512). Every test ends by checking the log of AR/AW handshakes: INCR,
full-width, at most 256 beats, never across a 4 KiB boundary.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge, Timer
from cocotbext.eth import GmiiFrame

from nicdef import regs
from nicsim import testing
from nicsim.nic_harness import MAC, RX_RING, GmiiBench, wait_until

TOPLEVEL = "nic"  # the HDL toplevel these tests run on (read by nicsim.collect)
# every test at the RTL default bus width (64 bits: the build tb_regs and tb_mac share) and at 128 and 512
PARAMETERS = [{}, {"DATA_WIDTH": 128}, {"DATA_WIDTH": 512}]


def pattern(n: int, seed: int) -> bytes:
    return bytes((i * 131 + seed * 17 + (i >> 8)) & 0xFF for i in range(n))


def frame_for_us(length: int, seed: int) -> bytes:
    """An Ethernet frame addressed to this NIC (the content past the header does not matter to the MAC)."""
    return MAC + bytes.fromhex("020000000002") + b"\x88\xb5" + pattern(length - 14, seed)


@testing.test()
async def test_tx_odd_addresses_and_4k(dut):
    """TX buffers at odd addresses, across 4 KiB boundaries and longer than one 256-beat burst arrive intact."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    cases = [(0x20001, 100), (0x20FFD, 700), (0x31F85, 1514), (0x40800, 3000), (0x43FFF, 64)]
    frames = [frame_for_us(n, seed) for seed, (_, n) in enumerate(cases)]
    for (addr, _), frame in zip(cases, frames, strict=True):
        await nic.send([(addr, frame)], kick=False)
    await nic.wr("TX_TAIL", nic.tx_tail)
    for n, frame in enumerate(frames):
        rx = await tb.sink.recv()
        assert rx.get_payload() == frame, f"frame {n} differs"
        assert rx.check_fcs() and rx.error is None
    stats = await nic.rd_stat()
    assert stats["TX_OCTETS"] == sum(len(f) for f in frames)
    tb.check_bursts(2 * len(frames))
    data_bytes = nic.bursts.data_bytes
    reads = [b for b in nic.bursts.bursts if b.channel == "AR"]
    # the 3000-byte buffer at 0x40800 crosses 4 KiB: more than one burst at any width
    assert sum(1 for b in reads if 0x40800 <= b.addr < 0x40800 + 3000) >= 2
    if data_bytes == 8:
        assert any(b.len == 255 for b in reads), "3000 bytes at 64 bits should need a full 256-beat burst"


@testing.test()
async def test_tx_scatter_gather(dut):
    """A frame made of descriptors of 1, 7 and 100 bytes at odd addresses (one across 4 KiB) goes out as one frame;
    only the RS descriptor is written back; a short scatter-gather frame is padded once, at its end."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    whole = frame_for_us(108, 1)
    parts = [(0x50001, whole[:1]), (0x50FFB, whole[1:8]), (0x52003, whole[8:])]
    descs = await nic.send(parts)
    short = frame_for_us(40, 2)
    descs2 = await nic.send([(0x53005, short[:14]), (0x53107, short[14:40])])
    rx = await tb.sink.recv()
    assert rx.get_payload() == whole and rx.check_fcs()
    rx = await tb.sink.recv()
    assert rx.get_payload() == short + bytes(20) and rx.check_fcs()
    await wait_until(lambda: nic.tx_sta(descs2[-1]) & regs.TX_DESC_STA_DD)
    assert [nic.tx_sta(i) for i in descs] == [0, 0, regs.TX_DESC_STA_DD]
    assert [nic.tx_sta(i) for i in descs2] == [0, regs.TX_DESC_STA_DD]
    # LEN and CMD survive the write-back
    raw = nic.ram.read(nic.tx_desc_addr(descs[2]), regs.DESC_SIZE)
    assert int.from_bytes(raw[regs.TX_DESC_LEN_OFF:regs.TX_DESC_LEN_OFF + 2], "little") == 100
    assert raw[regs.TX_DESC_CMD_OFF] == regs.TX_DESC_CMD_EOP | regs.TX_DESC_CMD_RS
    stats = await nic.rd_stat()
    assert stats["TX_FRAMES"] == 2
    assert stats["TX_OCTETS"] == 108 + 40
    tb.check_bursts(5)


async def stall_w(dut, ram) -> None:
    """Host memory that back-pressures W: at each AW handshake it holds WREADY low for 5 clocks, lets 3 beats
    through, then holds it again for 4 (a few wakes per burst, not one a clock)."""
    w = ram.write_if.w_channel
    while True:
        await RisingEdge(dut.clk)
        if not dut.m_axi_awvalid.value:
            await RisingEdge(dut.m_axi_awvalid)
        w.pause = True
        await ClockCycles(dut.clk, 5)
        w.pause = False
        await ClockCycles(dut.clk, 3)
        w.pause = True
        await ClockCycles(dut.clk, 4)
        w.pause = False


@testing.test()
async def test_rx_odd_addresses_and_4k(dut):
    """RX buffers at odd addresses and across 4 KiB boundaries receive exactly the frame: every other byte of
    memory (canary-filled first) is untouched, and only the upper 8 bytes of each descriptor are written back."""
    await rx_odd_addresses(dut, stalled=False)


@testing.test()
async def test_rx_odd_addresses_w_backpressure(dut):
    """As test_rx_odd_addresses_and_4k with host memory that holds WREADY low at the start and in the middle
    of every write burst (AXI4 A3.2.1: a master keeps WVALID and the beat until WREADY): the same bytes land,
    nothing else is touched."""
    await rx_odd_addresses(dut, stalled=True)


async def rx_odd_addresses(dut, stalled: bool) -> None:
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    if stalled:
        cocotb.start_soon(stall_w(dut, nic.ram))
    await nic.wr("RX_BUF_SIZE", 4096)
    await nic.wr("MAX_FRAME_LEN", 9018)
    region, region_len = 0x60000, 0x10000
    canary = pattern(region_len, 99)
    nic.ram.write(region, canary)
    cases = [(0x60003, 60), (0x61FFD, 200), (0x63F81, 1514), (0x66801, 3000), (0x68FFF, 61), (0x69001, 1000)]
    await nic.post_rx([addr for addr, _ in cases])
    ring_before = nic.ram.read(RX_RING, regs.DESC_SIZE * len(cases))
    frames = [frame_for_us(n, seed) for seed, (_, n) in enumerate(cases)]
    for frame in frames:
        await tb.source.send(GmiiFrame.from_payload(frame))
    for n, frame in enumerate(frames):
        assert await nic.recv(timeout_us=400) == frame, f"frame {n} differs"

    expect = bytearray(canary)
    for (addr, _), frame in zip(cases, frames, strict=True):
        expect[addr - region:addr - region + len(frame)] = frame
    got = nic.ram.read(region, region_len)
    if got != bytes(expect):
        bad = [hex(region + i) for i in range(region_len) if got[i] != expect[i]]
        raise AssertionError(f"{len(bad)} bytes differ, first at {bad[:8]}")
    ring_after = nic.ram.read(RX_RING, regs.DESC_SIZE * len(cases))
    for i, (_, n) in enumerate(cases):
        before = ring_before[i * 16:(i + 1) * 16]
        after = ring_after[i * 16:(i + 1) * 16]
        assert after[:8] == before[:8], "ADDR must not be written back"
        assert int.from_bytes(after[regs.RX_DESC_LEN_OFF:regs.RX_DESC_LEN_OFF + 2], "little") == n
        assert after[regs.RX_DESC_STA_OFF] == regs.RX_DESC_STA_DD | regs.RX_DESC_STA_EOP
    assert nic.ram.read(RX_RING + 16 * len(cases), 16) == bytes(16), "descriptor past TAIL written"
    stats = await nic.rd_stat()
    assert stats["RX_OCTETS"] == sum(n for _, n in cases)
    tb.check_bursts(3 * len(cases))
    writes = [b for b in nic.bursts.bursts if b.channel == "AW"]
    assert sum(1 for b in writes if 0x66800 <= b.addr < 0x66801 + 3000) >= 2


@testing.test()
async def test_tx_rx_ring_wrap(dut):
    """Both rings wrap: more frames than descriptors, sent in batches the ring can hold."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    await nic.wr("TX_LEN", 4)
    await nic.wr("RX_LEN", 4)
    nic.tx_len = nic.rx_len = 4
    nic.tx_tail = nic.rx_tail = nic.rx_next = 0
    await nic.wr("TX_TAIL", 0)
    await nic.wr("RX_TAIL", 0)
    for batch in range(3):
        await nic.post_rx([0x70000 + 0x800 * i + batch for i in range(3)])
        frames = [frame_for_us(64 + 3 * i, batch * 4 + i) for i in range(3)]
        for i, frame in enumerate(frames):
            await nic.send([(0x78000 + 0x800 * i + batch, frame)], kick=False)
        await nic.wr("TX_TAIL", nic.tx_tail)
        for frame in frames:
            rx = await tb.sink.recv()
            assert rx.get_payload() == frame
            await tb.source.send(GmiiFrame.from_payload(frame))
        for frame in frames:
            assert await nic.recv() == frame
    await Timer(1, unit="us")
    assert await nic.rd("TX_HEAD") == nic.tx_tail == 9 % 4
    assert await nic.rd("RX_HEAD") == nic.rx_tail == 9 % 4
    tb.check_bursts(9 * 5)
