"""IPv4 for io-pkt (NetBSD ``netinet/``): ARP, IP, ICMP, UDP.

``await inet_attach(iopkt)`` once per io-pkt, before traffic, registers IP and
ARP with the Ethernet layer; ``await inet_detach(iopkt)`` undoes it and drops
what the protocols still hold (ARP hold queues, sockets).
"""

from __future__ import annotations

from ..net.if_ether import ETHERTYPE_ARP, ETHERTYPE_IP
from .if_arp import arp_flush, arp_input
from .in_var import InetState, inet_of
from .ip import IPPROTO_ICMP, IPPROTO_UDP, ip_input
from .ip_icmp import icmp_input
from .udp import udp_input, udp_socket

__all__ = ["InetState", "inet_attach", "inet_detach", "inet_of", "udp_socket"]


async def inet_attach(iopkt) -> InetState:
    """Boot-time registration (NetBSD's ``domaininit``): no stack context needed,
    as nothing can be received before the protocols exist. Idempotent."""
    inet = getattr(iopkt, "inet", None)
    if inet is None:
        inet = iopkt.inet = InetState(iopkt)
    inet.protosw[IPPROTO_ICMP] = icmp_input
    inet.protosw[IPPROTO_UDP] = udp_input
    iopkt.protocols[ETHERTYPE_IP] = ip_input
    iopkt.protocols[ETHERTYPE_ARP] = arp_input
    if in_ifdetach not in iopkt.ifdetach_hooks:
        iopkt.ifdetach_hooks.append(in_ifdetach)
    return inet


def in_ifdetach(ifp) -> None:
    """An interface is going away (``ifconfig destroy``): drop its addresses and neighbours."""
    iopkt = ifp.if_iopkt
    inet = getattr(iopkt, "inet", None)
    if inet is None:
        return
    arp_flush(iopkt, ifp)
    for ia in list(inet.in_ifaddrs):
        if ia.ia_ifp is ifp:
            ifp.if_addrs.remove(ia)
            inet.in_ifaddrs.remove(ia)


async def inet_detach(iopkt) -> None:
    """Unregister and free what IPv4 holds. Called like a client (it takes the
    stack context itself), e.g. before checking the mbuf pool for leaks."""
    if getattr(iopkt, "inet", None) is None:
        return
    await iopkt.stack_call(_detach, iopkt, proc_name="inet_detach")


def _detach(iopkt) -> None:
    inet = inet_of(iopkt)
    arp_flush(iopkt)
    for sock in list(inet.udb.values()):
        sock.close()
    for etype in (ETHERTYPE_IP, ETHERTYPE_ARP):
        iopkt.protocols.pop(etype, None)
    if in_ifdetach in iopkt.ifdetach_hooks:
        iopkt.ifdetach_hooks.remove(in_ifdetach)
    for ia in list(inet.in_ifaddrs):
        ia.ia_ifp.if_addrs.remove(ia)
    iopkt.inet = None
