"""UDP (NetBSD ``netinet/udp_usrreq.c``) and a tiny socket-like API over it,
for tests and demos: ``sock = await udp_socket(iopkt)``, ``sock.bind(port)``,
``await sock.sendto(data, (ip, port))``, ``await sock.recvfrom(timeout_ns)``.

Errors are raised as ``OSError(errno, text)`` with io-pkt's errno values, and
a ``recvfrom`` that times out raises ``TimeoutError``, as Python sockets do.
"""

from __future__ import annotations

from ..kern.errno import EADDRINUSE, EADDRNOTAVAIL, EBADF, EINTR, EINVAL, ENOBUFS, EOK, strerror
from ..kern.mbuf import M_BCAST, M_CSUM_TCP_UDP_BAD, M_MCAST, M_CSUM_UDPv4, Mbuf, m_copydata, m_devget, m_freem
from ..net.if_ import IFCAP_CSUM_UDPv4, Ifnet
from .in_ import INADDR_ANY, in_is_local, inet_addr, inet_ntoa
from .in_cksum import in4_cksum, in4_pseudo_sum
from .in_var import inet_of
from .ip import IP_HDR_LEN, IPPROTO_UDP, IpHeader, ip_output
from .sockbuf import SockBuf

UDP_HDR_LEN = 8
_EPHEMERAL_FIRST, _EPHEMERAL_LAST = 49152, 65535


async def udp_input(ifp: Ifnet, m: Mbuf, hlen: int) -> None:
    iopkt = ifp.if_iopkt
    inet = inet_of(iopkt)
    st = inet.udpstat
    st.udps_ipackets += 1
    ip = IpHeader.parse(m_copydata(m, 0, IP_HDR_LEN))
    if ip.ip_len - hlen < UDP_HDR_LEN:
        st.udps_hdrops += 1
        m_freem(m)
        return
    uh = m_copydata(m, hlen, UDP_HDR_LEN)
    sport, dport = int.from_bytes(uh[0:2], "big"), int.from_bytes(uh[2:4], "big")
    ulen, usum = int.from_bytes(uh[4:6], "big"), int.from_bytes(uh[6:8], "big")
    if ulen < UDP_HDR_LEN or ulen > ip.ip_len - hlen:
        st.udps_badlen += 1
        m_freem(m)
        return
    segment = m_copydata(m, hlen, ulen)
    flags = m.m_pkthdr.csum_flags
    if flags & M_CSUM_UDPv4:
        bad = bool(flags & M_CSUM_TCP_UDP_BAD)  # the NIC checked it
    else:
        bad = usum != 0 and in4_cksum(segment, IPPROTO_UDP, ip.ip_src, ip.ip_dst) != 0
    if bad:
        st.udps_badsum += 1
        m_freem(m)
        return
    sock = inet.udb.get(dport)
    if sock is not None and sock.laddr not in (INADDR_ANY, ip.ip_dst):
        sock = None
    if sock is None:
        if m.m_flags & (M_BCAST | M_MCAST):
            st.udps_noportbcast += 1
            m_freem(m)
            return
        st.udps_noport += 1
        from .ip_icmp import ICMP_UNREACH, ICMP_UNREACH_PORT, icmp_error
        await icmp_error(ifp, m, ICMP_UNREACH, ICMP_UNREACH_PORT)
        return
    m_freem(m)
    if not sock.rcv.append((segment[UDP_HDR_LEN:], (inet_ntoa(ip.ip_src), sport))):
        st.udps_fullsock += 1


def _fold16(acc: int) -> int:
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


async def udp_output(iopkt, data: bytes, src: int, sport: int, dst: int, dport: int) -> int:
    """Send one datagram. ``src`` 0 lets the route choose. Stack context."""
    from .route import rtalloc

    inet = inet_of(iopkt)
    rt = rtalloc(inet, dst)
    if src == INADDR_ANY and rt is not None:
        src = rt.ia.ia_addr  # the checksum covers it, so pick it before IP does
    ulen = UDP_HDR_LEN + len(data)
    segment = bytearray(sport.to_bytes(2, "big") + dport.to_bytes(2, "big") + ulen.to_bytes(2, "big") + b"\x00\x00"
                        + data)
    # Checksum offload, as NetBSD's udp_output: the NIC completes the sum
    # seeded with the pseudo-header; csum_data says where the field is.
    offload = (rt is not None and not in_is_local(inet, dst)
               and bool(rt.ifp.if_capenable_tx & IFCAP_CSUM_UDPv4))
    if offload:
        seed = _fold16(in4_pseudo_sum(src, dst, IPPROTO_UDP, ulen))
        segment[6:8] = seed.to_bytes(2, "big")
    else:
        csum = in4_cksum(bytes(segment), IPPROTO_UDP, src, dst) or 0xFFFF  # 0 means "no checksum" in UDP
        segment[6:8] = csum.to_bytes(2, "big")
    m = m_devget(iopkt.mbufs, bytes(segment))
    if m is None:
        return ENOBUFS
    if offload:
        m.m_pkthdr.csum_flags |= M_CSUM_UDPv4
        m.m_pkthdr.csum_data = 6  # offsetof(struct udphdr, uh_sum)
    inet.udpstat.udps_opackets += 1
    return await ip_output(iopkt, m, src, dst, IPPROTO_UDP)


class UdpSocket:
    """A datagram socket bound to at most one local port."""

    def __init__(self, iopkt):
        self.iopkt = iopkt
        self.laddr = INADDR_ANY
        self.lport = 0
        self.closed = False
        self.rcv = SockBuf(iopkt.platform, "udp")

    def __repr__(self) -> str:
        return f"<UdpSocket {inet_ntoa(self.laddr)}:{self.lport}>"

    def bind(self, where: int | tuple[str, int]) -> None:
        """``bind(port)`` or ``bind((ip, port))``; port 0 picks an ephemeral one."""
        self._check_open()
        addr, port = (INADDR_ANY, where) if isinstance(where, int) else (inet_addr(where[0] or 0), where[1])
        if self.lport:
            raise OSError(EINVAL, strerror(EINVAL))
        inet = inet_of(self.iopkt)
        if addr != INADDR_ANY and not in_is_local(inet, addr):
            raise OSError(EADDRNOTAVAIL, strerror(EADDRNOTAVAIL))
        if not 0 <= port <= 0xFFFF:
            raise OSError(EINVAL, strerror(EINVAL))
        if port == 0:
            port = self._ephemeral(inet)
        elif port in inet.udb:
            raise OSError(EADDRINUSE, strerror(EADDRINUSE))
        self.laddr, self.lport = addr, port
        inet.udb[port] = self

    def getsockname(self) -> tuple[str, int]:
        return inet_ntoa(self.laddr), self.lport

    async def sendto(self, data: bytes, addr: tuple[str, int]) -> int:
        self._check_open()
        dst, dport = inet_addr(addr[0]), int(addr[1])
        if not self.lport:
            self.bind(0)
        err = await self.iopkt.stack_call(udp_output, self.iopkt, bytes(data), self.laddr, self.lport, dst, dport,
                                          proc_name="udp-sendto")
        if err != EOK:
            raise OSError(err, strerror(err))
        return len(data)

    async def recvfrom(self, timeout_ns: int | None = None, intr=None) -> tuple[bytes, tuple[str, int]]:
        """The next datagram and its sender; ``TimeoutError`` after ``timeout_ns``;
        ``InterruptedError`` (EINTR) once ``intr`` (a ``kern.sig.SigInt``) is raised."""
        self._check_open()
        item = await self.rcv.get(timeout_ns, intr)
        if item is None and intr is not None and intr.raised:
            raise InterruptedError(EINTR, strerror(EINTR))
        if item is None:
            raise TimeoutError(f"recvfrom on {self!r}: nothing within {timeout_ns} ns")
        return item

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        inet = inet_of(self.iopkt)
        if inet.udb.get(self.lport) is self:
            del inet.udb[self.lport]

    def _check_open(self) -> None:
        if self.closed:
            raise OSError(EBADF, strerror(EBADF))

    @staticmethod
    def _ephemeral(inet) -> int:
        span = _EPHEMERAL_LAST - _EPHEMERAL_FIRST + 1
        for _ in range(span):
            port = inet.udp_next_port
            inet.udp_next_port = _EPHEMERAL_FIRST + (port + 1 - _EPHEMERAL_FIRST) % span
            if port not in inet.udb:
                return port
        raise OSError(EADDRINUSE, strerror(EADDRINUSE))


async def udp_socket(iopkt) -> UdpSocket:
    """A new UDP socket (``socket(AF_INET, SOCK_DGRAM, 0)``)."""
    inet_of(iopkt)
    return UdpSocket(iopkt)
