"""IPv4 input and output (NetBSD ``netinet/ip_input.c``, ``ip_output.c``).

A host, not a router: packets not addressed to us are dropped, and nothing is
fragmented or reassembled. A datagram bigger than the interface MTU is
refused with ``EMSGSIZE``; a received fragment is counted and dropped.
"""

from __future__ import annotations

from ..kern.errno import EHOSTUNREACH, EMSGSIZE, ENETDOWN, ENOBUFS, EOK
from ..kern.mbuf import (
    M_BCAST,
    M_MCAST,
    M_CSUM_IPv4,
    M_CSUM_IPv4_BAD,
    Mbuf,
    m_adj,
    m_copydata,
    m_freem,
    m_length,
    m_prepend,
    m_pullup,
)
from ..net.if_ import IFF_UP, IFCAP_CSUM_IPv4, Ifnet
from ..net.if_ether import ETHERBROADCAST, ETHERTYPE_IP
from .if_arp import arpresolve
from .in_ import INADDR_ANY, INADDR_BROADCAST, in_broadcast, in_is_local, in_multicast, inet_ntoa
from .in_cksum import in_cksum
from .in_var import inet_of
from .route import rtalloc

IPVERSION = 4
IP_HDR_LEN = 20
IP_MAXPACKET = 65535
IP_RF = 0x8000
IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFMASK = 0x1FFF
IP_DEFTTL = 64
MAXTTL = 255

IPPROTO_ICMP = 1
IPPROTO_UDP = 17


class IpHeader:
    """The fields of ``struct ip`` that this stack reads, in host order."""

    __slots__ = ("ip_v", "ip_hl", "ip_tos", "ip_len", "ip_id", "ip_off", "ip_ttl", "ip_p", "ip_sum", "ip_src",
                 "ip_dst")

    @classmethod
    def parse(cls, raw: bytes) -> IpHeader:
        h = cls()
        h.ip_v, h.ip_hl = raw[0] >> 4, raw[0] & 0xF
        h.ip_tos = raw[1]
        h.ip_len = int.from_bytes(raw[2:4], "big")
        h.ip_id = int.from_bytes(raw[4:6], "big")
        h.ip_off = int.from_bytes(raw[6:8], "big")
        h.ip_ttl, h.ip_p = raw[8], raw[9]
        h.ip_sum = int.from_bytes(raw[10:12], "big")
        h.ip_src = int.from_bytes(raw[12:16], "big")
        h.ip_dst = int.from_bytes(raw[16:20], "big")
        return h


def ip_header_bytes(total_len: int, ip_id: int, ttl: int, proto: int, src: int, dst: int, tos: int = 0,
                    off: int = 0, cksum: bool = True) -> bytes:
    """The header; with ``cksum`` False the checksum is left 0 for the NIC to fill."""
    hdr = bytearray(bytes([0x45, tos]) + total_len.to_bytes(2, "big") + ip_id.to_bytes(2, "big")
                    + off.to_bytes(2, "big") + bytes([ttl, proto]) + b"\x00\x00" + src.to_bytes(4, "big")
                    + dst.to_bytes(4, "big"))
    if cksum:
        hdr[10:12] = in_cksum(bytes(hdr)).to_bytes(2, "big")
    return bytes(hdr)


async def ip_input(ifp: Ifnet, m: Mbuf) -> None:
    """Validate a received datagram and hand it to its transport protocol."""
    inet = inet_of(ifp.if_iopkt)
    st = inet.ipstat
    st.ips_total += 1
    if m.m_pkthdr.len < IP_HDR_LEN:
        st.ips_toosmall += 1
        m_freem(m)
        return
    m = m_pullup(m, IP_HDR_LEN)
    if m is None:
        st.ips_toosmall += 1
        return
    first = m_copydata(m, 0, IP_HDR_LEN)
    ip = IpHeader.parse(first)
    if ip.ip_v != IPVERSION:
        st.ips_badvers += 1
        m_freem(m)
        return
    hlen = ip.ip_hl << 2
    if hlen < IP_HDR_LEN or hlen > m.m_pkthdr.len:
        st.ips_badhlen += 1
        m_freem(m)
        return
    flags = m.m_pkthdr.csum_flags
    if flags & M_CSUM_IPv4:
        bad = bool(flags & M_CSUM_IPv4_BAD)  # the NIC checked it for us
    else:
        bad = in_cksum(m_copydata(m, 0, hlen)) != 0
    if bad:
        st.ips_badsum += 1
        m_freem(m)
        return
    if ip.ip_len < hlen:
        st.ips_badlen += 1
        m_freem(m)
        return
    if m.m_pkthdr.len < ip.ip_len:
        st.ips_tooshort += 1
        m_freem(m)
        return
    if m.m_pkthdr.len > ip.ip_len:
        m_adj(m, ip.ip_len - m.m_pkthdr.len)  # Ethernet padding of a short frame
    if ip.ip_off & (IP_MF | IP_OFFMASK):
        st.ips_fragments += 1
        st.ips_fragdropped += 1
        m_freem(m)
        return
    if not _for_us(inet, ifp, ip.ip_dst):
        st.ips_cantforward += 1
        m_freem(m)
        return
    if in_broadcast(ip.ip_dst, ifp):
        m.m_flags |= M_BCAST
    proto_input = inet.protosw.get(ip.ip_p)
    if proto_input is None:
        st.ips_noproto += 1
        from .ip_icmp import ICMP_UNREACH, ICMP_UNREACH_PROTOCOL, icmp_error
        await icmp_error(ifp, m, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL)
        return
    st.ips_delivered += 1
    await proto_input(ifp, m, hlen)


def _for_us(inet, ifp: Ifnet, dst: int) -> bool:
    # The weak host model, as NetBSD: any of our addresses on any interface.
    if in_is_local(inet, dst):
        return True
    if in_multicast(dst):
        return False  # no multicast group membership in this stack
    return in_broadcast(dst, ifp) and dst != INADDR_ANY


async def ip_output(iopkt, m: Mbuf, src: int, dst: int, proto: int, ttl: int = IP_DEFTTL, tos: int = 0) -> int:
    """Route, prepend the IP header and send ``m`` (the transport segment).
    ``src`` 0 picks the outgoing interface's address. Consumes ``m`` always."""
    inet = inet_of(iopkt)
    st = inet.ipstat
    st.ips_localout += 1
    rt = rtalloc(inet, dst)
    if rt is None:
        st.ips_noroute += 1
        m_freem(m)
        return EHOSTUNREACH
    ifp = rt.ifp
    if not ifp.if_flags & IFF_UP:
        st.ips_odropped += 1
        m_freem(m)
        return ENETDOWN
    if src == INADDR_ANY:
        src = rt.ia.ia_addr
    total = IP_HDR_LEN + m_length(m)
    if total > min(ifp.if_mtu, IP_MAXPACKET):
        st.ips_cantfrag += 1
        iopkt.printf(f"ip_output: {total}-byte datagram to {inet_ntoa(dst)} does not fit the {ifp.if_mtu}-byte "
                     f"MTU of {ifp.if_xname}, and this stack does not fragment: EMSGSIZE")
        m_freem(m)
        return EMSGSIZE
    m = m_prepend(m, IP_HDR_LEN)
    if m is None:
        st.ips_odropped += 1
        return ENOBUFS
    ip_id = inet.ip_id
    inet.ip_id = (ip_id + 1) & 0xFFFF
    local = in_is_local(inet, dst)
    # As NetBSD: with IPv4 checksum offload enabled for transmit the header
    # goes out with a zero checksum and M_CSUM_IPv4 asks the driver to fill it.
    # Looped-back packets never reach a NIC, so they are finished here.
    offload = not local and bool(ifp.if_capenable_tx & IFCAP_CSUM_IPv4)
    m.pool.memory.write(m.m_data, ip_header_bytes(total, ip_id, ttl, proto, src, dst, tos, cksum=not offload))
    if offload:
        m.m_pkthdr.csum_flags |= M_CSUM_IPv4
    if local:
        _loopback(iopkt, ifp, m)
        return EOK
    if rt.broadcast or dst == INADDR_BROADCAST:
        m.m_flags |= M_BCAST
        return await ifp.if_output(ifp, m, ETHERBROADCAST, ETHERTYPE_IP)
    m.m_flags &= ~(M_BCAST | M_MCAST)
    mac, err = await arpresolve(ifp, m, rt.nexthop, gateway=rt.nexthop != dst)
    if mac is None:
        # EOK: held until ARP answers (or dropped when it never does); else the
        # neighbour is down: EHOSTDOWN, or EHOSTUNREACH for a gateway, as NetBSD.
        return err
    return await ifp.if_output(ifp, m, mac, ETHERTYPE_IP)


def _loopback(iopkt, ifp: Ifnet, m: Mbuf) -> None:
    # NetBSD sends these through lo0; here the packet re-enters ip_input as a
    # new client of the stack, after the sender has let go of the context.
    m.m_pkthdr.rcvif = ifp
    iopkt.platform.spawn(iopkt.stack_call(ip_input, ifp, m, proc_name="lo0"), "lo0-input")
