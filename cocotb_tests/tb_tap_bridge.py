"""The TAP bridge: the real Linux stack, in a network namespace, is the link partner of host A's
io-pkt, devnp-nic and RTL NIC (``nic_pair_tb`` with ``TAP_BRIDGE=1``, ``nicsim.tap``). Unmodified
Linux tools do the talking; what they print and what scapy reads from the captures are the oracle.
Needs root, ``/dev/net/tun`` and ping, arping, nc and tcpdump (``make tools`` as root installs them);
skipped, with the reason, where any is missing."""

from __future__ import annotations

import re
import signal
import subprocess
import time
import zlib

from scapy.layers.inet import ICMP
from scapy.layers.l2 import ARP, Ether
from scapy.utils import rdpcap

from iopkt.netinet import udp_socket
from nicsim import artifacts, testing
from nicsim.tap import HOST_ADDR, TapNamespace, run_for_wall, tap_counters, tap_session, unavailable, wait_process
from nicsim.tap import PARAMETERS as TAP_PARAMETERS
from nicsim.two_hosts import MAC_A

TOPLEVEL = "nic_pair_tb"
PARAMETERS = [TAP_PARAMETERS]
SKIP = unavailable(("ping", "arping", "nc", "tcpdump"))


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


@testing.test()
async def test_linux_ping_gets_five_replies(dut):
    """Linux's ping sends five echo requests to the simulated host and gets five replies, each through
    the TAP, the RTL MAC, the driver and io-pkt's ICMP and back; io-pkt counts five requests answered."""
    async with tap_session(dut) as (ns, hosts):
        ping = ns.popen(["ping", "-n", "-c", "5", "-i", "0.2", "-W", "5", HOST_ADDR])
        out, err = await wait_process(ping, timeout_s=120)
        assert "5 packets transmitted, 5 received" in out, out + err
        assert len(re.findall(rf"bytes from {re.escape(HOST_ADDR)}: icmp_seq=\d+", out)) == 5, out
        icmp = hosts.by_name["hostA"].inet.icmpstat
        assert icmp.icps_reflect == 5 and sum(icmp.inhist.values()) == 5, vars(icmp)


@testing.test()
async def test_linux_arping_resolves_the_station_address(dut):
    """Linux's arping asks who has the simulated host's address and is answered with the driver's
    station address (devnp-nic's MAC for NIC A), as the NIC sent it on the wire."""
    async with tap_session(dut) as (ns, hosts):
        arping = ns.popen(["arping", "-c", "2", "-w", "30", "-I", ns.ifname, HOST_ADDR])
        out, err = await wait_process(arping, timeout_s=60)
        macs = re.findall(r"reply from \S+ \[([0-9A-Fa-f:]{17})\]", out)
        assert len(macs) == 2, out + err
        lladdr = hosts.by_name["hostA"].ifnet[0].if_lladdr
        assert {_mac(m) for m in macs} == {MAC_A} and lladdr == MAC_A, (macs, lladdr.hex())


async def _until_listening(ns, port: int, timeout_s: float = 30.0) -> None:
    """Wait (simulated time running) until a UDP socket in ``ns`` is bound to ``port`` (iproute2's ss)."""
    deadline = time.monotonic() + timeout_s
    while not subprocess.run(ns.argv(["ss", "-Hlun", f"sport = :{port}"]), capture_output=True,
                             text=True).stdout.strip():
        assert time.monotonic() < deadline, f"nothing listens on UDP port {port} in {ns.name}"
        await run_for_wall(0.02)


@testing.test()
async def test_udp_datagram_each_way(dut):
    """A datagram from Linux's nc reaches an io-pkt UDP socket with its payload and Linux's address as
    the peer; one from io-pkt's socket reaches a listening nc on Linux with its payload."""
    async with tap_session(dut) as (ns, hosts):
        iopkt = hosts.by_name["hostA"]
        sock = await udp_socket(iopkt)
        sock.bind(7000)
        to_sim = b"from Linux to the simulated host"
        nc = ns.popen(["sh", "-c", f'printf %s "$1" | nc -u -w 1 {HOST_ADDR} 7000', "sh", to_sim.decode()])
        await wait_process(nc, timeout_s=60)
        data, peer = await sock.recvfrom(timeout_ns=50_000_000)
        assert (data, peer[0]) == (to_sim, ns.address), (data, peer)

        listen = ns.popen(["nc", "-u", "-l", "-W", "1", "7001"])
        await _until_listening(ns, 7001)
        to_linux = b"from the simulated host to Linux"
        await sock.sendto(to_linux, (ns.address, 7001))
        out, err = await wait_process(listen, timeout_s=60)
        assert out.encode() == to_linux, (out, err)
        sock.close()
        assert tap_counters()["write_errors"] == 0


def _good_frames(path) -> list[bytes]:
    """The frames of a wire's pcap whose FCS is good (IEEE CRC-32 by zlib), FCS removed."""
    out = []
    for pkt in rdpcap(str(path)):
        raw = bytes(pkt)
        if len(raw) >= 64 and raw[-4:] == zlib.crc32(raw[:-4]).to_bytes(4, "little"):
            out.append(raw[:-4])
    return out


@testing.test()
async def test_tcpdump_on_the_tap_matches_the_wire_pcap(dut):
    """``tcpdump -w`` on the TAP holds the frames the simulation's pcaps hold of the same cable, in the
    same order each way: the NIC's frames as sent (FCS aside), Linux's as sent before the bridge
    padded them to 60 bytes (the wire's copy is the same bytes, zero-padded)."""
    folder = artifacts.folder()
    assert folder is not None, "the runner sets NICSIM_ARTIFACTS"
    ns = TapNamespace().create()
    capture = folder / "tap0-tcpdump.pcap"
    tcpdump = ns.popen(["tcpdump", "--immediate-mode", "-U", "-n", "-i", ns.ifname, "-w", str(capture)])
    line = tcpdump.stderr.readline()  # waits (wall time, at simulated time 0) until it listens
    assert "listening on" in line, line
    async with tap_session(dut, ns) as (ns, hosts):
        ping = ns.popen(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "5", HOST_ADDR])
        out, err = await wait_process(ping, timeout_s=120)
        assert "3 received" in out, out + err
        tcpdump.send_signal(signal.SIGINT)
        await wait_process(tcpdump, timeout_s=30)
    from_nic = [bytes(p) for p in rdpcap(str(capture)) if bytes(p)[6:12] == MAC_A]
    from_linux = [bytes(p) for p in rdpcap(str(capture)) if bytes(p)[6:12] != MAC_A]
    wire_ab = _good_frames(folder / "wire-a-to-b.pcap")
    wire_ba = _good_frames(folder / "wire-b-to-a.pcap")
    assert from_nic and from_linux, (len(from_nic), len(from_linux))
    assert from_nic == wire_ab, ([Ether(f).summary() for f in from_nic], [Ether(f).summary() for f in wire_ab])
    padded = [f + bytes(max(0, 60 - len(f))) for f in from_linux]
    assert padded == wire_ba, ([Ether(f).summary() for f in from_linux], [Ether(f).summary() for f in wire_ba])
    # what went each way, as scapy reads it: Linux's ARP request and three echo requests; the host's
    # gratuitous ARP, its ARP reply and three echo replies
    kinds = [[(ARP in p and p[ARP].op) or (ICMP in p and f"icmp{p[ICMP].type}") for p in map(Ether, frames)]
             for frames in (from_linux, from_nic)]
    assert kinds == [[1, "icmp8", "icmp8", "icmp8"], [1, 2, "icmp0", "icmp0", "icmp0"]], kinds


@testing.test()
async def test_iopkt_ping_gets_replies_from_linux(dut):
    """The other way round: io-pkt's own ping on the simulated host gets three replies from the Linux
    kernel (which answers in wall time while the simulation runs on)."""
    async with tap_session(dut) as (ns, hosts):
        res = await hosts.sh("hostA", f"ping -c 3 -i 0.0001 -W 0.05 {ns.address}")
        assert res.status == 0 and res.value.received == 3, res.text
