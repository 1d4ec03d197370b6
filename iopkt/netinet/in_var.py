"""The IPv4 state of one io-pkt instance (what NetBSD keeps in globals)."""

from __future__ import annotations

from .stats import ArpStat, IcmpStat, IpStat, UdpStat


class InetState:
    def __init__(self, iopkt):
        self.iopkt = iopkt
        self.in_ifaddrs: list = []  # InIfaddr, in the order they were configured
        self.default_gateway: int | None = None
        self.ip_id = 1
        self.arptab: dict = {}  # address -> LlEntry
        self.udb: dict = {}  # bound local port -> UdpSocket
        self.udp_next_port = 49152  # IANA ephemeral range, as NetBSD's anonportmin
        self.echo_listeners: dict = {}  # ICMP echo identifier -> callable(EchoReply)
        # Each ping takes the next identifier, as NetBSD's takes its pid: a
        # late reply to an earlier ping is not mistaken for one of the next.
        self.next_echo_ident = 0x5150
        self.protosw: dict = {}  # IP protocol number -> input(ifp, m, hlen)
        self.ipstat = IpStat()
        self.icmpstat = IcmpStat()
        self.udpstat = UdpStat()
        self.arpstat = ArpStat()


def inet_of(iopkt) -> InetState:
    inet = getattr(iopkt, "inet", None)
    if inet is None:
        raise RuntimeError(f"{iopkt.name}: IPv4 is not attached; call netinet.inet_attach(iopkt) first")
    return inet
