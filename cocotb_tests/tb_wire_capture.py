"""The pcap of each wire, read back with scapy as Wireshark would read it: the
cable of nic_pair_tb (HDL capture, rtl/tb/gmii_pcap.v) in a ping between two
hosts and in a frame a MAC at the wrong speed garbles, and the two wires of
the one-NIC bench (cocotbext-eth models, nicsim.pcap.record_gmii) with good
and bad frames. Run with NICSIM_ARTIFACTS naming an empty folder
(test_wire_capture.py does)."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import cocotb
from cocotb.triggers import Timer
from cocotb.utils import get_sim_time, get_time_from_sim_steps
from cocotbext.eth import GmiiFrame
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether
from scapy.utils import rdpcap

from nicdef import regs
from nicsim.nic_harness import GmiiBench, NicHarness, start_clock_and_reset, wait_until
from nicsim.two_hosts import bring_up_pair, build_hosts

MAC_A, MAC_B = "02:00:00:00:0a:01", "02:00:00:00:0b:01"  # two_hosts' stations, as its docs give them
IP_A, IP_B = "10.0.0.1", "10.0.0.2"
BROADCAST = "ff:ff:ff:ff:ff:ff"
PREAMBLE_SFD = b"\x55" * 7 + b"\xd5"


def folder() -> Path:
    path = os.environ.get("NICSIM_ARTIFACTS")
    assert path, "run with NICSIM_ARTIFACTS set to an empty folder"
    return Path(path)


def fcs_ok(record: bytes) -> bool:
    """IEEE 802.3 3.2.9: the last 4 bytes are the CRC-32 of the rest, least significant byte first."""
    return record[-4:] == struct.pack("<I", zlib.crc32(record[:-4]))


def with_fcs(frame: bytes) -> bytes:
    """What a MAC puts on the wire for ``frame``: padded to 60 bytes, then its FCS."""
    frame = frame.ljust(60, b"\x00")
    return frame + struct.pack("<I", zlib.crc32(frame))


def read_wire(name: str) -> list:
    """The records of ``name``.pcap: each its bytes, its timestamp in ns and its Ether decode."""
    out = []
    for pkt in rdpcap(str(folder() / f"{name}.pcap")):
        raw = bytes(pkt)
        out.append((raw, int(pkt.time * 1_000_000_000), Ether(raw)))
    return out


def check_times(records: list, since_ns: int) -> None:
    times = [t for _, t, _ in records]
    now = get_sim_time("ns")
    assert all(since_ns <= t <= now for t in times), (times, since_ns, now)
    assert times == sorted(times) and len(set(times)) == len(times), times


@cocotb.test()
async def test_ping_on_both_wires(dut):
    """A ping from host A to host B leaves on the cable's two pcaps: A -> B the ARP request (broadcast, from
    A's MAC, who-has 10.0.0.2) and the echo requests, B -> A the ARP reply and the echo replies, each with
    the MACs and IPs of its hosts and the id/seq of its request; every record ends in its FCS (zlib), and
    each wire's timestamps rise, one per frame, inside the simulated time of the test."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    res = await hosts.sh("hostA", f"ping -c 2 -i 0.00005 {IP_B}")
    assert res.value.received == 2, res.text
    await hosts.teardown()

    ab, ba = read_wire("wire-a-to-b"), read_wire("wire-b-to-a")
    for records in (ab, ba):
        check_times(records, 0)
        assert all(fcs_ok(raw) for raw, _, _ in records), "a record without its FCS"
    # besides each host's gratuitous ARP (who-has its own address) as its address is set
    arp_req = [e for _, _, e in ab if ARP in e and e[ARP].op == 1 and e[ARP].pdst == IP_B]
    assert len(arp_req) == 1, ab
    assert (arp_req[0].src, arp_req[0].dst) == (MAC_A, BROADCAST)
    assert (arp_req[0][ARP].hwsrc, arp_req[0][ARP].psrc, arp_req[0][ARP].pdst) == (MAC_A, IP_A, IP_B)
    arp_rep = [e for _, _, e in ba if ARP in e and e[ARP].op == 2]
    assert len(arp_rep) == 1, ba
    assert (arp_rep[0].src, arp_rep[0].dst) == (MAC_B, MAC_A)
    assert (arp_rep[0][ARP].hwsrc, arp_rep[0][ARP].psrc, arp_rep[0][ARP].pdst) == (MAC_B, IP_B, IP_A)

    def echoes(records, kind, src, dst, ip_src, ip_dst):
        got = [e for _, _, e in records if ICMP in e and e[ICMP].type == kind]
        for e in got:
            assert (e.src, e.dst, e[IP].src, e[IP].dst) == (src, dst, ip_src, ip_dst), e.summary()
        return [(e[ICMP].id, e[ICMP].seq) for e in got]

    requests = echoes(ab, 8, MAC_A, MAC_B, IP_A, IP_B)
    replies = echoes(ba, 0, MAC_B, MAC_A, IP_B, IP_A)
    assert len(requests) == 2 and replies == requests, (requests, replies)
    # each reply after its request
    t_req = [t for _, t, e in ab if (ARP in e and e[ARP].pdst == IP_B) or (ICMP in e)]
    t_rep = [t for _, t, e in ba if (ARP in e and e[ARP].op == 2) or (ICMP in e)]
    assert len(t_req) == len(t_rep) == 3 and all(q < r for q, r in zip(t_req, t_rep, strict=True)), (t_req, t_rep)
    assert not (folder() / "wire-a-to-b.errors.txt").exists() and not (folder() / "wire-b-to-a.errors.txt").exists()


@cocotb.test()
async def test_wrong_speed_frame_marked(dut):
    """NIC A's MAC set to 100 Mb/s over a 1000 Mb/s link: A's PHY sends its frame with gmii_tx_er from the
    first byte to the last (nic_phy_model), each byte held for 10 clocks. The A -> B pcap holds the frame once,
    byte for byte as sent (padding and a good FCS), and wire-a-to-b.errors.txt names it."""
    await start_clock_and_reset(dut)
    a, b = NicHarness(dut, "a"), NicHarness(dut, "b")
    await a.setup(bytes.fromhex("02000000000a"), 0x1000, 16, 0x2000, 16, irq_mask=0)
    await b.setup(bytes.fromhex("02000000000b"), 0x1000, 16, 0x2000, 16, irq_mask=0)
    await wait_until(lambda: dut.link_a.value == 1 and dut.link_b.value == 1, timeout_us=50)
    await a.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | (regs.SPEED_100 << regs.CTRL_SPEED_SHIFT))
    t0 = get_sim_time("ns")
    frame = bytes.fromhex("02000000000b02000000000a88b5") + bytes(range(40))
    await a.send([(0x30000, frame)])
    for _ in range(100):  # STAT_TX_FRAMES counts a frame at its end (72 bytes at 80 ns each here)
        if await a.rd("STAT_TX_FRAMES"):
            break
        await Timer(1, unit="us")
    await Timer(1, unit="us")

    [(raw, t, _)] = read_wire("wire-a-to-b")
    assert raw == with_fcs(frame)
    assert t0 < t <= get_sim_time("ns")
    lines = (folder() / "wire-a-to-b.errors.txt").read_text().splitlines()
    assert lines == [f"frame 1 at {t} ns, 64 bytes: gmii_tx_er on bytes 0..63"], lines
    assert read_wire("wire-b-to-a") == []


@cocotb.test()
async def test_one_nic_bench_wires(dut):
    """The one-NIC bench's two wires (cocotbext-eth models): into the NIC a good frame, one with a bad FCS,
    one with gmii_rx_er on three bytes and a burst with no SFD, in that order, each as sent (the burst with no
    SFD whole) and the bad ones in wire-to-nic.errors.txt; out of the NIC the frame it sent, padded, with a
    good FCS. Timestamps are the SFD's time: 7 clocks after the first preamble byte, and the test's own
    tx_complete callback still runs."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    t0 = get_sim_time("ns")
    good = bytes.fromhex("020000000001" "020000000002" "88b5") + bytes(range(50))
    bad_fcs = with_fcs(good)[:-1] + bytes([with_fcs(good)[-1] ^ 0xFF])
    starts = []  # the test's own tx_complete still runs: the first byte's time of each frame it marks
    await tb.inject(GmiiFrame.from_payload(good, tx_complete=lambda f: starts.append(f.sim_time_start)))
    await tb.inject(GmiiFrame.from_raw_payload(bad_fcs))
    marked = GmiiFrame.from_payload(good)
    marked.error = [0] * 20 + [1] * 3 + [0] * (len(marked.data) - 23)
    await tb.inject(marked)
    no_sfd = b"\x55" * 4 + b"\x12\x34" + bytes(60)
    await tb.inject(GmiiFrame(no_sfd))

    sent = bytes.fromhex("020000000002" "020000000001" "88b5") + bytes(range(30))
    await nic.send([(0x40000, sent)])
    await tb.sink.recv()

    records = read_wire("wire-to-nic")
    check_times(records, t0)
    # stamped at the SFD: 7 preamble bytes, one per 8 ns clock, after the first byte
    assert len(starts) == 1 and records[0][1] == get_time_from_sim_steps(starts[0], "ns") + 7 * 8
    assert [raw for raw, _, _ in records] == [with_fcs(good), bad_fcs, with_fcs(good), no_sfd]
    lines = (folder() / "wire-to-nic.errors.txt").read_text().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"frame {n} at {records[n - 1][1]} ns, {len(records[n - 1][0])} bytes" for n in (2, 3, 4)]
    assert "bad FCS" in lines[0]
    # the error bits fell on bytes 20..22 of the burst, 12..14 after the preamble and SFD
    assert "gmii_rx_er on bytes 12..14" in lines[1] and "bad FCS" not in lines[1]
    assert "no SFD" in lines[2]

    [(raw, t, _)] = read_wire("wire-from-nic")
    assert raw == with_fcs(sent)
    assert records[-1][1] < t <= get_sim_time("ns")
    assert not (folder() / "wire-from-nic.errors.txt").exists()
