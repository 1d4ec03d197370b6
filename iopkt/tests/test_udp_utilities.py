"""``udpsend`` and ``udprecv`` between two hosts, and the utilities' no-argument forms
(``netstat``'s socket list, ``pidin``'s default listing, ``arp``'s usage).

The datagram on the wire is decoded by scapy (ports, payload, checksum), not by
the stack that sent it.
"""

from __future__ import annotations

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from iopkt.kern.sig import SigInt
from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import IP_A, IP_B, frames_from, two_hosts


def test_udpsend_reaches_udprecv_with_the_payload_and_a_valid_checksum():
    h = two_hosts()
    try:
        async def exchange():
            listener = h.platform.spawn(run_command(h.b, "udprecv -c 2 7000"), "udprecv")
            await h.platform.sleep(1000)
            sent = [await run_command(h.a, 'udpsend 10.0.0.2 7000 "hello  there" world')]
            await h.platform.sleep(1_000_000)  # ARP resolved: the first datagram, held meanwhile, is out
            sent.append(await run_command(h.a, "udpsend -n 10.0.0.2 7000 'tab\\there'"))
            return sent, await listener.join()

        sent, got = h.run(exchange())
        assert [r.status for r in sent] == [0, 0] and got.status == 0, got.text
        lines = got.output
        assert len(lines) == 2 and all(line.startswith(f"from {IP_A}:") for line in lines), lines
        assert lines[0].endswith("(19 bytes): hello  there world"), lines
        assert lines[1].endswith("(9 bytes): tab\\there"), lines
        datagrams = [Ether(f) for f in frames_from(h, "a") if UDP in Ether(f)]
        assert [bytes(p[UDP].payload) for p in datagrams] == [b"hello  there world\n", b"tab\\there"]
        for p in datagrams:
            assert p[IP].dst == IP_B and p[UDP].dport == 7000
            given = p[UDP].chksum
            del p[UDP].chksum
            assert Ether(bytes(p))[UDP].chksum == given
    finally:
        h.finish()


def test_udprecv_stops_at_ctrl_c_and_shows_in_netstat_meanwhile():
    h = two_hosts()
    try:
        intr = SigInt()

        async def listen_then_interrupt():
            listener = h.platform.spawn(run_command(h.b, "udprecv 9000", intr=intr), "udprecv")
            await h.platform.sleep(1000)
            listing = await run_command(h.b, "netstat")
            intr.raise_()
            return listing, await listener.join()

        listing, got = h.run(listen_then_interrupt())
        assert listing.output[0] == "Active Internet connections"
        assert listing.output[2].split() == ["udp", "0", "0", "*.9000", "*.*"]
        assert got.status == 1 and got.output == [""]  # nothing came: ping's rule; ^C then a newline
        after = h.run(run_command(h.b, "netstat"))
        assert len(after.output) == 2  # the port was closed
    finally:
        h.finish()


def test_bad_udp_arguments_are_usage_errors():
    h = two_hosts()
    try:
        for line, text in [("udpsend 10.0.0.2 7000", "usage: udpsend"), ("udpsend 10.0.0.2 0 x", "port 0"),
                           ("udpsend nohost 7 x", "nohost: unknown host"), ("udprecv", "usage: udprecv"),
                           ("udprecv 70000", "70000"), ("udprecv -c 0 7", "usage: udprecv")]:
            r = h.run(run_command(h.a, line))
            assert r.status == 1 and text in r.text, (line, r.text)
    finally:
        h.finish()


def test_no_argument_forms():
    h = two_hosts()
    try:
        arp = h.run(run_command(h.a, "arp"))
        assert arp.status == 1 and arp.output == ["usage: arp -a | arp host | arp -d -a"]
        pidin = h.run(run_command(h.a, "pidin"))
        assert pidin.status == 0
        assert pidin.output[0].split() == ["pid", "tid", "name", "prio", "STATE", "Blocked"]
        assert pidin.output[1].split()[:5] == ["4100", "1", "sbin/io-pkt-v4-hc", "21r", "SIGWAITINFO"]
        threads = h.run(run_command(h.a, "pidin thread")).output
        assert len(pidin.output) == len(threads)  # one line per thread in both listings
    finally:
        h.finish()
