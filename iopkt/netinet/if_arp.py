"""ARP for IPv4 over Ethernet (NetBSD ``netinet/if_arp.c``).

One cache per io-pkt, timed as NetBSD 4/5's ``arpresolve``: a resolved entry
lives ``ARPT_KEEP_S``. An unresolved one holds only the most recent packet sent
to it (``la_hold``: one packet) and broadcasts a request when a packet comes,
at most once per ``ARP_REXMT_S``, ``ARP_MAXTRIES`` times. The next packet after
that marks the neighbour down for ``ARPT_DOWN_S``: packets to it are dropped
and their sender gets ``EHOSTDOWN`` (``EHOSTUNREACH`` when it is the gateway
of the route, not the destination). An answer completes the entry at any time.
Gratuitous ARP from others only refreshes entries we already have, and one
claiming our own address is reported, never believed.
"""

from __future__ import annotations

from ..kern.callout import Callout, callout_init, callout_msec, callout_stop
from ..kern.errno import EHOSTDOWN, EHOSTUNREACH, EOK
from ..kern.mbuf import M_BCAST, M_MCAST, Mbuf, m_copydata, m_devget, m_freem
from ..net.if_ import Ifnet
from ..net.if_ether import ETHER_ADDR_LEN, ETHERBROADCAST, ETHERTYPE_ARP, ETHERTYPE_IP, ether_sprintf
from .in_ import INADDR_ANY, InIfaddr, in_ifaddr_of, in_ifaddrs_of, inet_ntoa
from .in_var import inet_of

ARPHRD_ETHER = 1
ARPOP_REQUEST = 1
ARPOP_REPLY = 2
ARP_PKT_LEN = 28

# NetBSD's arpt_keep: a resolved entry is good for 20 minutes.
ARPT_KEEP_S = 20 * 60
# NetBSD's arpt_down: once declared down, a neighbour is not asked (and packets
# to it are refused) for 20 s. Here it is also how long an unresolved entry
# outlives its last request when no more packets come: NetBSD leaves such an
# entry to its 5-minute arpt_prune sweep; this stack gives each entry its own
# callout, and frees it then (dropping the held packet).
ARPT_DOWN_S = 20
# NetBSD's arp_maxtries: requests sent for an unresolved entry before it is
# declared down.
ARP_MAXTRIES = 5
# NetBSD's arpresolve re-sends "not faster than one request per second" (it
# compares whole seconds of time_second; here: at least 1 s since the last).
ARP_REXMT_S = 1

_NS = 1_000_000_000


class LlEntry:
    """One ARP cache entry (NetBSD's ``llinfo_arp``)."""

    def __init__(self, iopkt, ifp: Ifnet, addr: int):
        self.la_addr = addr
        self.la_ifp = ifp
        self.la_lladdr: bytes | None = None
        self.la_hold: Mbuf | None = None
        self.la_asked = 0
        self.la_last_request_ns: int | None = None
        self.la_down_until_ns: int | None = None  # NetBSD's RTF_REJECT with its rt_expire
        self.la_expire_ns = 0
        self.la_timer = Callout()
        callout_init(self.la_timer, iopkt)

    @property
    def resolved(self) -> bool:
        return self.la_lladdr is not None

    def __repr__(self) -> str:
        mac = ether_sprintf(self.la_lladdr) if self.la_lladdr else "(incomplete)"
        return f"<arp {inet_ntoa(self.la_addr)} at {mac} on {self.la_ifp.if_xname}>"


def _arm(iopkt, la: LlEntry, seconds: int) -> None:
    la.la_expire_ns = iopkt.platform.now_ns() + seconds * _NS
    callout_msec(la.la_timer, seconds * 1000, _arptimer, (iopkt, la))


def arp_isdown(iopkt, la: LlEntry) -> bool:
    """Whether ``la`` is in its ``ARPT_DOWN_S`` down period."""
    return la.la_down_until_ns is not None and iopkt.platform.now_ns() < la.la_down_until_ns


def _arptimer(arg) -> None:
    iopkt, la = arg
    inet = inet_of(iopkt)
    if inet.arptab.get(la.la_addr) is not la:
        return
    if not la.resolved:
        inet.arpstat.as_timeouts += 1
    _arpfree(iopkt, la)


def _arpfree(iopkt, la: LlEntry) -> None:
    inet = inet_of(iopkt)
    callout_stop(la.la_timer)
    iopkt.callouts.discard(la.la_timer)
    if la.la_hold is not None:
        m_freem(la.la_hold)
        la.la_hold = None
        inet.arpstat.as_dfrdropped += 1
    if inet.arptab.get(la.la_addr) is la:
        del inet.arptab[la.la_addr]


def arp_flush(iopkt, ifp: Ifnet | None = None) -> None:
    """Delete every entry (of ``ifp`` if given), dropping held packets."""
    for la in list(inet_of(iopkt).arptab.values()):
        if ifp is None or la.la_ifp is ifp:
            _arpfree(iopkt, la)


def arp_purge_ifaddr(iopkt, ia: InIfaddr) -> None:
    """An address went away: forget the neighbours learnt on its subnet."""
    for la in list(inet_of(iopkt).arptab.values()):
        if la.la_ifp is ia.ia_ifp and la.la_addr & ia.ia_netmask == ia.ia_subnet:
            _arpfree(iopkt, la)


def arp_entries(iopkt) -> list[LlEntry]:
    return sorted(inet_of(iopkt).arptab.values(), key=lambda la: la.la_addr)


def _arp_packet(op: int, sha: bytes, spa: int, tha: bytes, tpa: int) -> bytes:
    return (ARPHRD_ETHER.to_bytes(2, "big") + ETHERTYPE_IP.to_bytes(2, "big") + bytes([ETHER_ADDR_LEN, 4])
            + op.to_bytes(2, "big") + sha + spa.to_bytes(4, "big") + tha + tpa.to_bytes(4, "big"))


async def _arp_send(ifp: Ifnet, op: int, dst_mac: bytes, spa: int, tha: bytes, tpa: int) -> int:
    iopkt = ifp.if_iopkt
    st = inet_of(iopkt).arpstat
    m = m_devget(iopkt.mbufs, _arp_packet(op, ifp.if_lladdr, spa, tha, tpa))
    if m is None:
        return 0
    st.as_sndtotal += 1
    if op == ARPOP_REQUEST:
        st.as_sndrequest += 1
    else:
        st.as_sndreply += 1
    return await ifp.if_output(ifp, m, dst_mac, ETHERTYPE_ARP)


async def arprequest(ifp: Ifnet, sip: int, tip: int) -> int:
    return await _arp_send(ifp, ARPOP_REQUEST, ETHERBROADCAST, sip, b"\x00" * 6, tip)


async def arp_ifinit(ifp: Ifnet, ia: InIfaddr) -> None:
    """Announce a new address (a gratuitous request: sender and target are both us)."""
    await arprequest(ifp, ia.ia_addr, ia.ia_addr)


async def arpresolve(ifp: Ifnet, m: Mbuf, dst: int, gateway: bool = False) -> tuple[bytes | None, int]:
    """``(link address, EOK)`` for ``dst``; else ``(None, error)`` having taken
    ``m``: held (``EOK``) while asking, or dropped while ``dst`` is down
    (``EHOSTDOWN``; ``EHOSTUNREACH`` if ``gateway``: ``dst`` is the route's
    gateway, not the packet's destination), as NetBSD's ``ether_output``."""
    iopkt = ifp.if_iopkt
    inet = inet_of(iopkt)
    st = inet.arpstat
    la = inet.arptab.get(dst)
    if la is not None and la.resolved:
        return la.la_lladdr, EOK
    now = iopkt.platform.now_ns()
    if la is not None and arp_isdown(iopkt, la):
        m_freem(m)
        return None, EHOSTUNREACH if gateway else EHOSTDOWN
    if la is None:
        la = inet.arptab[dst] = LlEntry(iopkt, ifp, dst)
    la.la_down_until_ns = None
    if la.la_hold is not None:
        m_freem(la.la_hold)
        st.as_dfrdropped += 1
    la.la_hold = m
    st.as_dfrtotal += 1
    if la.la_asked == 0 or now - la.la_last_request_ns >= ARP_REXMT_S * _NS:
        la.la_last_request_ns = now
        if la.la_asked < ARP_MAXTRIES:
            la.la_asked += 1
            _arm(iopkt, la, ARPT_DOWN_S)
            ia = in_ifaddr_of(ifp)
            if ia is not None:
                await arprequest(ifp, ia.ia_addr, dst)
        else:
            # Asked ARP_MAXTRIES times, unanswered: down for ARPT_DOWN_S (this
            # packet stays held). The first packet after that starts over.
            la.la_asked = 0
            la.la_down_until_ns = now + ARPT_DOWN_S * _NS
            _arm(iopkt, la, ARPT_DOWN_S)
    return None, EOK


async def arp_input(ifp: Ifnet, m: Mbuf) -> None:
    """``in_arpinput``: learn, answer requests for our addresses, release held packets."""
    iopkt = ifp.if_iopkt
    inet = inet_of(iopkt)
    st = inet.arpstat
    st.as_rcvtotal += 1
    try:
        if m.m_pkthdr.len < ARP_PKT_LEN:
            st.as_rcvbadlen += 1
            return
        pkt = m_copydata(m, 0, ARP_PKT_LEN)
        if m.m_flags & (M_BCAST | M_MCAST):
            st.as_rcvmcast += 1
    finally:
        m_freem(m)
    htype, ptype, hlen, plen = int.from_bytes(pkt[0:2], "big"), int.from_bytes(pkt[2:4], "big"), pkt[4], pkt[5]
    if htype != ARPHRD_ETHER or ptype != ETHERTYPE_IP or hlen != ETHER_ADDR_LEN or plen != 4:
        st.as_rcvbadproto += 1
        return
    op = int.from_bytes(pkt[6:8], "big")
    sha, spa = pkt[8:14], int.from_bytes(pkt[14:18], "big")
    tpa = int.from_bytes(pkt[24:28], "big")
    if op == ARPOP_REQUEST:
        st.as_rcvrequest += 1
    elif op == ARPOP_REPLY:
        st.as_rcvreply += 1
    mine = in_ifaddrs_of(ifp)
    if not mine:
        st.as_rcvnoint += 1
        return
    if sha == ifp.if_lladdr:
        st.as_rcvlocalsha += 1
        return
    if sha == ETHERBROADCAST:
        st.as_rcvbcastsha += 1
        return
    if tpa == INADDR_ANY:
        st.as_rcvzerotpa += 1
        return
    target = next((ia for ia in mine if ia.ia_addr == tpa), None)
    if any(ia.ia_addr == spa for ia in mine):
        st.as_rcvlocalspa += 1
        iopkt.printf(f"arp: {ether_sprintf(sha)} is using my IP address {inet_ntoa(spa)} on {ifp.if_xname}!")
        if op == ARPOP_REQUEST and target is not None:
            await _arp_send(ifp, ARPOP_REPLY, ETHERBROADCAST, tpa, ETHERBROADCAST, tpa)  # defend the address
        return
    if spa == INADDR_ANY:
        st.as_rcvzerospa += 1  # a probe (RFC 5227): answer it, learn nothing
    else:
        await _arp_update(ifp, spa, sha, create=target is not None)
    if op == ARPOP_REQUEST and target is not None:
        await _arp_send(ifp, ARPOP_REPLY, sha, tpa, sha, spa)


async def _arp_update(ifp: Ifnet, spa: int, sha: bytes, create: bool) -> None:
    iopkt = ifp.if_iopkt
    inet = inet_of(iopkt)
    la = inet.arptab.get(spa)
    if la is None:
        if not create:
            return  # someone else's conversation (or a gratuitous ARP): do not grow the cache
        la = inet.arptab[spa] = LlEntry(iopkt, ifp, spa)
    elif la.resolved and la.la_lladdr != sha:
        inet.arpstat.as_rcvover += 1
        iopkt.printf(f"arp info overwritten for {inet_ntoa(spa)} by {ether_sprintf(sha)}")
    la.la_lladdr = bytes(sha)
    la.la_asked = 0
    la.la_down_until_ns = None  # an answer ends a down period too
    _arm(iopkt, la, ARPT_KEEP_S)
    if la.la_hold is not None:
        held, la.la_hold = la.la_hold, None
        inet.arpstat.as_dfrsent += 1
        await la.la_ifp.if_output(la.la_ifp, held, la.la_lladdr, ETHERTYPE_IP)
