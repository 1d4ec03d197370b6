"""IP input validation (each drop counted), trusting the NIC's checksum verdict,
output headers checked by scapy, and EMSGSIZE instead of fragmentation."""

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import Ether

from iopkt.kern.errno import EMSGSIZE
from iopkt.kern.mbuf import M_CSUM_IPv4, M_CSUM_IPv4_BAD
from iopkt.netinet.udp import udp_socket
from iopkt.tests import vwire
from iopkt.tests.hosts import IP_A, IP_B, frames_from, two_hosts

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
ETH_HDR = bytes.fromhex("020000000002" "020000000001" "0800")  # scapy types a bare Ether 0x9000


@pytest.fixture
def h():
    hosts = two_hosts()
    yield hosts
    hosts.finish()


def _inject(h, frame: bytes):
    h.run(h.wire.inject(h.scb, frame))
    h.platform.run(for_ns=100_000)


def _echo(**ip_fields) -> bytes:
    return bytes(ETH / IP(src=IP_A, dst=IP_B, **ip_fields) / ICMP(id=1, seq=1) / b"data")


def _replies(h, since):
    return [f for f in frames_from(h, "b", since) if ICMP in Ether(f)]


def test_valid_echo_is_answered_with_a_correct_reply(h):
    n = len(h.wire.frames)
    _inject(h, _echo())
    (reply,) = _replies(h, n)
    pkt = Ether(reply)
    ip = pkt[IP]
    assert (ip.src, ip.dst, ip.ttl, ip.version, ip.ihl) == (IP_B, IP_A, 255, 4, 5)
    assert pkt[ICMP].type == 0 and pkt[ICMP].id == 1 and pkt[ICMP].seq == 1 and bytes(pkt[ICMP].payload) == b"data"
    # scapy recomputes checksums when the fields are cleared: they must agree
    ip_sum, icmp_sum = ip.chksum, pkt[ICMP].chksum
    del ip.chksum, pkt[ICMP].chksum
    again = Ether(bytes(pkt))
    assert (again[IP].chksum, again[ICMP].chksum) == (ip_sum, icmp_sum)


@pytest.mark.parametrize("frame, counter", [
    (lambda: _echo(chksum=0x1234), "ips_badsum"),
    (lambda: ETH_HDR + b"\x65" + _echo()[15:], "ips_badvers"),
    (lambda: ETH_HDR + b"\x45\x00\x00", "ips_toosmall"),
    (lambda: ETH_HDR + b"\x43" + _echo()[15:], "ips_badhlen"),
    (lambda: _echo(len=200), "ips_tooshort"),
    (lambda: _echo(len=10), "ips_badlen"),
    (lambda: _echo(flags="MF"), "ips_fragments"),
    (lambda: _echo(frag=5), "ips_fragments"),
    (lambda: bytes(ETH / IP(src=IP_A, dst="10.0.0.77") / ICMP()), "ips_cantforward"),
])
def test_bad_datagrams_are_dropped_and_counted(h, frame, counter):
    st = h.b.inet.ipstat
    n = len(h.wire.frames)
    _inject(h, frame())
    assert getattr(st, counter) == 1
    assert st.ips_delivered == 0
    assert _replies(h, n) == []
    if counter == "ips_fragments":
        assert st.ips_fragdropped == 1


def test_ethernet_padding_is_trimmed(h):
    n = len(h.wire.frames)
    _inject(h, _echo() + b"\x00" * 20)
    (reply,) = _replies(h, n)
    assert bytes(Ether(reply)[ICMP].payload) == b"data"


def test_nic_checksum_verdict_is_trusted(h, monkeypatch):
    flags = {"value": M_CSUM_IPv4}
    real = vwire.m_devget

    def flagged(pool, data, ifp=None):
        m = real(pool, data, ifp)
        m.m_pkthdr.csum_flags = flags["value"]
        return m

    monkeypatch.setattr(vwire, "m_devget", flagged)
    n = len(h.wire.frames)
    _inject(h, _echo(chksum=0x1234))  # wrong, but the NIC said good: no software check
    assert len(_replies(h, n)) == 1
    flags["value"] = M_CSUM_IPv4 | M_CSUM_IPv4_BAD
    _inject(h, _echo())  # right, but the NIC said bad
    assert h.b.inet.ipstat.ips_badsum == 1
    assert len(_replies(h, n)) == 1


def test_unknown_protocol_gets_protocol_unreachable(h):
    n = len(h.wire.frames)
    _inject(h, bytes(ETH / IP(src=IP_A, dst=IP_B, proto=99) / b"xyz"))
    assert h.b.inet.ipstat.ips_noproto == 1
    (err,) = _replies(h, n)
    assert Ether(err)[ICMP].type == 3 and Ether(err)[ICMP].code == 2


def test_datagram_bigger_than_mtu_is_refused_with_emsgsize(h):
    async def send(size):
        sock = await udp_socket(h.a)
        try:
            return await sock.sendto(b"x" * size, (IP_B, 9))
        except OSError as e:
            return e
        finally:
            sock.close()

    assert h.run(send(1500 - 28)) == 1472  # exactly the MTU
    err = h.run(send(1500 - 27))
    assert isinstance(err, OSError) and err.errno == EMSGSIZE and err.strerror == "Message too long"
    assert h.a.inet.ipstat.ips_cantfrag == 1
    assert any("does not fragment" in line and "1501-byte" in line for line in h.a.log)
    h.platform.run(for_ns=1_000_000)
    sizes = [len(f) for f in frames_from(h, "a") if UDP in Ether(f)]
    assert sizes == [1514]
