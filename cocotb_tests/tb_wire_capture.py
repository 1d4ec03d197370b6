"""The pcap of each wire, read back with scapy as Wireshark would read it: the
cable of nic_pair_tb (HDL capture, rtl/tb/gmii_pcap.v) in a ping between two
hosts and in a frame a MAC at the wrong speed garbles, and the two wires of
the one-NIC bench (cocotbext-eth models, nicsim.pcap.record_gmii) with good
and bad frames (``tb_wire_capture_one_nic``). Each test reads the files of
its own artifact folder (``nicsim.artifacts.folder()``), and again with
tshark, Wireshark's reader, where it is installed."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import cocotb
from cocotb.triggers import Timer
from cocotb.utils import get_sim_time
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether
from scapy.utils import rdpcap

from nicdef import regs
from nicsim import artifacts, testing
from nicsim.nic_harness import NicHarness, start_clock_and_reset, wait_until
from nicsim.two_hosts import bring_up_pair, build_hosts

MAC_A, MAC_B = "02:00:00:00:0a:01", "02:00:00:00:0b:01"  # two_hosts' stations, as its docs give them
IP_A, IP_B = "10.0.0.1", "10.0.0.2"
BROADCAST = "ff:ff:ff:ff:ff:ff"
PREAMBLE_SFD = b"\x55" * 7 + b"\xd5"


TOPLEVEL = "nic_pair_tb"
GOOD, BAD = "1", "0"  # tshark's eth.fcs.status


def folder() -> Path:
    path = artifacts.folder()
    assert path is not None, "no artifact folder: run through nicsim.runner.run_cocotb (it sets NICSIM_ARTIFACTS)"
    return path


def tshark(name: str, *fields: str) -> list[list[str]] | None:
    """tshark's ``fields`` of each record of ``name``.pcap, told that every record ends in its FCS and to
    check it; None (and a log line) where tshark is not installed: scapy has read the files already."""
    if not shutil.which("tshark"):
        cocotb.log.warning("tshark is not installed (apt-get install tshark): the Wireshark reader check is skipped")
        return None
    done = subprocess.run(["tshark", "-o", "eth.fcs:Always", "-o", "eth.check_fcs:TRUE", "-r",
                           str(folder() / f"{name}.pcap"), "-T", "fields", *(a for f in fields for a in ("-e", f))],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


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


@testing.test()
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

    fields = ("eth.src", "eth.dst", "arp.opcode", "icmp.type", "eth.fcs.status")
    ab_t, ba_t = tshark("wire-a-to-b", *fields), tshark("wire-b-to-a", *fields)
    if ab_t is not None:
        assert [MAC_A, BROADCAST, "1", "", GOOD] in ab_t, ab_t
        assert [MAC_B, MAC_A, "2", "", GOOD] in ba_t, ba_t
        assert sum(row[3] == "8" for row in ab_t) == 2 and sum(row[3] == "0" for row in ba_t) == 2
        assert {row[4] for row in ab_t + ba_t} == {GOOD}


@testing.test()
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
    read = tshark("wire-a-to-b", "frame.len", "eth.type", "eth.fcs.status")
    assert read in (None, [["64", "0x88b5", GOOD]]), read
