"""UDP through the socket-like API, checksums checked by scapy."""

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import Ether

from iopkt.kern.errno import EADDRINUSE
from iopkt.netinet.udp import udp_socket
from iopkt.tests.hosts import IP_A, IP_B, frames_from, two_hosts


@pytest.fixture
def h():
    hosts = two_hosts()
    yield hosts
    hosts.finish()


def test_send_and_receive_both_ways(h):
    async def exchange():
        server = await udp_socket(h.b)
        server.bind(7000)
        client = await udp_socket(h.a)
        client.bind(("10.0.0.1", 0))
        await client.sendto(b"ping over udp", (IP_B, 7000))
        data, peer = await server.recvfrom(timeout_ns=1_000_000)
        await server.sendto(data.upper(), peer)
        back = await client.recvfrom(timeout_ns=1_000_000)
        return data, peer, back, client.getsockname()

    data, peer, back, name = h.run(exchange())
    assert data == b"ping over udp"
    assert peer == (IP_A, name[1]) and 49152 <= name[1] <= 65535
    assert back == (b"PING OVER UDP", (IP_B, 7000))
    for side in "ab":
        (frame,) = [f for f in frames_from(h, side) if UDP in Ether(f)]
        p = Ether(frame)
        sums = (p[IP].chksum, p[UDP].chksum)
        assert p[UDP].len == 8 + len(b"ping over udp")
        del p[IP].chksum, p[UDP].chksum
        again = Ether(bytes(p))
        assert (again[IP].chksum, again[UDP].chksum) == sums
    assert h.b.inet.udpstat.udps_ipackets == 1 and h.a.inet.udpstat.udps_opackets == 1


def test_corrupted_datagram_is_dropped_as_bad_checksum(h):
    h.wire.mangle = lambda f: f[:-1] + bytes([f[-1] ^ 1]) if UDP in Ether(f) else f

    async def go():
        server = await udp_socket(h.b)
        server.bind(7000)
        client = await udp_socket(h.a)
        await client.sendto(b"abc", (IP_B, 7000))
        try:
            await server.recvfrom(timeout_ns=1_000_000)
        except TimeoutError:
            return "timeout"

    assert h.run(go()) == "timeout"
    assert h.b.inet.udpstat.udps_badsum == 1


def test_closed_port_answers_port_unreachable(h):
    async def go():
        client = await udp_socket(h.a)
        await client.sendto(b"anyone?", (IP_B, 9999))

    h.run(go())
    h.platform.run(for_ns=100_000)
    (err,) = [Ether(f) for f in frames_from(h, "b") if ICMP in Ether(f)]
    assert (err[ICMP].type, err[ICMP].code) == (3, 3)
    assert int.from_bytes(bytes(err[ICMP].payload)[22:24], "big") == 9999  # the offending datagram is quoted
    assert h.b.inet.udpstat.udps_noport == 1


def test_bind_conflict_is_eaddrinuse(h):
    async def go():
        s1, s2 = await udp_socket(h.a), await udp_socket(h.a)
        s1.bind(53)
        try:
            s2.bind(53)
        except OSError as e:
            return e.errno

    assert h.run(go()) == EADDRINUSE
