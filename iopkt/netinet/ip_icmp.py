"""ICMP (NetBSD ``netinet/ip_icmp.c``): echo service, errors, and delivery of
echo replies to pingers waiting on their identifier (what a raw socket does)."""

from __future__ import annotations

from dataclasses import dataclass

from ..kern.errno import ENOBUFS
from ..kern.mbuf import M_BCAST, M_MCAST, Mbuf, m_copydata, m_devget, m_freem
from ..net.if_ import Ifnet
from .in_ import in_broadcast, in_ifaddr_of, in_is_local, in_multicast
from .in_cksum import in_cksum
from .in_var import inet_of
from .ip import IP_DEFTTL, IP_HDR_LEN, IPPROTO_ICMP, MAXTTL, IpHeader, ip_output

ICMP_ECHOREPLY = 0
ICMP_UNREACH = 3
ICMP_ECHO = 8
ICMP_UNREACH_PROTOCOL = 2
ICMP_UNREACH_PORT = 3
ICMP_MINLEN = 8
_ERROR_TYPES = {3, 4, 5, 11, 12}


@dataclass
class EchoReply:
    src: int
    ident: int
    seq: int
    ttl: int
    data: bytes
    received_ns: int


def icmp_packet(icmp_type: int, code: int, rest: bytes, body: bytes) -> bytes:
    """``rest`` is the 4-byte second word (id and sequence for echoes)."""
    msg = bytearray(bytes([icmp_type, code, 0, 0]) + rest + body)
    msg[2:4] = in_cksum(bytes(msg)).to_bytes(2, "big")
    return bytes(msg)


async def icmp_input(ifp: Ifnet, m: Mbuf, hlen: int) -> None:
    iopkt = ifp.if_iopkt
    inet = inet_of(iopkt)
    st = inet.icmpstat
    ip = IpHeader.parse(m_copydata(m, 0, IP_HDR_LEN))
    icmplen = ip.ip_len - hlen
    if icmplen < ICMP_MINLEN:
        st.icps_tooshort += 1
        m_freem(m)
        return
    msg = m_copydata(m, hlen, icmplen)
    bcast = bool(m.m_flags & (M_BCAST | M_MCAST))
    m_freem(m)
    if in_cksum(msg) != 0:
        st.icps_checksum += 1
        return
    icmp_type = msg[0]
    st.count_in(icmp_type)
    if icmp_type == ICMP_ECHO:
        if bcast:
            return  # NetBSD's icmpbmcastecho is off: no smurf amplifier here
        src = ip.ip_dst if in_is_local(inet, ip.ip_dst) else _ifaddr(ifp)
        await _icmp_send(iopkt, ICMP_ECHOREPLY, 0, msg[4:8], msg[8:], src, ip.ip_src)
        st.icps_reflect += 1
        return
    if icmp_type == ICMP_ECHOREPLY:
        ident, seq = int.from_bytes(msg[4:6], "big"), int.from_bytes(msg[6:8], "big")
        listener = inet.echo_listeners.get(ident)
        if listener is None:
            st.icps_nowaiter += 1
            return
        listener(EchoReply(ip.ip_src, ident, seq, ip.ip_ttl, msg[8:], iopkt.platform.now_ns()))


def _ifaddr(ifp: Ifnet) -> int:
    ia = in_ifaddr_of(ifp)
    return ia.ia_addr if ia else 0


async def _icmp_send(iopkt, icmp_type: int, code: int, rest: bytes, body: bytes, src: int, dst: int,
                     ttl: int = MAXTTL) -> int:
    # Responses go out with MAXTTL, as NetBSD's icmp_reflect sends them.
    m = m_devget(iopkt.mbufs, icmp_packet(icmp_type, code, rest, body))
    if m is None:
        return ENOBUFS
    inet_of(iopkt).icmpstat.count_out(icmp_type)
    return await ip_output(iopkt, m, src, dst, IPPROTO_ICMP, ttl=ttl)


async def icmp_error(ifp: Ifnet, m: Mbuf, icmp_type: int, code: int) -> None:
    """Answer the datagram in ``m`` with an ICMP error (consumes ``m``)."""
    iopkt = ifp.if_iopkt
    inet = inet_of(iopkt)
    st = inet.icmpstat
    st.icps_error += 1
    ip = IpHeader.parse(m_copydata(m, 0, IP_HDR_LEN))
    hlen = ip.ip_hl << 2
    quote = m_copydata(m, 0, min(ip.ip_len, hlen + 8))
    never = (m.m_flags & (M_BCAST | M_MCAST) or in_broadcast(ip.ip_src, ifp) or in_multicast(ip.ip_src)
             or in_broadcast(ip.ip_dst, ifp) or in_multicast(ip.ip_dst))
    m_freem(m)
    if never:
        return
    if ip.ip_p == IPPROTO_ICMP and len(quote) >= hlen + 1 and quote[hlen] in _ERROR_TYPES:
        st.icps_oldicmp += 1
        return
    await _icmp_send(iopkt, icmp_type, code, b"\x00" * 4, quote, ip.ip_dst, ip.ip_src)


async def icmp_echo_send(iopkt, dst: int, ident: int, seq: int, data: bytes, ttl: int | None = None) -> int:
    """Send an echo request (what ping writes to its raw socket). Stack context."""
    return await _icmp_send(iopkt, ICMP_ECHO, 0, ident.to_bytes(2, "big") + seq.to_bytes(2, "big"), data, 0, dst,
                            ttl=IP_DEFTTL if ttl is None else ttl)


def icmp_echo_listen(iopkt, ident: int, listener) -> None:
    """Have echo replies carrying ``ident`` passed to ``listener(EchoReply)``."""
    inet = inet_of(iopkt)
    if ident in inet.echo_listeners:
        raise ValueError(f"ICMP echo identifier {ident} is already in use")
    inet.echo_listeners[ident] = listener


def icmp_echo_unlisten(iopkt, ident: int) -> None:
    inet_of(iopkt).echo_listeners.pop(ident, None)
