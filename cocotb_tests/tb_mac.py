"""MAC behaviour of one NIC: frames through DMA to GMII and back.

GMII is driven and captured with cocotbext-eth (GmiiSource, GmiiSink); frames
are built with scapy and FCS values checked with zlib.crc32, both independent
of the RTL.
"""

from __future__ import annotations

import struct
import zlib

import cocotb
from cocotb.triggers import RisingEdge, Timer
from cocotbext.eth import GmiiFrame
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from nicdef import regs
from nicsim import testing
from nicsim.nic_harness import CLK_NS, MAC, RX_BUF0, RX_RING, TX_RING, GmiiBench, wait_irq

TOPLEVEL = "nic"  # the HDL toplevel these tests run on (read by nicsim.collect)

MAC_STR = "02:00:00:00:00:01"
PEER_STR = "02:00:00:00:00:02"


def udp_frame(payload_len: int, dst: str = MAC_STR, src: str = PEER_STR) -> bytes:
    pkt = Ether(dst=dst, src=src) / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=1234, dport=7)
    return bytes(pkt / Raw(bytes((i * 7 + 3) & 0xFF for i in range(payload_len))))


def wire_frame(frame: bytes) -> GmiiFrame:
    """Preamble, SFD, frame, FCS (no padding, so a short frame stays a runt)."""
    return GmiiFrame.from_payload(frame, min_len=0)


class PreambleLog:
    """The first 8 bytes of every frame on a GMII transmit port.

    GmiiSink 0.1.28 drops the first byte of each frame it captures (it opens
    the frame on the first dv cycle without storing that byte), so the full
    preamble is checked here: 8 clock wake-ups per frame, none while idle.
    """

    def __init__(self, dut):
        self.dut = dut
        self.preambles: list[bytes] = []
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await RisingEdge(self.dut.gmii_tx_en)
            data = bytearray()
            for _ in range(8):
                await RisingEdge(self.dut.clk)
                data.append(int(self.dut.gmii_txd.value))
            self.preambles.append(bytes(data))


class MacBench(GmiiBench):
    """GmiiBench plus a PreambleLog on the transmit port."""

    def __init__(self, dut):
        super().__init__(dut)
        self.preambles = PreambleLog(dut)


@testing.test()
async def test_tx_frames_on_gmii(dut):
    """Frames queued back to back leave on GMII with preamble, SFD, padding to 60, a correct FCS and a 12-byte IFG."""
    tb = MacBench(dut)
    nic = await tb.start(rx_buffers=0)
    frames = [udp_frame(0), udp_frame(18), udp_frame(19), udp_frame(100), udp_frame(1472)]
    assert [len(f) for f in frames] == [42, 60, 61, 142, 1514]
    descs = []
    for n, frame in enumerate(frames):
        descs += await nic.send([(0x20000 + 0x1000 * n, frame)], kick=False)
    await nic.wr("TX_TAIL", nic.tx_tail)

    got = [await tb.sink.recv() for _ in frames]
    for frame, rx in zip(frames, got, strict=True):
        assert rx.error is None
        assert rx.get_preamble()[-7:] == b"\x55" * 6 + b"\xd5"  # see PreambleLog
        expect = frame + bytes(max(0, 60 - len(frame)))
        assert rx.get_payload() == expect
        assert rx.get_fcs() == struct.pack("<L", zlib.crc32(expect))
    assert tb.preambles.preambles == [b"\x55" * 7 + b"\xd5"] * len(frames)
    gaps = [(b.sim_time_start - a.sim_time_end) // (CLK_NS * 1000) for a, b in zip(got, got[1:], strict=False)]
    dut._log.info("inter-frame gaps (byte times): %s", gaps)
    assert min(gaps) >= 12

    await wait_irq(dut.irq)
    assert await nic.rd("INT_CAUSE") & regs.INT_TX_DONE
    for idx in descs:
        assert nic.tx_sta(idx) & regs.TX_DESC_STA_DD
    assert await nic.rd("TX_HEAD") == nic.tx_tail
    stats = await nic.rd_stat()
    assert stats["TX_FRAMES"] == len(frames)
    assert stats["TX_OCTETS"] == sum(len(f) for f in frames)


@testing.test()
async def test_tx_without_rs(dut):
    """A descriptor without RS is consumed (HEAD moves) but not written back and raises no TX_DONE."""
    tb = MacBench(dut)
    nic = await tb.start(rx_buffers=0)
    frame = udp_frame(64)
    [idx] = await nic.send([(0x20001, frame)], rs=False)
    rx = await tb.sink.recv()
    assert rx.get_payload() == frame and rx.check_fcs()
    assert await nic.rd("TX_HEAD") == nic.tx_tail
    assert nic.tx_sta(idx) == 0
    assert await nic.rd("INT_CAUSE") == 0


@testing.test()
async def test_rx_unicast_and_broadcast(dut):
    """Frames for the station address and for broadcast land in host memory; LEN, STA, RX_DONE and stats follow."""
    tb = MacBench(dut)
    nic = await tb.start()
    frames = [udp_frame(18), udp_frame(200, dst="ff:ff:ff:ff:ff:ff"), udp_frame(1472), udp_frame(19)]
    for frame in frames:
        await tb.source.send(wire_frame(frame))
    for n, frame in enumerate(frames):
        assert await nic.recv() == frame, f"frame {n} differs"
    await wait_irq(dut.irq)
    assert await nic.rd("INT_CAUSE") & regs.INT_RX_DONE
    assert await nic.rd("RX_HEAD") == len(frames)
    stats = await nic.rd_stat()
    assert stats["RX_FRAMES"] == len(frames)
    assert stats["RX_OCTETS"] == sum(len(f) for f in frames)
    assert stats["RX_FCS_ERR"] + stats["RX_FILTERED"] + stats["RX_RUNT"] + stats["RX_MISSED"] == 0


@testing.test()
async def test_rx_drops_bad_frames(dut):
    """Bad FCS, rx_er, another station's address and runts are dropped before DMA and each counted once."""
    tb = MacBench(dut)
    nic = await tb.start()
    good = udp_frame(50)

    bad_fcs = GmiiFrame.from_raw_payload(good + struct.pack("<L", zlib.crc32(good) ^ 1))
    with_er = wire_frame(good)
    with_er.error = [0] * len(with_er.data)
    with_er.error[30] = 1
    other = wire_frame(udp_frame(50, dst="02:00:00:00:00:99"))
    runt = wire_frame(udp_frame(0)[:59])  # 59 + 4 FCS = 63 bytes
    near_bcast = wire_frame(udp_frame(50, dst="ff:ff:ff:ff:ff:fe"))

    for frame in (bad_fcs, with_er, other, runt, near_bcast):
        await tb.inject(frame)
        await tb.inject(wire_frame(good))  # the FIFO was rewound: the next good frame is intact
    for _ in range(5):
        assert await nic.recv() == good
    stats = await nic.rd_stat()
    assert stats["RX_FCS_ERR"] == 2
    assert stats["RX_FILTERED"] == 2
    assert stats["RX_RUNT"] == 1
    assert stats["RX_FRAMES"] == 5
    assert stats["RX_MISSED"] == 0


PREAMBLE, SFD = 0x55, 0xD5  # IEEE 802.3 3.2.1-3.2.2: 10101010 and 10101011, LSB first on the wire


def raw_burst(data: bytes, er_at: int | None = None) -> GmiiFrame:
    """Exactly ``data`` on GMII under rx_dv (no preamble or SFD added), with rx_er on byte ``er_at``."""
    frame = GmiiFrame(data)
    if er_at is not None:
        frame.error = [int(i == er_at) for i in range(len(data))]
    return frame


@testing.test()
async def test_rx_framing(dut):
    """A carrier burst whose bytes before the SFD are not all preamble, or that has no SFD, is a framing error:
    dropped and counted once in STAT_RX_FRAMING and nowhere else, and the next frame is received intact. That
    covers seven 0x55 and a frame with no SFD, a frame with no preamble and no SFD (data from the first rx_dv
    clock), a burst that is only preamble, a non-preamble byte inside the preamble, rx_dv rising in the middle
    of a byte stream that holds 0xD5 and then a whole valid frame (not resynchronised on: no frame is taken
    from inside another), and rx_er in the preamble of such a burst. Frames with an SFD after any preamble
    length are accepted (IEEE 802.3 clause 35 lets the path lose all seven preamble bytes; none is too long),
    and rx_er in the preamble of a frame with an SFD makes it an errored frame (STAT_RX_FCS_ERR)."""
    tb = MacBench(dut)
    nic = await tb.start()
    good = udp_frame(50)
    body = good + struct.pack("<L", zlib.crc32(good))  # the FCS from zlib, independent of the RTL
    no_sfd = [
        bytes([PREAMBLE] * 7) + body,                     # seven 0x55, then the frame without 0xD5
        body,                                             # no preamble, no SFD
        bytes([PREAMBLE] * 7),                            # rx_dv carrying only preamble
        bytes([PREAMBLE] * 20),                           # ... a long one
        bytes([PREAMBLE] * 3 + [0xAA] + [PREAMBLE] * 3 + [SFD]) + body,   # a foreign byte in the preamble
        b"\x12\x34\x56" + bytes([SFD]) + body,            # mid-stream: a 0xD5 then a whole valid frame
        bytes([PREAMBLE] * 7) + body[:10],                # a cut frame without SFD
    ]
    cases = [(raw_burst(d), "RX_FRAMING") for d in no_sfd]
    cases.append((raw_burst(bytes([PREAMBLE] * 7) + body, er_at=3), "RX_FRAMING"))
    cases.append((raw_burst(bytes([PREAMBLE] * 7 + [SFD]) + body, er_at=3), "RX_FCS_ERR"))
    accepted = [bytes([SFD]) + body, bytes([PREAMBLE, SFD]) + body, bytes([PREAMBLE] * 3 + [SFD]) + body,
                bytes([PREAMBLE] * 7 + [SFD]) + body, bytes([PREAMBLE] * 40 + [SFD]) + body]
    cases += [(raw_burst(d), "RX_FRAMES") for d in accepted]
    for n, (burst, counter) in enumerate(cases):
        before = await nic.rd_stat()
        await tb.inject(burst)
        after = await nic.rd_stat()
        moved = {k: after[k] - before[k] for k in after if after[k] != before[k] and not k.endswith("OCTETS")
                 and k not in ("RX_BCAST", "RX_MCAST")}
        assert moved == {counter: 1}, f"case {n} ({burst.data[:12].hex()}...): {moved}, expected {counter}"
        if counter == "RX_FRAMES":
            assert await nic.recv() == good, f"case {n}"
            await nic.post_rx([nic.last_rx.addr])  # the buffer goes back on the ring
        await tb.inject(wire_frame(good))  # the receiver is back in step: the next frame is intact
        assert await nic.recv() == good, f"after case {n}"
        await nic.post_rx([nic.last_rx.addr])


@testing.test()
async def test_rx_without_descriptor(dut):
    """With no free RX descriptor a frame is dropped, counted in RX_MISSED, raises RX_MISS; HEAD never passes TAIL."""
    tb = MacBench(dut)
    nic = await tb.start(rx_buffers=0)
    await nic.wr("INT_MASK_CLR", regs.INT_ALL)
    await nic.wr("INT_MASK_SET", regs.INT_RX_MISS)
    await tb.inject(wire_frame(udp_frame(40)))
    await wait_irq(dut.irq)
    assert await nic.rd("INT_CAUSE") == regs.INT_RX_MISS
    assert (await nic.rd_stat())["RX_MISSED"] == 1
    assert await nic.rd("RX_HEAD") == 0
    assert nic.ram.read(RX_RING, regs.DESC_SIZE * 16) == bytes(regs.DESC_SIZE * 16)

    # one buffer posted: the next frame uses it, the one after is missed again
    await nic.post_rx([RX_BUF0])
    frame = udp_frame(40)
    await tb.inject(wire_frame(frame))
    await tb.inject(wire_frame(udp_frame(41)))
    assert await nic.recv() == frame
    await tb.inject(wire_frame(udp_frame(30)))
    stats = await nic.rd_stat()
    assert stats["RX_MISSED"] == 3
    assert await nic.rd("RX_HEAD") == 1
    assert nic.ram.read(RX_RING + regs.DESC_SIZE, regs.DESC_SIZE) == bytes(regs.DESC_SIZE)


@testing.test()
async def test_rx_too_long(dut):
    """A frame longer than MAX_FRAME_LEN (FCS included) is dropped and counted in RX_TOOLONG; one of exactly
    MAX_FRAME_LEN is received."""
    tb = MacBench(dut)
    nic = await tb.start()
    assert await nic.rd("MAX_FRAME_LEN") == regs.DEFAULT_MAX_FRAME_LEN
    await nic.wr("MAX_FRAME_LEN", 104)
    await tb.inject(wire_frame(udp_frame(59)))  # 101 bytes
    exact = udp_frame(58)  # 100 bytes
    await tb.inject(wire_frame(exact))
    assert await nic.recv() == exact
    stats = await nic.rd_stat()
    assert stats["RX_TOOLONG"] == 1
    assert stats["RX_FRAMES"] == 1


@testing.test()
async def test_rx_disabled(dut):
    """With CTRL.RX_EN clear a good frame is received but not admitted: nothing is written, and it is counted
    in RX_MISSED; once RX_EN is set the next frame lands in the first descriptor."""
    tb = MacBench(dut)
    nic = await tb.start()
    await nic.wr("CTRL", regs.CTRL_TX_EN)
    await tb.inject(wire_frame(udp_frame(40)))
    assert nic.rx_status(0).sta == 0
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    frame = udp_frame(41)
    await tb.inject(wire_frame(frame))
    assert await nic.recv() == frame
    stats = await nic.rd_stat()
    assert stats["RX_FRAMES"] == 1 and stats["RX_MISSED"] == 1


@testing.test()
async def test_rx_burst_under_ctrl_rst_is_let_pass(dut):
    """CTRL.RST while a frame is arriving (datasheet, Clocking and reset; Framing: "no frame is ever received
    from the middle of another"): the outer frame's payload carries a whole second frame (preamble, SFD, frame
    to the station, good FCS by zlib), and the NIC, reset and set up again before that inner frame passes,
    receives neither; the next frame on the wire is received whole into descriptor 0, and no runt, FCS,
    too-long, framing, filter or missed counter moved: the burst's tail is let pass."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=4)
    inner = udp_frame(100)
    inner_wire = bytes([0x55] * 7 + [0xD5]) + inner + struct.pack("<I", zlib.crc32(inner))
    outer = udp_frame(0) + bytes(400) + inner_wire + bytes(200)
    await tb.source.send(wire_frame(outer))
    await RisingEdge(dut.gmii_rx_dv)
    t_dv = cocotb.utils.get_sim_time("ns")
    await Timer(500, unit="ns")  # about 60 bytes in: inside the outer frame's headers
    await nic.wr("CTRL", regs.CTRL_RST)
    await nic.setup(MAC, TX_RING, 16, RX_RING, 16)
    await nic.post_rx([RX_BUF0 + 0x800 * i for i in range(4)])
    inner_at = t_dv + CLK_NS * (8 + len(udp_frame(0)) + 400)
    assert cocotb.utils.get_sim_time("ns") < inner_at, "set up again only after the inner frame went by"
    await tb.source.wait()
    await Timer(2, unit="us")
    assert not nic.rx_status(0).done, "a frame received from the middle of another"
    good = udp_frame(200, src="02:00:00:00:00:09")
    await tb.source.send(wire_frame(good))
    assert await nic.recv() == good
    stats = await nic.rd_stat()
    assert (stats["RX_FRAMES"], stats["RX_OCTETS"]) == (1, len(good))
    for name in ("RX_RUNT", "RX_FCS_ERR", "RX_TOOLONG", "RX_FILTERED", "RX_MISSED"):
        assert stats[name] == 0, f"STAT_{name} = {stats[name]}"
    # the datasheet (Clocking and reset): the tail of a burst begun before the reset is let pass, not counted
    assert stats["RX_FRAMING"] == 0, f"STAT_RX_FRAMING = {stats['RX_FRAMING']}: the burst's tail was counted"


@testing.test()
async def test_rx_frame_past_64k_bytes(dut):
    """A carrier burst longer than any length register holds: a frame of 65536 + 100 bytes (a correct FCS by
    zlib) with MAX_FRAME_LEN at its maximum, 65535, is longer than MAX_FRAME_LEN and so dropped and counted in
    STAT_RX_TOOLONG alone (datasheet, Receive rules) — not taken for the 100-byte frame a 16-bit count would
    wrap to. A UDP frame after it is received whole with its checksums reported good."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    await nic.wr("MAX_FRAME_LEN", 0xFFFF)
    head = udp_frame(0)
    giant = head + bytes((i * 13 + 5) & 0xFF for i in range(65536 + 100 - len(head)))
    await tb.inject(wire_frame(giant))
    after = udp_frame(300)
    await tb.inject(wire_frame(after))
    assert await nic.recv() == after
    ok = regs.RX_DESC_CSUM_IP_CHK | regs.RX_DESC_CSUM_L4_CHK | regs.RX_DESC_CSUM_UDP
    assert nic.last_rx.csum == ok, f"CSUM {nic.last_rx.csum:#x}"
    stats = await nic.rd_stat()
    assert stats["RX_TOOLONG"] == 1 and stats["RX_FRAMES"] == 1, stats
    assert sum(v for n, v in stats.items() if n.startswith("RX_") and n not in ("RX_TOOLONG", "RX_FRAMES",
                                                                                 "RX_OCTETS")) == 0, stats
