"""The NIC's deeper features on one NIC (toplevel ``nic``): multi-buffer RX and
jumbo frames, frame length rules, address filtering, statistics, checksum
offload, interrupt moderation, MAC loopback, speed pacing, DMA errors,
cut-through of frames larger than the TX FIFO, no carrier, STATUS.TX_PENDING,
receive admission by RX_EN and the flush on an RX ring reset.

Frames are built with scapy; FCS and multicast hashes come from zlib.crc32 and
checksums from scapy, both independent of the RTL.
"""

from __future__ import annotations

import struct
import zlib

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer, with_timeout
from cocotbext.eth import GmiiFrame
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw
from scapy.utils import checksum

from nicdef import regs
from nicdef.desc import tx_desc
from nicsim import testing
from nicsim.faults import DmaFaults
from nicsim.nic_harness import CLK_NS, RX_BUF0, TX_EOP, TX_RS, GmiiBench, wait_until

TOPLEVEL = "nic"  # the HDL toplevel these tests run on (read by nicsim.collect)
# the DMA-heavy tests also run at a 512-bit DMA bus (the build tb_dma's wide tests share)
WIDE = {"DATA_WIDTH": 512}

MAC_STR = "02:00:00:00:00:01"
PEER_STR = "02:00:00:00:00:02"


def payload(n: int, seed: int = 0) -> bytes:
    return bytes((i * 7 + seed * 13 + 3) & 0xFF for i in range(n))


def raw_frame(dst: str, n: int, seed: int = 0) -> bytes:
    """An Ethernet frame of n bytes (no FCS) to dst."""
    return bytes(Ether(dst=dst, src=PEER_STR, type=0x88B5) / Raw(payload(n - 14, seed)))


def ether_crc32_le(addr: bytes) -> int:
    """What io-pkt drivers compute for the multicast hash: the Ethernet CRC, not inverted."""
    return zlib.crc32(addr) ^ 0xFFFFFFFF


def mc_hash_bit(mac: str) -> int:
    return ether_crc32_le(bytes.fromhex(mac.replace(":", ""))) >> 26


def inject_axi_errors(ram, lo: int, hi: int) -> None:
    """Make host memory answer SLVERR for any access in [lo, hi)."""
    DmaFaults(ram).fail_range(lo, hi)


# ----------------------------------------------------------------- receive


@testing.test(also_at=WIDE)
async def test_jumbo_multi_buffer_rx(dut):
    """MAX_FRAME_LEN 9018: a 9014-byte frame (+FCS) fills 2048-byte buffers (DD without EOP) and ends in a
    fifth (DD|EOP); no byte past any buffer's RX_BUF_SIZE nor any descriptor past TAIL is written; 9019 bytes is
    dropped as oversize; a frame needing more descriptors than HEAD..TAIL holds is dropped whole as missed."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    await nic.wr("MAX_FRAME_LEN", 9018)
    stride, region = 0x1000, 0x20000
    canary = payload(stride * 8, 77)
    nic.ram.write(region, canary)
    await nic.post_rx([region + stride * i + i for i in range(5)])  # odd offsets too
    big = raw_frame(MAC_STR, 9014, 1)
    await tb.inject(big)
    got, sts = await nic.recv_multi()
    assert got == big
    assert [s.length for s in sts] == [2048] * 4 + [9014 - 4 * 2048]
    assert [s.sta for s in sts] == [regs.RX_DESC_STA_DD] * 4 + [regs.RX_DESC_STA_DD | regs.RX_DESC_STA_EOP]
    mem = nic.ram.read(region, stride * 8)
    for i in range(5):
        start = stride * i + i
        end = start + sts[i].length
        assert mem[stride * i:start] == canary[stride * i:start]
        assert mem[end:stride * (i + 1)] == canary[end:stride * (i + 1)], f"buffer {i} overrun"
    assert nic.ram.read(nic.rx_desc_addr(5), 16) == bytes(16)

    # oversize: 9015 + FCS = 9019
    await tb.inject(raw_frame(MAC_STR, 9015, 2))
    # only 3 descriptors handed over, the frame needs 5: dropped whole, nothing written
    await nic.post_rx([region + stride * i for i in range(3)])
    await tb.inject(raw_frame(MAC_STR, 9000, 3))
    assert await nic.rd("RX_HEAD") == 5
    for i in range(5, 8):
        assert nic.ram.read(nic.rx_desc_addr(i) + 8, 8) == bytes(8), "descriptor written for a missed frame"
    # a frame that fits what is left still lands
    small = raw_frame(MAC_STR, 1000, 4)
    await tb.inject(small)
    got, sts = await nic.recv_multi()
    assert got == small and len(sts) == 1
    stats = await nic.rd_stat()
    assert stats["RX_TOOLONG"] == 1
    assert stats["RX_MISSED"] == 1
    assert stats["RX_FRAMES"] == 2
    assert stats["RX_OCTETS"] == 9014 + 1000


@testing.test(also_at=WIDE)
async def test_rx_buffer_smaller_than_frame(dut):
    """RX_BUF_SIZE 100 (not a multiple of 64): a 300-byte frame fills 64-byte chunks until the rest fits one
    buffer; no buffer is written past 100 bytes."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    await nic.wr("RX_BUF_SIZE", 100)
    region = 0x30000
    nic.ram.write(region, bytes([0xEE]) * 0x1000)
    await nic.post_rx([region + 0x100 * i + 3 for i in range(8)])
    frame = raw_frame(MAC_STR, 300, 5)
    await tb.inject(frame)
    got, sts = await nic.recv_multi()
    assert got == frame
    assert [s.length for s in sts] == [64, 64, 64, 64, 44]
    for i in range(5):
        tail = nic.ram.read(region + 0x100 * i + 3 + sts[i].length, 100 - sts[i].length)
        assert tail == bytes([0xEE]) * len(tail)


@testing.test()
async def test_address_filter(dut):
    """Station address always; broadcast only with RX_CTRL.BAM; multicast on a hash hit (ether_crc32_le >> 26),
    with ALLMULTI, or in PROMISC; other unicast only in PROMISC. Rejected frames are counted in RX_FILTERED;
    accepted broadcast/multicast in RX_BCAST/RX_MCAST."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=15)
    mc_in, mc_out = "01:00:5e:00:00:01", "33:33:00:00:00:01"
    assert mc_hash_bit(mc_in) != mc_hash_bit(mc_out)
    h = 1 << mc_hash_bit(mc_in)
    await nic.wr("MC_HASH_LO", h & 0xFFFFFFFF)
    await nic.wr("MC_HASH_HI", h >> 32)
    other = "02:00:00:00:00:99"

    async def offer(dst: str) -> bool:
        before = await nic.rd("STAT_RX_FRAMES")
        frame = raw_frame(dst, 80, 9)
        await tb.inject(frame)
        if await nic.rd("STAT_RX_FRAMES") == before:
            return False
        assert await nic.recv() == frame
        return True

    assert await nic.rd("RX_CTRL") == regs.RX_CTRL_BAM
    assert [await offer(d) for d in (MAC_STR, "ff:ff:ff:ff:ff:ff", mc_in, mc_out, other)] == \
        [True, True, True, False, False]
    await nic.wr("RX_CTRL", 0)
    assert await offer("ff:ff:ff:ff:ff:ff") is False
    await nic.wr("RX_CTRL", regs.RX_CTRL_ALLMULTI)
    assert [await offer(d) for d in (mc_out, other, "ff:ff:ff:ff:ff:ff")] == [True, False, False]
    await nic.wr("RX_CTRL", regs.RX_CTRL_PROMISC)
    assert [await offer(d) for d in (other, mc_out, "ff:ff:ff:ff:ff:ff")] == [True, True, True]
    stats = await nic.rd_stat()
    assert stats["RX_FILTERED"] == 5
    assert stats["RX_BCAST"] == 2
    assert stats["RX_MCAST"] == 3
    assert stats["RX_FRAMES"] == 7


@testing.test()
async def test_tx_stats_and_clear(dut):
    """Broadcast and multicast frames sent are counted in TX_BCAST/TX_MCAST; CTRL.STAT_CLR zeroes every
    counter and leaves the rest of CTRL alone."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    for i, dst in enumerate(("ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:07", "33:33:00:00:00:01", MAC_STR)):
        await nic.send([(0x40000 + 0x800 * i, raw_frame(dst, 64, i))])
    for _ in range(4):
        await tb.sink.recv()
    await Timer(1, unit="us")
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["TX_BCAST"], stats["TX_MCAST"]) == (4, 1, 2)
    ctrl = await nic.rd("CTRL")
    await nic.wr("CTRL", ctrl | regs.CTRL_STAT_CLR)
    assert await nic.rd("CTRL") == ctrl
    assert set((await nic.rd_stat()).values()) == {0}


# ------------------------------------------------------------ checksums


def rx_csum_cases():
    eth = Ether(dst=MAC_STR, src=PEER_STR)
    ip = IP(src="10.0.0.2", dst="10.0.0.1")
    good_udp = bytes(eth / ip / UDP(sport=1, dport=2) / Raw(payload(33)))
    good_tcp = bytes(eth / ip / TCP(sport=1, dport=2, flags="PA", seq=7) / Raw(payload(100)))
    bad_ip = bytearray(good_udp)
    bad_ip[24] ^= 0x01
    bad_udp = bytearray(good_udp)
    bad_udp[-1] ^= 0x40
    zero_udp = bytearray(good_udp)
    zero_udp[40:42] = b"\x00\x00"
    frag = bytes(eth / IP(src="10.0.0.2", dst="10.0.0.1", flags="MF") / UDP(sport=1, dport=2) / Raw(payload(40)))
    padded_tcp = bytes(eth / ip / TCP(sport=1, dport=2, flags="S"))  # 54 bytes: the MAC pads to 60
    arp = bytes(eth / ARP(pdst="10.0.0.1"))
    C = regs
    ok_ip = C.RX_DESC_CSUM_IP_CHK
    return [
        (good_udp, ok_ip | C.RX_DESC_CSUM_L4_CHK | C.RX_DESC_CSUM_UDP),
        (good_tcp, ok_ip | C.RX_DESC_CSUM_L4_CHK | C.RX_DESC_CSUM_TCP),
        (bytes(bad_ip), ok_ip | C.RX_DESC_CSUM_IP_ERR | C.RX_DESC_CSUM_L4_CHK | C.RX_DESC_CSUM_UDP),
        (bytes(bad_udp), ok_ip | C.RX_DESC_CSUM_L4_CHK | C.RX_DESC_CSUM_L4_ERR | C.RX_DESC_CSUM_UDP),
        (bytes(zero_udp), ok_ip | C.RX_DESC_CSUM_UDP),
        (frag, ok_ip | C.RX_DESC_CSUM_UDP),
        (padded_tcp + bytes(6), ok_ip | C.RX_DESC_CSUM_L4_CHK | C.RX_DESC_CSUM_TCP),
        (arp + bytes(60 - len(arp)), 0),
    ]


@testing.test()
async def test_rx_checksum_status(dut):
    """The EOP descriptor's CSUM byte reports the IPv4 header and TCP/UDP checksums as checked good, checked bad
    or not checked (UDP checksum 0, fragments, non-IP), padding beyond the IP total length ignored."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=12)
    for n, (frame, expect) in enumerate(rx_csum_cases()):
        await tb.source.send(GmiiFrame.from_payload(frame))
        assert await nic.recv() == frame
        assert nic.last_rx.csum == expect, f"case {n}: CSUM {nic.last_rx.csum:#x}, expected {expect:#x}"


def pseudo_header_sum(src: str, dst: str, proto: int, length: int) -> int:
    """The un-complemented pseudo-header sum a BSD stack seeds th_sum/uh_sum with for offload."""
    words = struct.unpack("!4H", bytes(map(int, src.split("."))) + bytes(map(int, dst.split("."))))
    s = sum(words) + proto + length
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def offload_frame(proto: str, n: int) -> tuple[bytes, bytes]:
    """(what the driver hands over: IP checksum 0, L4 checksum seeded; what must reach the wire, per scapy)."""
    l4 = TCP(sport=1000, dport=80, flags="PA", seq=1) if proto == "tcp" else UDP(sport=1000, dport=53)
    pkt = Ether(dst=PEER_STR, src=MAC_STR) / IP(src="10.0.0.1", dst="10.0.0.2", id=5) / l4 / Raw(payload(n))
    wire = bytes(Ether(bytes(pkt)))  # scapy fills in both checksums
    given = bytearray(wire)
    given[24:26] = b"\x00\x00"
    off = 34 + (16 if proto == "tcp" else 6)
    seg_len = len(wire) - 34
    given[off:off + 2] = struct.pack("!H", pseudo_header_sum("10.0.0.1", "10.0.0.2", 6 if proto == "tcp" else 17,
                                                             seg_len))
    return bytes(given), wire


@testing.test(also_at=WIDE)
async def test_tx_checksum_offload(dut):
    """TX_DESC CMD.IPCS/L4CS (first descriptor) make the NIC insert the IPv4 header and TCP/UDP checksums, across
    scatter-gather descriptors; frames without them (or another one in between) leave unchanged."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    tcp_given, tcp_wire = offload_frame("tcp", 301)
    udp_given, udp_wire = offload_frame("udp", 20)
    plain = raw_frame(PEER_STR, 100, 3)
    ip_only_given = bytearray(udp_wire)
    ip_only_given[24:26] = b"\x00\x00"

    async def send(parts: list[bytes], cmd: int) -> None:
        addr = 0x50000 + 0x2000 * send.n
        send.n += 1
        bufs = []
        for p in parts:
            bufs.append((addr, p))
            addr += len(p) + 3
        await nic.send(bufs, kick=False)
        first = nic.tx_desc_addr((nic.tx_tail - len(parts)) % nic.tx_len) + regs.TX_DESC_CMD_OFF
        nic.ram.write(first, bytes([nic.ram.read(first, 1)[0] | cmd]))

    send.n = 0
    both = regs.TX_DESC_CMD_IPCS | regs.TX_DESC_CMD_L4CS
    await send([tcp_given[:14], tcp_given[14:54], tcp_given[54:]], both)
    await send([plain], 0)
    await send([udp_given], both)
    await send([bytes(ip_only_given)], regs.TX_DESC_CMD_IPCS)
    await nic.wr("TX_TAIL", nic.tx_tail)
    def pad(f: bytes) -> bytes:
        return f + bytes(max(0, 60 - len(f)))

    for n, expect in enumerate((tcp_wire, plain, pad(udp_wire), pad(udp_wire))):
        rx = await tb.sink.recv()
        assert rx.check_fcs() and rx.error is None
        assert rx.get_payload() == expect, f"frame {n} differs"
    for frame in (tcp_wire, udp_wire):
        reparsed = Ether(frame)
        assert reparsed[IP].chksum == IP(bytes(reparsed[IP])).chksum


def zero_sum_frame(proto: str) -> tuple[bytes, bytes]:
    """(given, wire) as offload_frame gives them, for a segment whose checksum computes to 0x0000: the
    payload's first word is chosen so that the one's complement sum over pseudo-header and segment is 0xFFFF.
    ``wire`` is scapy's: 0xFFFF in a UDP header (RFC 768), 0x0000 in a TCP one (RFC 793 has no such rule)."""
    def build(word: int) -> bytes:
        l4 = TCP(sport=1000, dport=80, flags="PA", seq=7) if proto == "tcp" else UDP(sport=1000, dport=53)
        pkt = (Ether(dst=PEER_STR, src=MAC_STR) / IP(src="10.0.0.1", dst="10.0.0.2", id=9) / l4
               / Raw(struct.pack("!H", word) + payload(40, 4)))
        return bytes(Ether(bytes(pkt)))

    off = 34 + (16 if proto == "tcp" else 6)
    wire = build(struct.unpack("!H", build(0)[off:off + 2])[0])
    seg = bytearray(wire[34:])
    seg[off - 34:off - 32] = b"\x00\x00"
    assert checksum_of(proto, bytes(seg)) == 0, "the crafted segment must sum to zero"
    given = bytearray(wire)
    given[24:26] = b"\x00\x00"
    given[off:off + 2] = struct.pack("!H", pseudo_header_sum("10.0.0.1", "10.0.0.2", 6 if proto == "tcp" else 17,
                                                             len(seg)))
    return bytes(given), wire


def checksum_of(proto: str, seg: bytes) -> int:
    """The Internet checksum (RFC 1071, scapy's ``checksum``) of seg under the 10.0.0.1 -> 10.0.0.2
    pseudo-header: the value an L4 checksum field must carry, before RFC 768's 0 -> 0xFFFF."""
    pseudo = bytes([10, 0, 0, 1, 10, 0, 0, 2, 0, 6 if proto == "tcp" else 17]) + struct.pack("!H", len(seg))
    return checksum(pseudo + seg)


@testing.test()
async def test_tx_checksum_zero_result(dut):
    """TX checksum offload of a UDP datagram whose checksum computes to 0x0000 sends 0xFFFF (RFC 768: 0 means
    "no checksum"; datasheet, Checksum offload), and of a TCP segment computing to 0 sends 0x0000; the rest of
    each frame equals scapy's."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    cases = [zero_sum_frame("udp"), zero_sum_frame("tcp")]
    for n, (given, _) in enumerate(cases):
        await nic.send([(0x50000 + 0x1000 * n, given)], kick=False)
        first = nic.tx_desc_addr((nic.tx_tail - 1) % nic.tx_len) + regs.TX_DESC_CMD_OFF
        nic.ram.write(first, bytes([nic.ram.read(first, 1)[0] | regs.TX_DESC_CMD_IPCS | regs.TX_DESC_CMD_L4CS]))
    await nic.wr("TX_TAIL", nic.tx_tail)
    for (_, wire), proto, field in ((cases[0], "udp", 0xFFFF), (cases[1], "tcp", 0x0000)):
        rx = await with_timeout(tb.sink.recv(), 50, "us")
        assert rx.check_fcs() and rx.error is None
        got = bytes(rx.get_payload())
        off = 34 + (16 if proto == "tcp" else 6)
        assert struct.unpack("!H", got[off:off + 2])[0] == field, f"{proto} checksum {got[off:off + 2].hex()}"
        assert got == wire, f"{proto} frame differs from scapy's"


@testing.test()
async def test_tx_offload_past_frame_buffer(dut):
    """Offloaded frames longer than the 16 KiB checksum frame buffer (datasheet, TX_DESC LEN: "an offloaded
    one past 16 KiB is ended with gmii_tx_er"): a 16400-byte UDP frame in two descriptors leaves ended with
    gmii_tx_er (no receiver takes it). A 32766-byte offloaded frame whose TAIL stops after two descriptors, then
    refused at its third ({LEN 0, EOP}), never reaches the wire: the ring stops with CAUSE = descriptor refused.
    After a ring reset a small offloaded UDP frame leaves with scapy's checksums."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    both = regs.TX_DESC_CMD_IPCS | regs.TX_DESC_CMD_L4CS
    big_given, _ = offload_frame("udp", 16400 - 42)
    nic.ram.write(0x40000, big_given)
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(0x40000, 16383, both))
    nic.ram.write(nic.tx_desc_addr(1), tx_desc(0x40000 + 16383, len(big_given) - 16383, TX_EOP | TX_RS))
    await nic.wr("TX_TAIL", 2)
    rx = await with_timeout(tb.sink.recv(), 400, "us")
    assert any(rx.error or []), "an offloaded frame past the frame buffer must end with gmii_tx_er"

    # 2 x 16383 bytes handed over, the rest of the frame not yet: the buffer overflows and waits
    huge = payload(2 * 16383, 6)
    nic.ram.write(0x80000, huge)
    nic.ram.write(nic.tx_desc_addr(2), tx_desc(0x80000, 16383, both))
    nic.ram.write(nic.tx_desc_addr(3), tx_desc(0x80000 + 16383, 16383, 0))
    await nic.wr("TX_TAIL", 4)
    await Timer(300, unit="us")
    assert await nic.rd("TX_HEAD") == 4
    nic.ram.write(nic.tx_desc_addr(4), tx_desc(0x90000, 0, TX_EOP | TX_RS))
    await nic.wr("TX_TAIL", 5)
    await Timer(20, unit="us")
    assert tb.sink.empty(), "a frame cut by a refused descriptor reached the wire"
    await nic.expect_stopped("TX", nic.tx_desc_addr(4), regs.DMA_ERR_CAUSE_DESC << regs.TX_ERR_INFO_CAUSE_SHIFT)

    # ring reset (TAIL, then LEN) and a small offloaded frame
    await nic.wr("TX_TAIL", 0)
    await nic.wr("TX_LEN", 16)
    nic.tx_tail = 0
    udp_given, udp_wire = offload_frame("udp", 40)
    await nic.send([(0xA0000, udp_given)], kick=False)
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(0xA0000, len(udp_given), TX_EOP | TX_RS | both))
    await nic.wr("TX_TAIL", 1)
    rx = await with_timeout(tb.sink.recv(), 50, "us")
    assert rx.check_fcs() and rx.error is None
    assert bytes(rx.get_payload()) == udp_wire
    await Timer(5, unit="us")
    assert tb.sink.empty()


@testing.test()
async def test_tx_cut_through_starved(dut):
    """A frame past the TX FIFO goes out cut-through (datasheet, TX_DESC LEN); when its driver hands over only
    its first two 16383-byte descriptors, the MAC runs out of bytes mid-frame. It keeps the carrier and marks
    the gap with gmii_tx_er (IEEE 802.3 35.2.2.5: transmit error propagation), so the frame, completed once the
    third descriptor comes, is one no receiver accepts; the next frame leaves clean."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    big = raw_frame(PEER_STR, 2 * 16383 + 200, 9)
    nic.ram.write(0x40000, big)
    nic.ram.write(nic.tx_desc_addr(0), tx_desc(0x40000, 16383, 0))
    nic.ram.write(nic.tx_desc_addr(1), tx_desc(0x40000 + 16383, 16383, 0))
    nic.ram.write(nic.tx_desc_addr(2), tx_desc(0x40000 + 2 * 16383, 200, TX_EOP | TX_RS))
    await nic.wr("TX_TAIL", 2)
    await Timer(300, unit="us")  # 32766 bytes at a byte a clock: the MAC has sent them all
    assert dut.gmii_tx_en.value == 1, "cut-through: the frame is already on the wire"
    await nic.wr("TX_TAIL", 3)
    rx = await with_timeout(tb.sink.recv(), 50, "us")
    assert any(rx.error or []), "a starved frame must carry gmii_tx_er"
    small = raw_frame(PEER_STR, 100, 10)
    nic.ram.write(0x70000, small)
    nic.ram.write(nic.tx_desc_addr(3), tx_desc(0x70000, len(small), TX_EOP | TX_RS))
    await nic.wr("TX_TAIL", 4)
    rx = await with_timeout(tb.sink.recv(), 50, "us")
    assert rx.check_fcs() and rx.error is None and bytes(rx.get_payload()) == small


# ------------------------------------------------------ interrupts, loopback, speed


class EdgeLog:
    def __init__(self, sig):
        self.times: list[int] = []
        cocotb.start_soon(self._run(sig))

    async def _run(self, sig) -> None:
        while True:
            await RisingEdge(sig)
            self.times.append(cocotb.utils.get_sim_time("ns"))


@testing.test()
async def test_interrupt_moderation(dut):
    """INT_THROTTLE = N holds irq's rising edges at least N * 256 ns apart (the cause waits, it is not lost);
    0 lets every edge through at once."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    edges = EdgeLog(dut.irq)
    await nic.wr("INT_MASK_SET", regs.INT_ALL)

    async def pulses(count: int) -> list[int]:
        edges.times.clear()
        for _ in range(count):
            await nic.wr("INT_CAUSE_SET", regs.INT_LINK)
            await nic.wr("INT_CAUSE", regs.INT_ALL)
        await Timer(20, unit="us")
        return list(edges.times)

    free = await pulses(4)
    assert len(free) == 4
    await nic.wr("INT_THROTTLE", 20)  # 5.12 us
    assert await nic.rd("INT_THROTTLE") == 20
    throttled = await pulses(2)
    assert len(throttled) == 1, throttled  # the second cause was cleared before the window opened
    edges.times.clear()
    await nic.wr("INT_CAUSE_SET", regs.INT_LINK)
    t0 = cocotb.utils.get_sim_time("ns")
    await nic.wr("INT_CAUSE", regs.INT_ALL)
    await nic.wr("INT_CAUSE_SET", regs.INT_TX_DONE)
    await Timer(20, unit="us")
    assert len(edges.times) == 2
    assert edges.times[1] - edges.times[0] >= 20 * regs.INT_THROTTLE_UNIT_NS
    assert edges.times[1] - t0 < 20 * regs.INT_THROTTLE_UNIT_NS + 200


@testing.test()
async def test_mac_loopback(dut):
    """CTRL.LOOPBACK: a transmitted frame comes back into the RX ring; nothing appears on gmii_tx and frames
    on gmii_rx are ignored."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | regs.CTRL_LOOPBACK)
    frame = raw_frame(MAC_STR, 200, 4)
    await nic.send([(0x40001, frame)])
    await tb.source.send(GmiiFrame.from_payload(raw_frame(MAC_STR, 90, 5)))
    assert await nic.recv() == frame
    await Timer(2, unit="us")
    assert tb.sink.empty()
    stats = await nic.rd_stat()
    assert stats["RX_FRAMES"] == 1 and stats["TX_FRAMES"] == 1


async def paced_capture(dut, div: int) -> tuple[bytes, int]:
    """Sample gmii_txd on the first clock of tx_en and every div clocks after; returns the bytes and the number
    of byte times tx_en stayed high."""
    await RisingEdge(dut.gmii_tx_en)
    await FallingEdge(dut.clk)
    data = bytearray()
    while int(dut.gmii_tx_en.value):
        data.append(int(dut.gmii_txd.value))
        await ClockCycles(dut.clk, div, rising=False)
    return bytes(data), len(data)


@testing.test()
async def test_speed_pacing(dut):
    """CTRL.SPEED 100 and 10 Mb/s: each GMII byte lasts 10 or 100 clocks (sampled once per byte time the
    frame is preamble, data, FCS per zlib), and the receiver, in MAC loopback, takes frames at the same pace."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    for speed, div in ((regs.SPEED_100, 10), (regs.SPEED_10, 100)):
        await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | (speed << regs.CTRL_SPEED_SHIFT))
        assert int(dut.mac_speed.value) == speed
        frame = raw_frame(PEER_STR, 60, speed)
        cap = cocotb.start_soon(paced_capture(dut, div))
        await nic.send([(0x40000, frame)])
        data, n = await cap
        assert data == b"\x55" * 7 + b"\xd5" + frame + struct.pack("<L", zlib.crc32(frame)), f"div {div}"
        assert n == 72
        await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | regs.CTRL_LOOPBACK
                     | (speed << regs.CTRL_SPEED_SHIFT))
        loop = raw_frame(MAC_STR, 64, speed + 10)
        await nic.send([(0x41000, loop)])
        assert await nic.recv(timeout_us=200) == loop


# ------------------------------------------------------------ DMA errors


@testing.test(also_at=WIDE)
async def test_rx_dma_error_and_ring_reset(dut):
    """A SLVERR on an RX buffer write stops the RX ring (STATUS.RX_STOPPED), raises DMA_ERR, latches the burst
    address and DMA_ERR_INFO, writes no descriptor back. Recovery without a device reset, as the datasheet gives
    it: with RX_EN kept set (descriptors, RX_TAIL, then RX_LEN while stopped) the frame that waited in the FIFO
    is delivered; with RX_EN cleared first, the ring reset flushes it and counts it in RX_MISSED instead."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    bad = 0x70000
    inject_axi_errors(nic.ram, bad, bad + 0x1000)
    await nic.wr("INT_MASK_CLR", regs.INT_ALL)
    await nic.post_rx([bad + 0x10])
    await tb.inject(raw_frame(MAC_STR, 100, 1))
    assert await nic.rd("INT_CAUSE") & regs.INT_DMA_ERR
    status = await nic.rd("STATUS")
    assert status & regs.STATUS_RX_STOPPED and not status & regs.STATUS_RX_BUSY
    assert await nic.rd("DMA_ERR_ADDR_LO") == bad + 0x10 - (0x10 % nic.bursts.data_bytes)
    assert await nic.rd("DMA_ERR_ADDR_HI") == 0
    assert await nic.rd("DMA_ERR_INFO") == (regs.DMA_ERR_INFO_RX | regs.DMA_ERR_INFO_WRITE
                                             | (2 << regs.DMA_ERR_INFO_RESP_SHIFT))
    # the receive engine's own latch says the same
    assert await nic.rd("RX_ERR_ADDR_LO") == await nic.rd("DMA_ERR_ADDR_LO")
    assert await nic.rd("RX_ERR_INFO") == regs.RX_ERR_INFO_WRITE | (2 << regs.RX_ERR_INFO_RESP_SHIFT)
    assert await nic.rd("TX_ERR_INFO") == 0
    assert nic.rx_status(0).sta == 0
    assert (await nic.rd_stat())["DMA_ERR"] == 1
    waiting = raw_frame(MAC_STR, 100, 2)
    await tb.inject(waiting)  # admitted (RX_EN is set), waits in the FIFO while the ring is stopped

    # recovery that keeps the waiting frames: RX_EN stays set, descriptors rebuilt, RX_TAIL, then RX_LEN
    nic.ram.write(nic.rx_desc_addr(0), bytes(regs.DESC_SIZE * 16))
    nic.rx_tail = nic.rx_next = 0
    await nic.post_rx([RX_BUF0, RX_BUF0 + 0x800])
    assert await nic.rd("STATUS") & regs.STATUS_RX_STOPPED, "writing RX_TAIL does not restart the ring"
    await nic.wr("RX_LEN", 16)
    assert await nic.recv() == waiting
    frame = raw_frame(MAC_STR, 300, 3)
    await tb.inject(frame)
    assert await nic.recv() == frame
    assert (await nic.rd_stat())["RX_MISSED"] == 0

    # a second error, then the other recovery: RX off, ring reset, buffers, RX on
    await nic.post_rx([bad + 0x20])
    await tb.inject(raw_frame(MAC_STR, 100, 4))
    assert await nic.rd("STATUS") & regs.STATUS_RX_STOPPED
    stale = raw_frame(MAC_STR, 100, 5)
    await tb.inject(stale)  # waits in the FIFO
    await nic.wr("INT_CAUSE", regs.INT_ALL)
    await nic.wr("CTRL", regs.CTRL_TX_EN)
    await nic.wr("RX_LEN", 16)
    nic.ram.write(nic.rx_desc_addr(0), bytes(regs.DESC_SIZE * 16))
    nic.rx_tail = nic.rx_next = 0
    assert not await nic.rd("STATUS") & regs.STATUS_RX_STOPPED
    await nic.post_rx([RX_BUF0, RX_BUF0 + 0x800])
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    stats = await nic.rd_stat()
    assert stats["RX_MISSED"] == 1, "the stale frame is flushed and counted"
    assert await nic.rd("INT_CAUSE") & regs.INT_RX_MISS
    frame = raw_frame(MAC_STR, 200, 6)
    await tb.inject(frame)
    assert await nic.recv() == frame, "the rebuilt ring's first descriptor gets the new frame, not the stale one"
    assert (await nic.rd_stat())["RX_FRAMES"] == 3


@testing.test(also_at=WIDE)
async def test_tx_dma_error_and_ring_reset(dut):
    """A SLVERR on a TX buffer read mid-frame stops the TX ring; the partial frame, which the MAC has not started
    (store-and-forward), is discarded: nothing reaches the wire and no STAT_TX_* counter counts it. A frame left
    half-fetched by a TAIL between its descriptors is discarded the same way by a ring reset (and does not hold
    STATUS.TX_PENDING meanwhile); after TX_LEN is rewritten the next frame leaves intact."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    tx_en_edges = EdgeLog(dut.gmii_tx_en)
    bad = 0x70000
    inject_axi_errors(nic.ram, bad, bad + 0x1000)
    good = raw_frame(PEER_STR, 300, 1)
    await nic.send([(0x40000, good[:100]), (bad + 8, good[100:])])
    await wait_until(lambda: int(dut.irq.value), 50)  # DMA_ERR
    await Timer(2, unit="us")
    assert tb.sink.empty() and len(tx_en_edges.times) == 0, "the cut frame must not reach the wire"
    assert not await nic.rd("STATUS") & regs.STATUS_TX_PENDING
    assert await nic.rd("INT_CAUSE") & regs.INT_DMA_ERR
    assert await nic.rd("STATUS") & regs.STATUS_TX_STOPPED
    assert await nic.rd("DMA_ERR_INFO") == regs.DMA_ERR_INFO_TX | (2 << regs.DMA_ERR_INFO_RESP_SHIFT)
    assert await nic.rd("DMA_ERR_ADDR_LO") == bad + 8 - (8 % nic.bursts.data_bytes)

    async def ring_reset() -> None:
        await nic.wr("TX_TAIL", 0)  # TAIL first, so the engine has nothing to fetch once HEAD is 0
        await nic.wr("TX_LEN", 16)
        nic.tx_tail = 0
        await Timer(200, unit="ns")

    await ring_reset()
    assert not await nic.rd("STATUS") & regs.STATUS_TX_STOPPED
    # TX disabled mid-frame: only the first of two descriptors handed over
    half = raw_frame(PEER_STR, 200, 2)
    await nic.send([(0x41000, half[:80]), (0x42000, half[80:])], kick=False)
    await nic.wr("TX_TAIL", 1)
    await Timer(2, unit="us")
    assert tb.sink.empty()
    assert not await nic.rd("STATUS") & (regs.STATUS_TX_BUSY | regs.STATUS_TX_PENDING), \
        "an unfinished frame cannot leave on its own, so it does not hold TX_PENDING"
    await nic.wr("CTRL", regs.CTRL_RX_EN)
    await ring_reset()
    await Timer(2, unit="us")
    assert tb.sink.empty() and len(tx_en_edges.times) == 0, "the half-fetched frame must not reach the wire"
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    after = raw_frame(PEER_STR, 150, 3)
    await nic.send([(0x43000, after)])
    rx = await with_timeout(tb.sink.recv(), 50, "us")
    assert rx.get_payload() == after and rx.check_fcs() and not any(rx.error or [])
    await Timer(1, unit="us")
    assert len(tx_en_edges.times) == 1
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["TX_OCTETS"], stats["TX_NO_CARRIER"]) == (1, len(after), 0)


@testing.test(also_at=WIDE)
async def test_tx_larger_than_fifo_cut_through(dut):
    """A frame larger than the 16 KiB TX FIFO goes out cut-through, intact (FCS per zlib) and counted; one cut by
    a DMA error after the MAC started it is ended with gmii_tx_er (the only case a cut frame reaches the wire);
    after a ring reset the next frame leaves intact."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    big = raw_frame(PEER_STR, 20000, 1)
    await nic.send([(0x40003, big[:10000]), (0x50001, big[10000:])])
    rx = await with_timeout(tb.sink.recv(), 400, "us")
    assert rx.get_payload() == big and rx.get_fcs() == struct.pack("<L", zlib.crc32(big))
    assert not any(rx.error or [])
    await Timer(1, unit="us")
    stats = await nic.rd_stat()
    assert (stats["TX_FRAMES"], stats["TX_OCTETS"]) == (1, len(big))

    bad = 0x70000
    inject_axi_errors(nic.ram, bad, bad + 0x1000)
    # 16000 bytes fill the FIFO: the MAC starts the frame before the engine reaches the failing buffer
    await nic.send([(0x40003, big[:10000]), (0x50001, big[10000:16000]), (bad, big[16000:])])
    rx = await with_timeout(tb.sink.recv(), 400, "us")
    assert rx.error is not None and any(rx.error), "a frame cut while going out must carry tx_er"
    assert big[14:16000] in bytes(rx.data)
    assert await nic.rd("STATUS") & regs.STATUS_TX_STOPPED
    await nic.wr("TX_TAIL", 0)
    await nic.wr("TX_LEN", 16)
    nic.tx_tail = 0
    after = raw_frame(PEER_STR, 150, 3)
    await nic.send([(0x43000, after)])
    rx = await with_timeout(tb.sink.recv(), 50, "us")
    assert rx.get_payload() == after and rx.check_fcs() and not any(rx.error or [])


@testing.test()
async def test_each_engine_latches_its_own_dma_error(dut):
    """A transmit buffer read and a receive buffer write both fail before software looks: DMA_ERR_* holds only
    the last, but TX_ERR_* and RX_ERR_* each hold their own engine's address and access, so a driver can tell
    a write-back failure from a read failure on each ring."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    bad_tx, bad_rx = 0x70000, 0x78000
    inject_axi_errors(nic.ram, bad_tx, bad_tx + 0x1000)
    inject_axi_errors(nic.ram, bad_rx, bad_rx + 0x1000)
    await nic.post_rx([bad_rx + 0x20])
    await nic.send([(bad_tx + 0x18, raw_frame(PEER_STR, 80, 1))])
    await tb.inject(raw_frame(MAC_STR, 100, 2))
    status = await nic.rd("STATUS")
    assert status & regs.STATUS_TX_STOPPED and status & regs.STATUS_RX_STOPPED
    w = nic.bursts.data_bytes
    assert await nic.rd("TX_ERR_ADDR_LO") == (bad_tx + 0x18) // w * w
    assert await nic.rd("TX_ERR_INFO") == 2 << regs.TX_ERR_INFO_RESP_SHIFT  # a read
    assert await nic.rd("RX_ERR_ADDR_LO") == (bad_rx + 0x20) // w * w
    assert await nic.rd("RX_ERR_INFO") == regs.RX_ERR_INFO_WRITE | (2 << regs.RX_ERR_INFO_RESP_SHIFT)
    assert (await nic.rd_stat())["DMA_ERR"] == 2
    assert await nic.rd("DMA_ERR_INFO") & regs.DMA_ERR_INFO_RX  # the last one


@testing.test(also_at=WIDE)
async def test_dma_beyond_host_memory_gets_decerr(dut):
    """Host memory (1 MiB) ends where its size says, as on a real bus: an RX buffer posted past its end gets
    DECERR for its write, the RX ring stops with the address in RX_ERR_ADDR and RESP=3 in RX_ERR_INFO
    (INT_CAUSE.DMA_ERR); a TX buffer past the end gets DECERR for its read (TX_ERR_*) and nothing reaches the
    wire. No byte of memory changes: a wrapping memory would have written the frame at the address modulo the
    size and reported it received (datasheet "DMA errors")."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    size = nic.ram.size
    beyond_rx, beyond_tx = 2 * size + 0x3000, size + 0x5008
    await nic.post_rx([beyond_rx])
    await nic.wr("INT_CAUSE", regs.INT_ALL)
    before = bytes(nic.ram.read(0, size))
    await tb.inject(raw_frame(MAC_STR, 100, 1))
    await nic.expect_stopped("RX", beyond_rx, regs.RX_ERR_INFO_WRITE | (3 << regs.RX_ERR_INFO_RESP_SHIFT))
    assert bytes(nic.ram.read(0, size)) == before, "the receive DMA changed host memory (wrapped)"

    frame = raw_frame(PEER_STR, 80, 2)
    nic.ram.write(nic.tx_desc_addr(nic.tx_tail), tx_desc(beyond_tx, len(frame), TX_EOP | TX_RS))
    nic.ram.write(beyond_tx % size, frame)  # where a wrapping memory would read it from
    nic.tx_tail = (nic.tx_tail + 1) % nic.tx_len
    await nic.wr("INT_CAUSE", regs.INT_ALL)
    before = bytes(nic.ram.read(0, size))
    await nic.wr("TX_TAIL", nic.tx_tail)
    await wait_until(lambda: tb.dut.irq.value == 1, timeout_us=50)
    w = nic.bursts.data_bytes
    await nic.expect_stopped("TX", beyond_tx // w * w, 3 << regs.TX_ERR_INFO_RESP_SHIFT, dma_errors=2)
    await Timer(5, unit="us")
    assert tb.sink.empty(), "the frame behind the bad buffer reached the wire"
    assert bytes(nic.ram.read(0, size)) == before, "the transmit engine wrote host memory back"
    assert (await nic.rd_stat())["DMA_ERR"] == 2


@testing.test()
async def test_tx_ring_reset_while_a_cut_frame_is_being_ended(dut):
    """At 10 Mb/s a descriptor fetch fails just after a cut-through frame has filled the TX FIFO: the engine must
    wait for a free word to end the frame, and reports TX_STOPPED meanwhile. A ring reset (TAIL, then LEN) that
    lands in that wait restarts the ring: the engine ends the cut frame, then fetches the new descriptors,
    instead of stopping for good with nothing left to tell the driver."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | (regs.SPEED_10 << regs.CTRL_SPEED_SHIFT))
    big = raw_frame(PEER_STR, 20000, 1)
    # the third descriptor's fetch fails once the first two (17000 bytes) have filled the FIFO
    inject_axi_errors(nic.ram, nic.tx_desc_addr(2) & ~7, (nic.tx_desc_addr(2) & ~7) + 8)
    await nic.send([(0x40003, big[:10000]), (0x50001, big[10000:17000]), (0x60000, big[17000:])])
    waited = 0
    while not await nic.rd("STATUS") & regs.STATUS_TX_STOPPED:
        assert waited < 2_000_000, "the failing fetch never stopped the ring"
        await Timer(200, unit="ns")
        waited += 200
    nic.tx_tail = 0
    after = raw_frame(PEER_STR, 100, 2)
    await nic.send([(0x43000, after)], kick=False)
    await nic.wr("TX_TAIL", nic.tx_tail)
    await nic.wr("TX_LEN", 16)
    await wait_until(lambda: nic.tx_sta(0) & regs.TX_DESC_STA_DD, timeout_us=600)
    assert not await nic.rd("STATUS") & regs.STATUS_TX_STOPPED


async def wait_status_clear(nic, bits: int, timeout_us: float = 200, poll_ns: int = 200) -> int:
    """Poll STATUS until bits are clear; returns the simulated time (ns) it happened at."""
    waited = 0
    while await nic.rd("STATUS") & bits:
        assert waited < timeout_us * 1000, f"STATUS bits {bits:#x} stayed set"
        await Timer(poll_ns, unit="ns")
        waited += poll_ns
    return cocotb.utils.get_sim_time("ns")


@testing.test()
async def test_tx_no_carrier(dut):
    """With phy_link_up low a frame due to start is discarded, not sent: gmii_tx_en never rises, STAT_TX_NO_CARRIER
    counts it and no other STAT_TX_* counter does, its descriptor still gets DD, and it drains at one byte per
    clock even at 10 Mb/s. In MAC loopback the link does not matter. After the link rises the next frame is sent
    (FCS per zlib, TX_OCTETS its bytes); a frame already on the wire when the link drops is finished."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    tx_en_edges = EdgeLog(dut.gmii_tx_en)
    dut.phy_link_up.value = 0
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | (regs.SPEED_10 << regs.CTRL_SPEED_SHIFT))
    lost = raw_frame("ff:ff:ff:ff:ff:ff", 1500, 1)
    t0 = cocotb.utils.get_sim_time("ns")
    [idx] = await nic.send([(0x40000, lost)])
    await wait_until(lambda: nic.tx_sta(idx) & regs.TX_DESC_STA_DD, 100)
    t1 = await wait_status_clear(nic, regs.STATUS_TX_BUSY | regs.STATUS_TX_PENDING)
    # sent at 10 Mb/s it would take 100 clocks a byte; discarded, one byte a clock (plus fetch and polling)
    assert len(lost) * CLK_NS <= t1 - t0 < 3 * len(lost) * CLK_NS, t1 - t0
    assert len(tx_en_edges.times) == 0 and tb.sink.empty()
    stats = await nic.rd_stat()
    assert stats["TX_NO_CARRIER"] == 1
    assert stats["TX_FRAMES"] == stats["TX_OCTETS"] == stats["TX_BCAST"] == stats["TX_MCAST"] == 0

    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | regs.CTRL_LOOPBACK)
    looped = raw_frame(MAC_STR, 200, 2)
    await nic.send([(0x41000, looped)])
    assert await nic.recv() == looped, "in loopback the link is irrelevant"

    dut.phy_link_up.value = 1
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    sent = raw_frame(PEER_STR, 100, 3)
    await nic.send([(0x42000, sent)])
    rx = await with_timeout(tb.sink.recv(), 50, "us")
    assert rx.get_payload() == sent and rx.get_fcs() == struct.pack("<L", zlib.crc32(sent))

    long = raw_frame(PEER_STR, 1500, 4)
    await nic.send([(0x43000, long)])
    await RisingEdge(dut.gmii_tx_en)
    await Timer(2, unit="us")
    dut.phy_link_up.value = 0
    rx = await with_timeout(tb.sink.recv(), 50, "us")
    assert rx.get_payload() == long and not any(rx.error or [])
    await Timer(1, unit="us")
    stats = await nic.rd_stat()
    assert stats["TX_NO_CARRIER"] == 1
    assert (stats["TX_FRAMES"], stats["TX_OCTETS"]) == (3, len(looped) + len(sent) + len(long))
    assert stats["TX_BCAST"] == 0


@testing.test()
async def test_tx_pending_until_fetched_frames_leave(dut):
    """STATUS.TX_PENDING: 0 at rest; after CTRL.TX_EN is cleared and TX_BUSY has fallen it stays 1 while frames
    the driver already saw DD for (one of them checksum-offloaded, so held in the frame buffer) are still on
    their way; it falls only once every one of them is on the wire, so a ring reset then loses nothing."""
    tb = GmiiBench(dut)
    nic = await tb.start(rx_buffers=0)
    assert not await nic.rd("STATUS") & regs.STATUS_TX_PENDING
    # 1500-byte frames: the DMA fetches one in a fraction of the 12 us it takes on the wire
    given, wire = offload_frame("udp", 1400)
    frames = [raw_frame(PEER_STR, 1500, 1), given, *(raw_frame(PEER_STR, 1500, n) for n in range(3, 7))]
    expect = [frames[0], wire, *frames[2:]]
    last = []
    for i, f in enumerate(frames):
        last += await nic.send([(0x40000 + 0x1000 * i, f)], kick=False)
    first = nic.tx_desc_addr(last[1]) + regs.TX_DESC_CMD_OFF
    nic.ram.write(first, bytes([nic.ram.read(first, 1)[0] | regs.TX_DESC_CMD_IPCS | regs.TX_DESC_CMD_L4CS]))
    await nic.wr("TX_TAIL", nic.tx_tail)
    await wait_until(lambda: nic.tx_sta(last[2]) & regs.TX_DESC_STA_DD, 50, poll_ns=80)
    await nic.wr("CTRL", regs.CTRL_RX_EN)
    await wait_status_clear(nic, regs.STATUS_TX_BUSY)
    done = [i for i in last if nic.tx_sta(i) & regs.TX_DESC_STA_DD]
    assert 3 <= len(done) < len(frames) and done == last[:len(done)]
    on_wire = 0 if tb.sink.empty() else tb.sink.count()
    assert on_wire < len(done) and await nic.rd("STATUS") & regs.STATUS_TX_PENDING
    await wait_status_clear(nic, regs.STATUS_TX_PENDING, timeout_us=400)
    await Timer(100, unit="ns")  # the sink sees tx_en fall a clock after the last FCS byte
    assert tb.sink.count() == len(done), "every frame with DD is on the wire once TX_PENDING falls"
    await nic.wr("TX_TAIL", 0)
    await nic.wr("TX_LEN", 16)
    await Timer(5, unit="us")
    got = [await tb.sink.recv() for _ in done]
    assert [f.get_payload() for f in got] == [e + bytes(max(0, 60 - len(e))) for e in expect[:len(done)]]
    assert tb.sink.empty()
    assert (await nic.rd_stat())["TX_FRAMES"] == len(done)


@testing.test()
async def test_rx_disable_mid_frame(dut):
    """Clearing CTRL.RX_EN while a frame is arriving: the frame is received and checked, but RX_EN is clear at its
    end, so it is dropped and counted in RX_MISSED (raising RX_MISS); no descriptor or buffer is touched and
    STATUS.RX_BUSY is clear. A frame that was already waiting in the RX FIFO when RX_EN was cleared (the DMA
    busy with a jumbo frame before it) stays there and lands whole once RX_EN is set again."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    await nic.wr("INT_MASK_CLR", regs.INT_ALL)
    await nic.wr("MAX_FRAME_LEN", 9018)
    nic.ram.write(RX_BUF0, bytes(0x800))
    cut = raw_frame(MAC_STR, 1500, 6)
    await tb.source.send(GmiiFrame.from_payload(cut))
    await RisingEdge(dut.gmii_rx_dv)
    await Timer(4, unit="us")  # about a third of the frame is on the wire
    await nic.wr("CTRL", regs.CTRL_TX_EN)
    await tb.source.wait()
    await Timer(1, unit="us")
    assert not await nic.rd("STATUS") & regs.STATUS_RX_BUSY
    assert nic.rx_status(0).sta == 0 and nic.ram.read(RX_BUF0, 0x800) == bytes(0x800)
    stats = await nic.rd_stat()
    assert (stats["RX_MISSED"], stats["RX_FRAMES"], stats["RX_FIFO_OVF"]) == (1, 0, 0)
    assert await nic.rd("INT_CAUSE") & regs.INT_RX_MISS

    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    jumbo, waiting = raw_frame(MAC_STR, 9000, 7), raw_frame(MAC_STR, 100, 8)
    await tb.source.send(GmiiFrame.from_payload(jumbo))
    await tb.source.send(GmiiFrame.from_payload(waiting))
    for _ in range(2):
        await FallingEdge(dut.gmii_rx_dv)  # the waiting frame has ended: admitted with RX_EN set
    await Timer(100, unit="ns")
    await nic.wr("CTRL", regs.CTRL_TX_EN)  # while the DMA still moves the jumbo frame
    got, sts = await nic.recv_multi()
    assert got == jumbo and len(sts) == 5
    await Timer(2, unit="us")
    assert not await nic.rd("STATUS") & regs.STATUS_RX_BUSY
    assert nic.rx_status(nic.rx_next).sta == 0, "a waiting frame must not be delivered while RX_EN is clear"
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    assert await nic.recv() == waiting
    stats = await nic.rd_stat()
    assert (stats["RX_MISSED"], stats["RX_FRAMES"]) == (1, 2)


@testing.test()
async def test_rx_frames_while_disabled_are_missed(dut):
    """With CTRL.RX_EN clear the MAC still receives and checks every frame: good ones (unicast, broadcast) are
    dropped and counted in RX_MISSED with RX_MISS; bad ones (FCS per zlib, runt, too long, filtered) in their own
    counters, each exactly once; nothing is written to host memory. Once RX_EN is set the next frame lands in the
    first descriptor."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    await nic.wr("INT_MASK_CLR", regs.INT_ALL)
    canary = payload(0x800 * 8, 9)
    nic.ram.write(RX_BUF0, canary)
    ring = nic.ram.read(nic.rx_desc_addr(0), regs.DESC_SIZE * 16)
    await nic.wr("CTRL", regs.CTRL_TX_EN)
    good = raw_frame(MAC_STR, 100, 1)
    bad_fcs = GmiiFrame.from_raw_payload(good + struct.pack("<L", zlib.crc32(good) ^ 1))
    for frame in (good, raw_frame("ff:ff:ff:ff:ff:ff", 80, 2), bad_fcs,
                  GmiiFrame.from_payload(raw_frame(MAC_STR, 40, 3), min_len=0),
                  raw_frame(MAC_STR, 1600, 4), raw_frame("02:00:00:00:00:99", 90, 5)):
        await tb.inject(frame)
    stats = await nic.rd_stat()
    assert (stats["RX_MISSED"], stats["RX_FCS_ERR"], stats["RX_RUNT"], stats["RX_TOOLONG"],
            stats["RX_FILTERED"]) == (2, 1, 1, 1, 1), stats
    assert stats["RX_FRAMES"] == stats["RX_OCTETS"] == stats["RX_BCAST"] == stats["RX_FIFO_OVF"] == 0
    assert await nic.rd("INT_CAUSE") == regs.INT_RX_MISS
    assert await nic.rd("RX_HEAD") == 0
    assert nic.ram.read(RX_BUF0, len(canary)) == canary
    assert nic.ram.read(nic.rx_desc_addr(0), regs.DESC_SIZE * 16) == ring
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    frame = raw_frame(MAC_STR, 120, 6)
    await tb.inject(frame)
    assert await nic.recv() == frame and nic.last_rx.addr == RX_BUF0
    assert (await nic.rd_stat())["RX_MISSED"] == 2


@testing.test()
async def test_rx_ring_reset_flushes_waiting_frames(dut):
    """A receive ring reset (RX_LEN) while RX_EN is clear discards every frame waiting in the RX FIFO, each counted
    in RX_MISSED (raising RX_MISS), so the rebuilt ring never receives a stale frame; a frame arriving after the
    reset, with RX_EN set again, lands in the rebuilt ring's first descriptor."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    await nic.wr("INT_MASK_CLR", regs.INT_ALL)
    await nic.wr("MAX_FRAME_LEN", 9018)
    jumbo = raw_frame(MAC_STR, 9000, 1)
    stale = [raw_frame(MAC_STR, 100 + i, 10 + i) for i in range(3)]
    for frame in (jumbo, *stale):
        await tb.source.send(GmiiFrame.from_payload(frame))
    for _ in range(4):
        await FallingEdge(dut.gmii_rx_dv)  # the last stale frame has ended: all three admitted
    await Timer(100, unit="ns")
    await nic.wr("CTRL", regs.CTRL_TX_EN)  # while the DMA still moves the jumbo frame
    got, _ = await nic.recv_multi()
    assert got == jumbo
    await wait_status_clear(nic, regs.STATUS_RX_BUSY)
    assert (await nic.rd_stat())["RX_MISSED"] == 0, "the three wait in the FIFO"

    await nic.wr("RX_LEN", 16)
    region = 0x30000
    nic.ram.write(region, payload(0x2000, 3))
    nic.ram.write(nic.rx_desc_addr(0), bytes(regs.DESC_SIZE * 16))
    nic.rx_tail = nic.rx_next = 0
    await nic.post_rx([region + 0x800 * i for i in range(4)])
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    await Timer(2, unit="us")
    stats = await nic.rd_stat()
    assert (stats["RX_MISSED"], stats["RX_FRAMES"]) == (3, 1)
    assert await nic.rd("INT_CAUSE") & regs.INT_RX_MISS
    assert nic.rx_status(0).sta == 0 and nic.ram.read(region, 0x2000) == payload(0x2000, 3)
    fresh = raw_frame(MAC_STR, 200, 20)
    await tb.inject(fresh)
    assert await nic.recv() == fresh and nic.last_rx.addr == region
