"""What the NIC does with a driver's ring and descriptor programming outside the
legal range (toplevel ``nic``): TAIL at or beyond LEN in either order of
writing, LEN 0 and 1, unaligned ring bases, zero-length and over-long TX
descriptors, reserved bits, RX_BUF_SIZE extremes, and ring or buffer addresses
the DMA bus (ADDR_WIDTH = 32 bits) cannot carry.

The oracle is the datasheet (docs/datasheet.md, *Ring and descriptor rules*)
and the legal ranges in docs/registers.md: the NIC never touches a descriptor
outside HEAD..TAIL, never sends a frame it did not count, never gives DD to a
frame it refused, and never makes a bus access to an address it cannot carry;
a refused descriptor or address stops the ring as a DMA error does, with
``*_ERR_INFO.CAUSE`` naming why. Frames are built with scapy; the wire is
watched by cocotbext-eth's GMII sink.
"""

from __future__ import annotations

import struct
import zlib

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, Timer, with_timeout
from cocotbext.eth import GmiiFrame
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from nicdef import regs
from nicdef.desc import encode, rx_desc, tx_desc
from nicsim import testing
from nicsim.faults import DmaFaults
from nicsim.nic_harness import MAC, RX_BUF0, RX_RING, TX_RING, GmiiBench, start_clock_and_reset

TOPLEVEL = "nic"  # the HDL toplevel these tests run on (read by nicsim.collect)

MAC_STR = "02:00:00:00:00:01"
PEER_STR = "02:00:00:00:00:02"
EOP, RS = regs.TX_DESC_CMD_EOP, regs.TX_DESC_CMD_RS
BUS_LIMIT = 1 << 32  # rtl/nic.v's default ADDR_WIDTH


def frame(dst: str, n: int, seed: int = 0) -> bytes:
    """An Ethernet frame of n bytes (no FCS) to dst."""
    body = bytes((i * 5 + seed * 11 + 1) & 0xFF for i in range(n - 14))
    return bytes(Ether(dst=dst, src=PEER_STR, type=0x88B5) / Raw(body))


def cause(info: int) -> int:
    return (info & regs.TX_ERR_INFO_CAUSE) >> regs.TX_ERR_INFO_CAUSE_SHIFT


async def start(dut, tx_len: int = 16, rx_len: int = 16) -> tuple[GmiiBench, object]:
    """A NIC with rings of the given lengths, both engines on, no RX buffer posted."""
    tb = GmiiBench(dut)
    await start_clock_and_reset(tb.dut)
    await tb.nic.setup(MAC, TX_RING, tx_len, RX_RING, rx_len)
    return tb, tb.nic


async def frames_on_wire(tb: GmiiBench, us: float) -> list[bytes]:
    """Every frame the MAC sent within the next ``us`` microseconds."""
    await Timer(us, unit="us")
    out = []
    while not tb.sink.empty():
        out.append((await tb.sink.recv()).get_payload())
    return out


# ----------------------------------------------------------------- ring registers


@testing.test()
async def test_tx_tail_at_or_beyond_len_hands_over_nothing(dut):
    """TX_LEN 2 with both descriptors valid and TX_TAIL 2 (= LEN), or 7: the NIC fetches no descriptor and sends
    nothing (HEAD stays 0, no DD); TAIL 1 then sends exactly the one frame. LEN shrunk below a TAIL already
    written (LEN 4, TAIL 3, then LEN 2) hands over nothing either. LEN 0 and LEN 1 (TAIL 0) leave the ring idle.
    BASE_LO bits 3:0 read 0 (descriptors are 16-byte aligned)."""
    tb, nic = await start(dut, tx_len=2)
    frames = [frame(PEER_STR, 80, i) for i in range(2)]
    for i, f in enumerate(frames):
        nic.ram.write(0x40000 + 0x1000 * i, f)
        nic.ram.write(nic.tx_desc_addr(i), tx_desc(0x40000 + 0x1000 * i, len(f), EOP | RS))
    for tail in (2, 7, 0xFFFF):
        await nic.wr("TX_TAIL", tail)
        assert await frames_on_wire(tb, 10) == [], f"TAIL {tail} >= LEN 2 must hand the NIC nothing"
        assert await nic.rd("TX_HEAD") == 0 and nic.tx_sta(0) == 0 and nic.tx_sta(1) == 0
    await nic.wr("TX_TAIL", 1)
    assert await frames_on_wire(tb, 10) == [frames[0]]
    assert await nic.rd("TX_HEAD") == 1 and nic.tx_sta(0) & regs.TX_DESC_STA_DD and nic.tx_sta(1) == 0
    assert (await nic.rd_stat())["TX_FRAMES"] == 1

    # LEN shrunk below a TAIL written for the longer ring (TX_EN clear meanwhile, so only the end state counts)
    await nic.wr("CTRL", regs.CTRL_RX_EN)
    await nic.wr("TX_LEN", 4)
    await nic.wr("TX_TAIL", 3)  # descriptors 0..2: only 0 and 1 are built, 2 is zero (LEN 0, no EOP)
    await nic.wr("TX_LEN", 2)
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    assert await frames_on_wire(tb, 10) == []
    assert await nic.rd("TX_HEAD") == 0
    for length, tail in ((0, 1), (1, 0), (1, 1)):
        await nic.wr("TX_LEN", length)
        await nic.wr("TX_TAIL", tail)
        assert await frames_on_wire(tb, 5) == [], f"LEN {length} TAIL {tail}"
        assert await nic.rd("TX_HEAD") == 0
    assert (await nic.rd_stat())["TX_FRAMES"] == 1
    assert not await nic.rd("STATUS") & regs.STATUS_TX_STOPPED

    await nic.wr("TX_BASE_LO", TX_RING | 0xF)
    assert await nic.rd("TX_BASE_LO") == TX_RING
    await nic.wr("RX_BASE_LO", RX_RING | 0x8)
    assert await nic.rd("RX_BASE_LO") == RX_RING


@testing.test()
async def test_rx_tail_at_or_beyond_len_drops_frames_as_missed(dut):
    """RX_LEN 2 with 2 buffers posted and RX_TAIL 2, then RX_LEN 4 with RX_TAIL 7: every frame is dropped and
    counted in STAT_RX_MISSED (RX_MISS raised); no buffer and no descriptor is written. LEN shrunk below a
    TAIL already written (LEN 4, TAIL 3, then LEN 2) drops them too. TAIL 1 then takes exactly one frame."""
    tb, nic = await start(dut, rx_len=2)
    canary = bytes(range(256)) * 32
    nic.ram.write(RX_BUF0, canary)
    for i in range(4):
        nic.ram.write(nic.rx_desc_addr(i), rx_desc(RX_BUF0 + 0x800 * i))
    ring_before = nic.ram.read(RX_RING, 4 * regs.DESC_SIZE)
    missed = 0
    for length, tail, shrink in ((2, 2, None), (4, 7, None), (4, 3, 2)):
        await nic.wr("RX_LEN", length)
        await nic.wr("RX_TAIL", tail)
        if shrink is not None:
            await nic.wr("RX_LEN", shrink)
        for i in range(3):
            await tb.inject(frame(MAC_STR, 100, i))
            missed += 1
        stats = await nic.rd_stat()
        assert (stats["RX_MISSED"], stats["RX_FRAMES"]) == (missed, 0), (length, tail, shrink, stats)
        assert nic.ram.read(RX_BUF0, len(canary)) == canary, "a buffer outside HEAD..TAIL was written"
        assert nic.ram.read(RX_RING, 4 * regs.DESC_SIZE) == ring_before, "a descriptor was written back"
        assert await nic.rd("RX_HEAD") == 0
    assert await nic.rd("INT_CAUSE") & regs.INT_RX_MISS
    await nic.wr("RX_TAIL", 1)
    good = frame(MAC_STR, 100, 9)
    await tb.inject(good)
    assert await nic.recv() == good
    await tb.inject(frame(MAC_STR, 100, 10))
    stats = await nic.rd_stat()
    assert (stats["RX_FRAMES"], stats["RX_MISSED"]) == (1, missed + 1)


# ----------------------------------------------------------------- TX descriptor fields


@testing.test()
async def test_tx_zero_length_eop_descriptor_is_refused(dut):
    """Descriptor 0 = {LEN 1, 0xAA, no EOP}, descriptor 1 = {LEN 0, EOP|RS}, TX_TAIL 2: the NIC refuses
    descriptor 1 (it would end a frame with nothing, or end nothing): the ring stops with CAUSE = DESC at
    descriptor 1's address, no DD is written, TX_HEAD stays 1, the partial frame never reaches the wire and no
    STAT_TX_* counter moves. After a ring reset, {LEN 1, 0xBB, EOP|RS} leaves alone, padded to 60 bytes. A
    frame of 0 bytes (one {LEN 0, EOP}) is refused the same way; LEN 0 without EOP inside a frame moves
    nothing and gets DD when RS is set."""
    tb, nic = await start(dut)
    nic.ram.write(0x40000, b"\xaa")
    nic.ram.write(0x41000, b"\xbb")
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(0x40000, 1, 0))
    nic.ram.write(nic.tx_desc_addr(1), tx_desc(0x40800, 0, EOP | RS))
    await nic.wr("TX_TAIL", 2)
    assert await frames_on_wire(tb, 10) == []
    await nic.expect_stopped("TX", nic.tx_desc_addr(1), regs.DMA_ERR_CAUSE_DESC << regs.TX_ERR_INFO_CAUSE_SHIFT)
    assert nic.tx_sta(1) == 0 and await nic.rd("TX_HEAD") == 1
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["TX_OCTETS"], stats["TX_NO_CARRIER"]) == (0, 0, 0)
    assert not await nic.rd("STATUS") & regs.STATUS_TX_PENDING

    # ring reset (TAIL, then LEN, as the datasheet's recovery gives it): the next frame is sent alone
    await nic.wr("TX_TAIL", 0)
    await nic.wr("TX_LEN", 16)
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(0x41000, 1, EOP | RS))
    await nic.wr("TX_TAIL", 1)
    assert await frames_on_wire(tb, 10) == [b"\xbb" + bytes(59)]
    assert (await nic.rd_stat())["TX_FRAMES"] == 1

    # LEN 0 without EOP (RS set) inside a frame: nothing moved, DD written, the frame is intact
    f = frame(PEER_STR, 70, 3)
    nic.ram.write(0x42000, f)
    nic.ram.write(nic.tx_desc_addr(1), tx_desc(0x42000, 30, 0))
    nic.ram.write(nic.tx_desc_addr(2), tx_desc(0x43000, 0, RS))
    nic.ram.write(nic.tx_desc_addr(3), tx_desc(0x42000 + 30, len(f) - 30, EOP | RS))
    await nic.wr("TX_TAIL", 4)
    assert await frames_on_wire(tb, 10) == [f]
    assert nic.tx_sta(2) & regs.TX_DESC_STA_DD and nic.tx_sta(3) & regs.TX_DESC_STA_DD

    # a frame of no bytes at all
    nic.ram.write(nic.tx_desc_addr(4), tx_desc(0x43000, 0, EOP | RS))
    await nic.wr("INT_CAUSE", regs.INT_ALL)
    await nic.wr("TX_TAIL", 5)
    assert await frames_on_wire(tb, 5) == []
    assert await nic.rd("STATUS") & regs.STATUS_TX_STOPPED
    assert cause(await nic.rd("TX_ERR_INFO")) == regs.DMA_ERR_CAUSE_DESC
    assert nic.tx_sta(4) == 0 and await nic.rd("TX_HEAD") == 4
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["DMA_ERR"]) == (2, 2)


@testing.test()
async def test_tx_zero_length_descriptor_without_rs(dut):
    """Datasheet, Transmit: "A descriptor with LEN 0 and no EOP moves no data (its RS is honoured)". Without RS
    it gets no DD: {LEN 0, no EOP, no RS} first in a frame and between two of its buffers, each frame ends
    intact on the wire, HEAD passes every descriptor, DD only on the EOP|RS ones, no DMA error."""
    tb, nic = await start(dut)
    a, b = frame(PEER_STR, 80, 7), frame(PEER_STR, 90, 8)
    nic.ram.write(0x40000, a)
    nic.ram.write(0x41000, b)
    descs = [tx_desc(0x4F000, 0, 0), tx_desc(0x40000, len(a), EOP | RS),  # LEN 0 opening a frame
             tx_desc(0x41000, 20, 0), tx_desc(0x4F000, 0, 0), tx_desc(0x41000 + 20, len(b) - 20, EOP | RS)]
    for i, d in enumerate(descs):
        nic.ram.write(nic.tx_desc_addr(i), d)
    await nic.wr("TX_TAIL", len(descs))
    assert await frames_on_wire(tb, 10) == [a, b]
    assert await nic.rd("TX_HEAD") == len(descs)
    assert [bool(nic.tx_sta(i) & regs.TX_DESC_STA_DD) for i in range(len(descs))] == [False, True, False, False,
                                                                                        True]
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["TX_OCTETS"], stats["DMA_ERR"]) == (2, len(a) + len(b), 0)
    assert not await nic.rd("STATUS") & regs.STATUS_TX_STOPPED


@testing.test()
async def test_tx_descriptor_len_above_limit_is_refused(dut):
    """A descriptor's LEN above TX_DESC_LEN_MAX (16383): the ring stops with CAUSE = DESC before any byte of
    its buffer is read; LEN 16383 itself is sent. Reserved bits (CMD bits 4..7, RSVD) are ignored and written
    back unchanged with DD."""
    tb, nic = await start(dut)
    limit = regs.TX_DESC_LEN_MAX
    big = frame(PEER_STR, limit, 1)
    nic.ram.write(0x40000, big)
    rsvd = encode(regs.TX_DESC, ADDR=0x40000, LEN=limit, CMD=EOP | RS | 0xF0, RSVD=0xDEADBEEF)
    nic.ram.write(nic.tx_desc_addr(0), rsvd)
    await nic.wr("TX_TAIL", 1)
    rx = await with_timeout(tb.sink.recv(), 400, "us")
    assert rx.get_payload() == big and rx.check_fcs()
    wb = nic.ram.read(nic.tx_desc_addr(0), regs.DESC_SIZE)
    assert wb[:regs.TX_DESC_STA_OFF] == rsvd[:regs.TX_DESC_STA_OFF]
    assert wb[regs.TX_DESC_STA_OFF] == regs.TX_DESC_STA_DD
    assert wb[regs.TX_DESC_RSVD_OFF:] == rsvd[regs.TX_DESC_RSVD_OFF:]

    reads_before = [b for b in nic.bursts.bursts if b.channel == "AR" and b.addr >= 0x50000]
    nic.ram.write(0x50000, frame(PEER_STR, limit + 1, 2))
    nic.ram.write(nic.tx_desc_addr(1), tx_desc(0x50000, limit + 1, EOP | RS))
    await nic.wr("TX_TAIL", 2)
    assert await frames_on_wire(tb, 20) == []
    await nic.expect_stopped("TX", nic.tx_desc_addr(1), regs.DMA_ERR_CAUSE_DESC << regs.TX_ERR_INFO_CAUSE_SHIFT)
    assert [b for b in nic.bursts.bursts if b.channel == "AR" and b.addr >= 0x50000] == reads_before
    assert nic.tx_sta(1) == 0 and (await nic.rd_stat())["TX_FRAMES"] == 1


@testing.test()
async def test_tx_frame_past_65535_bytes_is_refused(dut):
    """A frame whose five descriptors add up to exactly TX_FRAME_LEN_MAX (65535) bytes is sent intact (FCS per
    zlib) and counted with all its bytes. One whose last descriptor takes it to 65537 bytes is refused at that
    descriptor (CAUSE = DESC, no DD, TX_HEAD stays on it); the frame, already going out cut-through (larger
    than the TX FIFO), is ended with gmii_tx_er so no receiver takes it."""
    tb, nic = await start(dut)
    limit, piece = regs.TX_FRAME_LEN_MAX, regs.TX_DESC_LEN_MAX
    whole = frame(PEER_STR, limit, 1)
    cuts = [0, piece, 2 * piece, 3 * piece, 4 * piece, limit]  # five descriptors, the last of 3 bytes
    for i in range(5):
        addr = 0x20000 + 0x4000 * i
        nic.ram.write(addr, whole[cuts[i]:cuts[i + 1]])
        nic.ram.write(nic.tx_desc_addr(i), tx_desc(addr, cuts[i + 1] - cuts[i], EOP | RS if i == 4 else 0))
    await nic.wr("TX_TAIL", 5)
    rx = await with_timeout(tb.sink.recv(), 1000, "us")
    assert rx.get_payload() == whole and rx.get_fcs() == struct.pack("<L", zlib.crc32(whole))
    assert not any(rx.error or [])
    await Timer(1, unit="us")
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["TX_OCTETS"], stats["DMA_ERR"]) == (1, limit, 0)

    # 4 x 16383 bytes, then 5 more: 65537
    for i in range(4):
        nic.ram.write(nic.tx_desc_addr(5 + i), tx_desc(0x20000, piece, 0))
    nic.ram.write(nic.tx_desc_addr(9), tx_desc(0x38000, 5, EOP | RS))
    await nic.wr("TX_TAIL", 10)
    rx = await with_timeout(tb.sink.recv(), 1000, "us")
    assert rx.error is not None and any(rx.error), "a frame cut while going out must carry tx_er"
    assert await nic.rd("STATUS") & regs.STATUS_TX_STOPPED
    assert await nic.rd("TX_ERR_ADDR_LO") == nic.tx_desc_addr(9)
    assert await nic.rd("TX_ERR_INFO") == regs.DMA_ERR_CAUSE_DESC << regs.TX_ERR_INFO_CAUSE_SHIFT
    assert nic.tx_sta(9) == 0 and await nic.rd("TX_HEAD") == 9


# ----------------------------------------------------------------- RX buffer size


@testing.test()
async def test_rx_buffer_size_extremes_and_buffer_past_the_bus(dut):
    """RX_BUF_SIZE 0 and 1..63: a frame that does not fit one buffer is dropped as too long (STAT_RX_TOOLONG),
    nothing written; a huge RX_BUF_SIZE (0xFFFFFFFF) takes any frame in one buffer. A buffer that starts below
    the 4 GiB bus limit but whose frame would run past it stops the ring with CAUSE = RANGE at the buffer's
    address, with no write to it."""
    tb, nic = await start(dut)
    canary = bytes(range(256)) * 8
    nic.ram.write(RX_BUF0, canary)
    await nic.post_rx([RX_BUF0])
    for size in (0, 1, 63):
        await nic.wr("RX_BUF_SIZE", size)
        await tb.inject(frame(MAC_STR, 100, size))
    stats = await nic.rd_stat()
    assert (stats["RX_TOOLONG"], stats["RX_FRAMES"], stats["RX_MISSED"]) == (3, 0, 0)
    assert nic.ram.read(RX_BUF0, len(canary)) == canary and not nic.rx_status(0).done
    await nic.wr("RX_BUF_SIZE", 0xFFFFFFFF)
    f = frame(MAC_STR, 1500, 4)
    await tb.inject(f)
    assert await nic.recv() == f

    near_top = BUS_LIMIT - 64
    await nic.post_rx([near_top])
    ring_before = nic.ram.read(RX_RING, 16 * regs.DESC_SIZE)
    await tb.inject(frame(MAC_STR, 100, 5))
    await nic.expect_stopped("RX", near_top, regs.RX_ERR_INFO_WRITE
                         | (regs.DMA_ERR_CAUSE_RANGE << regs.RX_ERR_INFO_CAUSE_SHIFT))
    assert nic.ram.read(RX_RING, 16 * regs.DESC_SIZE) == ring_before, "no descriptor is written back"
    assert not [b for b in nic.bursts.bursts if b.channel == "AW" and b.addr >= near_top - 64]


# ----------------------------------------------------------------- addresses beyond the bus


@testing.test()
async def test_rx_address_beyond_bus_stops_ring(dut):
    """An RX descriptor address of 0x1_0000_2000 (ADDR_WIDTH 32) is not truncated to 0x2000 (the RX ring): the
    ring stops with CAUSE = RANGE, RX_ERR_ADDR and DMA_ERR_ADDR hold the full 64-bit address, nothing is
    written. An RX ring base above the limit (RX_BASE_HI 1) stops the ring at the descriptor's full address with
    no descriptor read. After a ring reset to a legal ring, frames are received again."""
    tb, nic = await start(dut)
    high = BUS_LIMIT + RX_RING
    nic.ram.write(nic.rx_desc_addr(0), rx_desc(high))
    await nic.wr("RX_TAIL", 1)
    ring_before = nic.ram.read(RX_RING, 16 * regs.DESC_SIZE)
    await tb.inject(frame(MAC_STR, 100, 1))
    await nic.expect_stopped("RX", high, regs.RX_ERR_INFO_WRITE
                         | (regs.DMA_ERR_CAUSE_RANGE << regs.RX_ERR_INFO_CAUSE_SHIFT))
    assert nic.ram.read(RX_RING, 16 * regs.DESC_SIZE) == ring_before, "the ring itself was overwritten"
    assert not [b for b in nic.bursts.bursts if b.channel == "AW"]

    # a ring base the bus cannot carry: no descriptor read at all
    await nic.wr("INT_CAUSE", regs.INT_ALL)
    await nic.wr("CTRL", regs.CTRL_TX_EN)
    await nic.wr("RX_BASE_HI", 1)
    await nic.wr("RX_TAIL", 1)
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    reads = len([b for b in nic.bursts.bursts if b.channel == "AR"])
    await tb.inject(frame(MAC_STR, 100, 2))
    assert await nic.rd("STATUS") & regs.STATUS_RX_STOPPED
    assert await nic.rd("RX_ERR_ADDR_HI") == 1 and await nic.rd("RX_ERR_ADDR_LO") == RX_RING
    assert cause(await nic.rd("RX_ERR_INFO")) == regs.DMA_ERR_CAUSE_RANGE
    assert len([b for b in nic.bursts.bursts if b.channel == "AR"]) == reads
    assert (await nic.rd_stat())["DMA_ERR"] == 2

    # recovery: a legal ring, RX_EN cleared first (the datasheet's discarding sequence)
    await nic.wr("CTRL", regs.CTRL_TX_EN)
    await nic.wr("RX_BASE_HI", 0)
    await nic.wr("RX_LEN", 16)
    nic.ram.write(RX_RING, bytes(16 * regs.DESC_SIZE))
    nic.rx_tail = nic.rx_next = 0
    await nic.post_rx([RX_BUF0])
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    good = frame(MAC_STR, 100, 3)
    await tb.inject(good)
    assert await nic.recv() == good


@testing.test()
async def test_tx_address_beyond_bus_stops_ring(dut):
    """A TX buffer at 0x1_0007_0000 (ADDR_WIDTH 32) does not send the bytes at 0x70000: the ring stops with
    CAUSE = RANGE and the full address, no buffer read, nothing on the wire, no DD. So does a buffer that starts
    below the limit and runs past it, and a TX ring base above it (TX_BASE_HI 1: no descriptor read)."""
    tb, nic = await start(dut)
    decoy = frame(PEER_STR, 80, 1)
    nic.ram.write(0x70000, decoy)
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(BUS_LIMIT + 0x70000, len(decoy), EOP | RS))
    await nic.wr("TX_TAIL", 1)
    assert await frames_on_wire(tb, 10) == []
    await nic.expect_stopped("TX", BUS_LIMIT + 0x70000, regs.DMA_ERR_CAUSE_RANGE << regs.TX_ERR_INFO_CAUSE_SHIFT)
    assert nic.tx_sta(0) == 0
    assert not [b for b in nic.bursts.bursts if b.channel == "AR" and b.addr >= 0x70000]

    # straddling the limit: starts 16 bytes below it
    await nic.wr("TX_TAIL", 0)
    await nic.wr("TX_LEN", 16)
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(BUS_LIMIT - 16, 64, EOP | RS))
    await nic.wr("TX_TAIL", 1)
    assert await frames_on_wire(tb, 10) == []
    assert await nic.rd("STATUS") & regs.STATUS_TX_STOPPED
    assert await nic.rd("TX_ERR_ADDR_LO") == BUS_LIMIT - 16 and await nic.rd("TX_ERR_ADDR_HI") == 0
    assert cause(await nic.rd("TX_ERR_INFO")) == regs.DMA_ERR_CAUSE_RANGE
    assert not [b for b in nic.bursts.bursts if b.channel == "AR" and b.addr >= 0x80000]

    # the ring itself above the limit
    await nic.wr("TX_TAIL", 0)
    await nic.wr("TX_BASE_HI", 1)
    reads = len([b for b in nic.bursts.bursts if b.channel == "AR"])
    await nic.wr("TX_TAIL", 1)
    assert await frames_on_wire(tb, 5) == []
    assert await nic.rd("TX_ERR_ADDR_HI") == 1 and await nic.rd("TX_ERR_ADDR_LO") == TX_RING
    assert cause(await nic.rd("TX_ERR_INFO")) == regs.DMA_ERR_CAUSE_RANGE
    assert len([b for b in nic.bursts.bursts if b.channel == "AR"]) == reads
    stats = await nic.rd_stat()
    assert (stats["DMA_ERR"], stats["TX_FRAMES"]) == (3, 0)

    # a legal ring again: the decoy frame, now at its real address, is sent
    await nic.wr("TX_TAIL", 0)
    await nic.wr("TX_BASE_HI", 0)
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(0x70000, len(decoy), EOP | RS))
    await nic.wr("TX_TAIL", 1)
    assert await frames_on_wire(tb, 10) == [decoy]


# ----------------------------------------------------------------- ring reset while the engine is mid-descriptor
# Datasheet, *Ring reset and recovery*: a write of *_LEN or *_BASE_* returns HEAD to 0 and abandons the
# descriptor in flight: no DD in the old ring or the new one, HEAD not advanced, a TX frame cut short is
# discarded, an RX frame being written is dropped and counted in STAT_RX_MISSED; bus transactions already
# issued end by the AXI rules but start nothing further. The NIC then processes only HEAD..TAIL of the new ring.

BIG = 6000          # a TX frame takes 48 us on the wire: the FIFO holds about two, so the DMA waits mid-frame
BIG_BUF = 0x20000   # TX buffer i at BIG_BUF + 0x2000 * i
NEW_TX_RING = 0x3000


def dd(ram, ring: int, idx: int) -> bool:
    """STA.DD of descriptor idx of the ring at ``ring`` (TX and RX keep STA at the same offset)."""
    return bool(ram.read(ring + regs.DESC_SIZE * idx + regs.TX_DESC_STA_OFF, 1)[0] & regs.TX_DESC_STA_DD)


async def wire_labels(tb: GmiiBench, us: float, known: dict[bytes, str]) -> list[str]:
    """What the MAC sent within the next ``us`` microseconds, each frame named by ``known`` (its payload
    without FCS), "cut" for a frame ended with gmii_tx_er, "?" for any other frame."""
    await Timer(us, unit="us")
    out = []
    while not tb.sink.empty():
        f = await tb.sink.recv()
        if any(f.error or []):
            out.append("cut")
        else:
            out.append(known.get(bytes(f.get_payload()), "?"))
    return out


async def tx_reset_mid_descriptor(dut, reset, new_ring: int = TX_RING) -> None:
    """Ten 6000-byte frames in descriptors 0..9, TAIL 10; 30 us later (HEAD h, the engine mid-descriptor h)
    ``reset(nic)`` writes the registers that reset the ring. Checks: HEAD 0 at once and after, the frames on
    the wire are 0..h-1 (h too only if its last byte was already queued), each once, none cut short, DD on
    0..h-1 only, no new bus burst bar one already issued, STATUS idle; then two new frames handed over in
    descriptors 0, 1 of ``new_ring`` go out once each with DD there, and the old ring is not touched."""
    tb, nic = await start(dut, tx_len=16)
    frames = [frame(PEER_STR, BIG, i) for i in range(10)]
    new = [frame(PEER_STR, 100, 50 + i) for i in range(3)]
    known = {f: str(i) for i, f in enumerate(frames)} | {f: f"new{i}" for i, f in enumerate(new)}
    for i, f in enumerate(frames):
        nic.ram.write(BIG_BUF + 0x2000 * i, f)
        nic.ram.write(TX_RING + 16 * i, tx_desc(BIG_BUF + 0x2000 * i, BIG, EOP | RS))
    if new_ring != TX_RING:
        # the new ring is being built (all three descriptors valid) but not handed over yet
        nic.ram.write(new_ring, bytes(16 * 16))
        for i, f in enumerate(new):
            nic.ram.write(0x70000 + 0x800 * i, f)
            nic.ram.write(new_ring + 16 * i, tx_desc(0x70000 + 0x800 * i, len(f), EOP | RS))
    await nic.wr("TX_TAIL", 10)
    await Timer(30, unit="us")
    head = await nic.rd("TX_HEAD")
    assert 1 <= head < 9 and await nic.rd("STATUS") & regs.STATUS_TX_BUSY, "the engine must be mid-ring"
    await reset(nic)
    t_reset = cocotb.utils.get_sim_time("ns")
    assert await nic.rd("TX_HEAD") == 0

    got = await wire_labels(tb, 600, known)
    good = [x for x in got if x != "cut"]
    sent = len(good)
    assert good == [str(i) for i in range(sent)], f"frames on the wire {got}: each of 0..h-1 once, in order"
    assert head <= sent <= head + 1 and "cut" not in got, f"HEAD was {head}, the wire shows {got}"
    old_dd = [dd(nic.ram, TX_RING, i) for i in range(10)]
    assert all(old_dd[:head]) and not any(old_dd[head + 1:]), f"old ring DD {old_dd}, HEAD was {head}"
    assert not old_dd[head] or sent == head + 1, "DD on a descriptor whose frame was not sent"
    if new_ring != TX_RING:
        assert not any(dd(nic.ram, new_ring, i) for i in range(16)), "DD in the new ring, none handed over"
    late = [b for b in nic.bursts.bursts if b.time_ns > t_reset]
    assert not [b for b in late if b.channel == "AW"], f"a write-back after the ring reset: {late}"
    assert len(late) <= 1, f"bursts started after the ring reset: {late}"
    assert await nic.rd("TX_HEAD") == 0
    status = await nic.rd("STATUS")
    assert not status & (regs.STATUS_TX_BUSY | regs.STATUS_TX_PENDING | regs.STATUS_TX_STOPPED), hex(status)
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["DMA_ERR"]) == (sent, 0)

    # the driver hands over two descriptors of the new ring
    if new_ring == TX_RING:
        for i, f in enumerate(new[:2]):
            nic.ram.write(0x70000 + 0x800 * i, f)
            nic.ram.write(TX_RING + 16 * i, tx_desc(0x70000 + 0x800 * i, len(f), EOP | RS))
    old_ring_now = nic.ram.read(TX_RING, 16 * 16) if new_ring != TX_RING else None
    await nic.wr("TX_TAIL", 2)
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    assert await wire_labels(tb, 20, known) == ["new0", "new1"]
    assert await nic.rd("TX_HEAD") == 2
    assert dd(nic.ram, new_ring, 0) and dd(nic.ram, new_ring, 1)
    if old_ring_now is not None:
        assert not dd(nic.ram, new_ring, 2), "DD on a descriptor past TAIL"
        assert nic.ram.read(TX_RING, 16 * 16) == old_ring_now, "the old ring was written after the move"
    assert (await nic.rd_stat())["TX_FRAMES"] == sent + 2
    tb.check_bursts(1)


@testing.test()
async def test_tx_tail0_then_len_mid_descriptor(dut):
    """TX_TAIL 0 then TX_LEN 16 while the engine reads a frame: an empty ring stays empty (no stale
    descriptor resent, HEAD 0)."""
    async def reset(nic):
        await nic.wr("TX_TAIL", 0)
        await nic.wr("TX_LEN", 16)
    await tx_reset_mid_descriptor(dut, reset)


@testing.test()
async def test_tx_en_cleared_then_len_at_once(dut):
    """TX_EN cleared and TX_LEN written at once, not waiting for TX_BUSY to fall: HEAD stays 0, and the
    rebuilt descriptors 0 and 1 both go out (the first is not skipped)."""
    async def reset(nic):
        await nic.wr("CTRL", regs.CTRL_RX_EN)
        await nic.wr("TX_LEN", 16)
    await tx_reset_mid_descriptor(dut, reset)


@testing.test()
async def test_tx_len_below_tail_mid_descriptor(dut):
    """TX_LEN 8 with TAIL 10 left in place (TAIL >= LEN: the NIC owns nothing): HEAD stays 0."""
    async def reset(nic):
        await nic.wr("TX_LEN", 8)
    await tx_reset_mid_descriptor(dut, reset)


@testing.test()
async def test_tx_base_moved_mid_descriptor(dut):
    """TX_TAIL 0 then TX_BASE_LO moved to a ring being built: no DD in the old ring after the move, nothing
    of the new ring sent or written back until TAIL hands it over."""
    async def reset(nic):
        await nic.wr("TX_TAIL", 0)
        await nic.wr("TX_BASE_LO", NEW_TX_RING)
    await tx_reset_mid_descriptor(dut, reset, NEW_TX_RING)


@testing.test()
async def test_tx_base_hi_rewritten_mid_descriptor(dut):
    """TX_TAIL 0 then TX_BASE_HI rewritten with its value (still a ring reset): as for TX_LEN."""
    async def reset(nic):
        await nic.wr("TX_TAIL", 0)
        await nic.wr("TX_BASE_HI", 0)
    await tx_reset_mid_descriptor(dut, reset)


async def rx_reset_mid_frame(dut, reg: str, value: int, new_ring: int) -> None:
    """Four RX buffers posted; while a 1500-byte frame is being written, RX_TAIL 0 then ``reg`` = ``value``
    (the new ring at ``new_ring``, its descriptors built but not handed over). Checks: the frame is dropped
    and counted in STAT_RX_MISSED, no DD in either ring, HEAD 0, no descriptor write after the reset; the
    next frame (TAIL 0) is missed too; once TAIL 2 hands over the new ring, a frame lands in its descriptor 0."""
    tb, nic = await start(dut)
    await nic.post_rx([RX_BUF0 + 0x800 * i for i in range(4)])
    new_buf = 0x50000
    if new_ring != RX_RING:
        nic.ram.write(new_ring, bytes(256))
    for i in range(4):
        nic.ram.write(new_ring + 16 * i, rx_desc(new_buf + 0x800 * i))
    await tb.source.send(GmiiFrame.from_payload(frame(MAC_STR, 1500, 1)))
    for _ in range(4000):
        if await nic.rd("STATUS") & regs.STATUS_RX_BUSY:
            break
    else:
        raise AssertionError("the RX engine never started the frame")
    await nic.wr("RX_TAIL", 0)
    await nic.wr(reg, value)
    t_reset = cocotb.utils.get_sim_time("ns")
    assert await nic.rd("RX_HEAD") == 0
    await Timer(20, unit="us")
    rings = {RX_RING, new_ring}
    sta = {r: [nic.ram.read(r + 16 * i + regs.RX_DESC_STA_OFF, 1)[0] for i in range(4)] for r in rings}
    assert all(s == 0 for r in rings for s in sta[r]), f"STA after the reset: {sta}"
    assert await nic.rd("RX_HEAD") == 0
    stats = await nic.rd_stat()
    assert (stats["RX_FRAMES"], stats["RX_MISSED"], stats["DMA_ERR"]) == (0, 1, 0)
    late = [b for b in nic.bursts.bursts if b.time_ns > t_reset]
    assert len(late) <= 1 and not [b for b in late if b.channel == "AR"], f"bursts after the reset: {late}"
    assert not any(r <= b.addr < r + 256 for b in late for r in rings), f"a descriptor written: {late}"
    assert not await nic.rd("STATUS") & (regs.STATUS_RX_BUSY | regs.STATUS_RX_STOPPED)

    g = frame(MAC_STR, 100, 2)
    await tb.inject(g)  # TAIL 0: no descriptor handed over
    stats = await nic.rd_stat()
    assert (stats["RX_FRAMES"], stats["RX_MISSED"]) == (0, 2)
    assert await nic.rd("RX_HEAD") == 0
    assert nic.ram.read(new_buf + 0x800, 100) != g and nic.ram.read(new_buf, 100) != g
    assert all(nic.ram.read(new_ring + 16 * i + regs.RX_DESC_STA_OFF, 1)[0] == 0 for i in range(4))

    await nic.wr("RX_TAIL", 2)
    h = frame(MAC_STR, 200, 3)
    await tb.inject(h)
    assert nic.ram.read(new_buf, 200) == h
    st = nic.ram.read(new_ring + regs.RX_DESC_STA_OFF, 1)[0]
    assert st == regs.RX_DESC_STA_DD | regs.RX_DESC_STA_EOP
    assert nic.ram.read(new_ring + 16 + regs.RX_DESC_STA_OFF, 1)[0] == 0
    assert await nic.rd("RX_HEAD") == 1
    stats = await nic.rd_stat()
    assert (stats["RX_FRAMES"], stats["RX_MISSED"]) == (1, 2)
    if new_ring != RX_RING:
        assert all(s == 0 for s in (nic.ram.read(RX_RING + 16 * i + regs.RX_DESC_STA_OFF, 1)[0]
                                    for i in range(4)))
    tb.check_bursts(1)


@testing.test()
async def test_rx_base_moved_mid_frame(dut):
    """RX_TAIL 0 then RX_BASE_LO moved while a frame is being written: the frame is dropped as missed,
    the old ring gets no DD, the new ring nothing until TAIL hands it over."""
    await rx_reset_mid_frame(dut, "RX_BASE_LO", 0x3000, 0x3000)


@testing.test()
async def test_rx_len_written_mid_frame(dut):
    """RX_TAIL 0 then RX_LEN rewritten while a frame is being written: as for RX_BASE_LO, in the same ring."""
    await rx_reset_mid_frame(dut, "RX_LEN", 16, RX_RING)


@testing.test()
async def test_rx_base_hi_rewritten_mid_frame(dut):
    """RX_TAIL 0 then RX_BASE_HI rewritten with its value (still a ring reset) while a frame is being written."""
    await rx_reset_mid_frame(dut, "RX_BASE_HI", 0, RX_RING)


@testing.test()
async def test_tx_len_grown_past_tail(dut):
    """TX_LEN 2 with TX_TAIL 5 hands over nothing; growing TX_LEN to 16 (no TAIL write) makes TAIL < LEN, so
    descriptors 0..4 go out, once each, in order (datasheet: "until TAIL < LEN, by writing either")."""
    tb, nic = await start(dut, tx_len=2)
    frames = [frame(PEER_STR, 80, i) for i in range(5)]
    known = {f: str(i) for i, f in enumerate(frames)}
    for i, f in enumerate(frames):
        nic.ram.write(0x40000 + 0x1000 * i, f)
        nic.ram.write(nic.tx_desc_addr(i), tx_desc(0x40000 + 0x1000 * i, len(f), EOP | RS))
    await nic.wr("TX_TAIL", 5)
    assert await wire_labels(tb, 10, known) == []
    assert await nic.rd("TX_HEAD") == 0 and not any(nic.tx_sta(i) for i in range(5))
    await nic.wr("TX_LEN", 16)
    assert await wire_labels(tb, 20, known) == ["0", "1", "2", "3", "4"]
    assert await nic.rd("TX_HEAD") == 5
    assert all(nic.tx_sta(i) & regs.TX_DESC_STA_DD for i in range(5))


# ------------------------------------------------- a ring reset at every clock of a descriptor's life

NEW_RX_RING = 0x3400


async def restart(nic, rx_buf_size: int = 0x800) -> None:
    """CTRL.RST, then both rings set up again (TX 16, RX 16 at the usual bases, every descriptor zero)."""
    await nic.wr("CTRL", regs.CTRL_RST)
    await nic.setup(MAC, TX_RING, 16, RX_RING, 16)
    await nic.wr("RX_BUF_SIZE", rx_buf_size)


async def tx_ring_reset_at_each_clock(dut, fail_writeback: bool) -> set[tuple[bool, bool]]:
    """One 64-byte frame f in descriptor 0 (EOP|RS), TX_TAIL 1, then k clocks later (k = 0..59: before the
    fetch, in the descriptor read, the buffer read, the write-back and after) TX_BASE_LO moves to a new ring
    whose descriptor 0 holds frame g (TAIL 1 hands it over). With ``fail_writeback`` the write-back of
    descriptor 0 gets SLVERR. Datasheet, *Ring and descriptor rules* and *DMA errors*: f leaves once whole or
    not at all (never cut), DD on it only if it left, a DMA error only from a write-back that failed before
    the reset (f then left: it was read whole) and the ring reset restarts the ring anyway; g then leaves
    once with DD in the new ring, HEAD 1, STAT_TX_FRAMES counting what left. Returns the (f sent, f DD)
    pairs seen."""
    tb, nic = await start(dut)
    faults = DmaFaults(nic.ram) if fail_writeback else None
    seen = set()
    for k in range(60):
        await restart(nic)
        f, g = frame(PEER_STR, 64, k), frame(PEER_STR, 70, 100 + k)
        known = {f: "f", g: "g"}
        nic.ram.write(0x40000, f)
        nic.ram.write(0x41000, g)
        nic.ram.write(TX_RING, tx_desc(0x40000, len(f), EOP | RS))
        nic.ram.write(NEW_TX_RING, tx_desc(0x41000, len(g), EOP | RS) + bytes(16 * 15))
        if faults is not None:
            faults.clear()
            faults.fail_next("tx_writeback", (TX_RING, 16), (RX_RING, 16))
        await nic.wr("TX_TAIL", 1)
        await ClockCycles(dut.clk, k)
        await nic.wr("TX_BASE_LO", NEW_TX_RING)
        got = await wire_labels(tb, 8, known)
        sent, f_dd = "f" in got, dd(nic.ram, TX_RING, 0)
        assert got in (["g"], ["f", "g"]), f"k={k}: the wire shows {got}"
        assert not f_dd or sent, f"k={k}: DD on a frame that never left"
        assert dd(nic.ram, NEW_TX_RING, 0) and await nic.rd("TX_HEAD") == 1, f"k={k}: g not completed"
        stats = await nic.rd_stat()
        assert stats["TX_FRAMES"] == len(got), f"k={k}: STAT_TX_FRAMES {stats['TX_FRAMES']}, wire {got}"
        assert stats["DMA_ERR"] <= int(fail_writeback), f"k={k}: {stats['DMA_ERR']} DMA errors"
        if stats["DMA_ERR"]:
            assert sent and not f_dd, f"k={k}: a failed write-back, yet f sent {sent}, DD {f_dd}"
            assert await nic.rd("TX_ERR_ADDR_LO") in range(TX_RING, TX_RING + 16), f"k={k}: not the write-back"
        assert not await nic.rd("STATUS") & (regs.STATUS_TX_BUSY | regs.STATUS_TX_STOPPED), f"k={k}"
        seen.add((sent, f_dd))
    return seen


@testing.test()
async def test_tx_ring_reset_at_each_clock(dut):
    """A TX ring reset at each clock of a descriptor's life (see ``tx_ring_reset_at_each_clock``): the frame
    is abandoned unsent early on and completed with DD late."""
    seen = await tx_ring_reset_at_each_clock(dut, fail_writeback=False)
    assert (False, False) in seen and (True, True) in seen, seen


@testing.test()
async def test_tx_ring_reset_at_each_clock_failed_writeback(dut):
    """As ``test_tx_ring_reset_at_each_clock`` with SLVERR on the write-back: an error response after the
    reset is ignored, one before it stops the ring (which the reset restarts); DD is never written."""
    seen = await tx_ring_reset_at_each_clock(dut, fail_writeback=True)
    assert (True, True) not in seen and (False, False) in seen and (True, False) in seen, seen


@testing.test()
async def test_rx_ring_reset_at_each_clock(dut):
    """A 600-byte frame into 256-byte buffers (three descriptors: 256, 256, 88), and k clocks after gmii_rx_dv
    falls (k = 0..219: before the engine takes it, at each descriptor's fetch, data burst and write-back,
    after) RX_BASE_LO moves to a new ring of four posted buffers (TAIL 4 stays). Datasheet, *Ring and
    descriptor rules* and *Ring reset and recovery*: exactly one of — the frame whole in the old ring (three
    DD, EOP on the last, done before the reset), whole in the new ring (the reset came first), or dropped and
    counted once in STAT_RX_MISSED with no DD in the new ring and, in the old one, DD without EOP on at most
    the buffers written back before the reset. A second frame is then received whole in the new ring."""
    tb, nic = await start(dut)
    f = frame(MAC_STR, 600, 1)
    g = frame(MAC_STR, 100, 2)
    seen = set()
    for k in range(220):
        await restart(nic, rx_buf_size=256)
        nic.ram.write(NEW_RX_RING, b"".join(rx_desc(0x20000 + 0x400 * i) for i in range(4)) + bytes(16 * 12))
        await nic.post_rx([RX_BUF0 + 0x400 * i for i in range(4)])
        await tb.source.send(GmiiFrame.from_payload(f))
        await FallingEdge(dut.gmii_rx_dv)
        await ClockCycles(dut.clk, k)
        await nic.wr("RX_BASE_LO", NEW_RX_RING)
        await Timer(4, unit="us")
        rings = {}
        for name, base in (("old", RX_RING), ("new", NEW_RX_RING)):
            nic.rx_base = base
            rings[name] = [nic.rx_status(i) for i in range(4)]
        stats = await nic.rd_stat()

        def whole(st: list) -> bool:
            return ([s.sta for s in st[:3]] == [regs.RX_DESC_STA_DD] * 2 + [regs.RX_DESC_STA_DD | regs.RX_DESC_STA_EOP]
                    and b"".join(nic.ram.read(s.addr, s.length) for s in st[:3]) == f)

        in_old, in_new, missed = whole(rings["old"]), whole(rings["new"]), stats["RX_MISSED"] == 1
        assert in_old + in_new + missed == 1 and stats["RX_MISSED"] <= 1, \
            f"k={k}: old {rings['old']}, new {rings['new']}, STAT_RX_MISSED {stats['RX_MISSED']}"
        assert stats["RX_FRAMES"] == int(not missed), f"k={k}: STAT_RX_FRAMES {stats['RX_FRAMES']}"
        if not in_new:
            assert not any(s.done for s in rings["new"]), f"k={k}: DD in the new ring {rings['new']}"
        if missed:
            old_dd = [s.sta for s in rings["old"]]
            assert all(s in (0, regs.RX_DESC_STA_DD) for s in old_dd) and old_dd == sorted(old_dd, reverse=True), \
                f"k={k}: a dropped frame's old ring {old_dd}"
        if in_new:
            assert not any(s.done for s in rings["old"]), f"k={k}: DD in the old ring {rings['old']}"
        seen.add("old" if in_old else "new" if in_new else "missed")

        # the new ring goes on receiving
        nic.rx_base, nic.rx_next = NEW_RX_RING, 3 if in_new else 0
        await tb.source.send(GmiiFrame.from_payload(g))
        assert await nic.recv(timeout_us=20) == g, f"k={k}"
        nic.rx_base = RX_RING
    assert seen == {"old", "new", "missed"}, seen
