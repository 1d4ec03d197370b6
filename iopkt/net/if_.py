"""Network interfaces (NetBSD ``net/if.c``, ``net/if.h``): ``ifnet``, the send
queue and its ``IFQ_*`` macros, interface ioctls.

io-pkt keeps ``IFF_RUNNING`` and ``IFF_OACTIVE`` in ``if_flags_tx`` (under the
transmit mutex) and the administrative flags in ``if_flags``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from ..kern.diag import DriverBug
from ..kern.errno import EINVAL, ENETRESET, ENOBUFS, ENOTTY, ENXIO, EOK
from ..kern.mbuf import M_BCAST, M_MCAST, Mbuf, m_chain_bytes, m_freem
from ..kern.siglock import NW_SIGLOCK_P, NW_SIGUNLOCK_P, NwSigLock
from .if_media import IfMediaReq
from .nicinfo import IfDrvCom

IFF_UP = 0x0001
IFF_BROADCAST = 0x0002
IFF_DEBUG = 0x0004
IFF_LOOPBACK = 0x0008
IFF_POINTOPOINT = 0x0010
IFF_NOTRAILERS = 0x0020
IFF_RUNNING = 0x0040
IFF_NOARP = 0x0080
IFF_PROMISC = 0x0100
IFF_ALLMULTI = 0x0200
IFF_OACTIVE = 0x0400
IFF_SIMPLEX = 0x0800
IFF_LINK0 = 0x1000
IFF_LINK1 = 0x2000
IFF_LINK2 = 0x4000
IFF_MULTICAST = 0x8000

# Flags only the stack and the driver set (NetBSD net/if.h): SIOCSIFFLAGS
# keeps them as they are, whatever it is given. RUNNING and OACTIVE live in
# if_flags_tx here, as in io-pkt, so they never get into if_flags at all.
IFF_CANTCHANGE = (IFF_BROADCAST | IFF_POINTOPOINT | IFF_RUNNING | IFF_OACTIVE | IFF_SIMPLEX | IFF_MULTICAST
                  | IFF_ALLMULTI | IFF_PROMISC)
IFF_FLAGS_MAX = 0xFFFF  # the flag word: struct ifreq's ifr_flags is a short

IFF_NAMES = [(IFF_UP, "UP"), (IFF_BROADCAST, "BROADCAST"), (IFF_DEBUG, "DEBUG"), (IFF_LOOPBACK, "LOOPBACK"),
             (IFF_POINTOPOINT, "POINTOPOINT"), (IFF_NOTRAILERS, "NOTRAILERS"), (IFF_RUNNING, "RUNNING"),
             (IFF_NOARP, "NOARP"), (IFF_PROMISC, "PROMISC"), (IFF_ALLMULTI, "ALLMULTI"),
             (IFF_OACTIVE, "OACTIVE"), (IFF_SIMPLEX, "SIMPLEX"), (IFF_LINK0, "LINK0"), (IFF_LINK1, "LINK1"),
             (IFF_LINK2, "LINK2"), (IFF_MULTICAST, "MULTICAST")]

INT_MAX = 0x7FFFFFFF
UINT_MAX = 0xFFFFFFFF

IFQ_MAXLEN = 256  # io-pkt's default send-queue length

# ioctl requests (io-pkt/NetBSD values)
SIOCSIFADDR = 0x8020690C
SIOCGIFADDR = 0xC0206921
SIOCSIFFLAGS = 0x80206910
SIOCGIFFLAGS = 0xC0206911
SIOCSIFMTU = 0x8020697F
SIOCGIFMTU = 0xC020697E
SIOCADDMULTI = 0x80206931
SIOCDELMULTI = 0x80206932
SIOCSIFMEDIA = 0xC0206937
SIOCGIFMEDIA = 0xC0286938
SIOCSIFCAP = 0x8020697A
SIOCGDRVCOM = 0xC028697B
SIOCIFDESTROY = 0x80206979
SIOCGIFCAP = 0xC0206976

# Capabilities (io-pkt keeps rx and tx words apart: if_capabilities_rx/_tx)
IFCAP_CSUM_IPv4 = 0x01
IFCAP_CSUM_TCPv4 = 0x02
IFCAP_CSUM_UDPv4 = 0x04
IFCAP_CSUM_TCPv6 = 0x08
IFCAP_CSUM_UDPv6 = 0x10
IFCAP_TSOv4 = 0x20
IFCAP_TSOv6 = 0x40
IFCAP_NAMES = [(IFCAP_CSUM_IPv4, "IP4CSUM"), (IFCAP_CSUM_TCPv4, "TCP4CSUM"), (IFCAP_CSUM_UDPv4, "UDP4CSUM"),
               (IFCAP_CSUM_TCPv6, "TCP6CSUM"), (IFCAP_CSUM_UDPv6, "UDP6CSUM"), (IFCAP_TSOv4, "TSO4"),
               (IFCAP_TSOv6, "TSO6")]


@dataclass
class IfCapReq:
    """``struct ifcapreq`` for ``SIOCSIFCAP``/``SIOCGIFCAP`` (io-pkt's rx/tx split)."""

    ifcr_capenable_rx: int = 0
    ifcr_capenable_tx: int = 0
    ifcr_capabilities_rx: int = 0
    ifcr_capabilities_tx: int = 0


class IfQueue:
    """``struct ifqueue``: a bounded FIFO of packets with a drop count."""

    def __init__(self, maxlen: int = IFQ_MAXLEN):
        self.ifq_maxlen = maxlen
        self.ifq_drops = 0
        self._q: list[Mbuf] = []
        self.ready = False

    @property
    def ifq_len(self) -> int:
        return len(self._q)


def IFQ_SET_MAXLEN(ifq: IfQueue, n: int) -> None:
    ifq.ifq_maxlen = n


def IFQ_SET_READY(ifq: IfQueue) -> None:
    ifq.ready = True


def IFQ_IS_EMPTY(ifq: IfQueue) -> bool:
    return not ifq._q


def IFQ_ENQUEUE(ifq: IfQueue, m: Mbuf) -> int:
    """Queue ``m``; a full queue frees it, counts a drop and returns ``ENOBUFS``."""
    if len(ifq._q) >= ifq.ifq_maxlen:
        ifq.ifq_drops += 1
        m_freem(m)
        return ENOBUFS
    ifq._q.append(m)
    return EOK


def IFQ_DEQUEUE(ifq: IfQueue) -> Mbuf | None:
    return ifq._q.pop(0) if ifq._q else None


def IFQ_POLL(ifq: IfQueue) -> Mbuf | None:
    return ifq._q[0] if ifq._q else None


def IFQ_PURGE(ifq: IfQueue) -> None:
    while ifq._q:
        m_freem(ifq._q.pop(0))


class Ifnet:
    """``struct ifnet``."""

    def __init__(self):
        self.if_xname = ""
        self.if_softc = None
        self.if_iopkt = None
        self.if_flags = 0
        self.if_flags_tx = 0
        self.if_mtu = 1500
        self.if_type = 0
        self.if_addrlen = 0
        self.if_hdrlen = 0
        self.if_index = 0
        self.if_snd = IfQueue()
        self.if_snd_ex = NwSigLock("if_snd_ex")
        self.if_init = None
        self.if_start = None
        self.if_stop = None
        self.if_ioctl = None
        self.if_input = None
        self.if_output = None
        self.if_capabilities_rx = 0
        self.if_capabilities_tx = 0
        self.if_capenable_rx = 0
        self.if_capenable_tx = 0
        # statistics (struct if_data)
        self.if_ipackets = 0
        self.if_ierrors = 0
        self.if_opackets = 0
        self.if_oerrors = 0
        self.if_collisions = 0
        self.if_ibytes = 0
        self.if_obytes = 0
        self.if_imcasts = 0
        self.if_omcasts = 0
        self.if_iqdrops = 0
        self.if_noproto = 0
        self.if_link_state = 0
        self.if_lladdr = b""
        self.if_pcount = 0  # listeners that asked for promiscuous mode (ifpromisc)
        self.if_addrs: list = []  # protocol addresses, kept by netinet
        self.ec = None  # struct ethercom, for Ethernet interfaces
        # BPF taps (net/bpf.py): callables shown each frame received / queued for output
        self.if_bpf_in: list = []
        self.if_bpf_out: list = []

    def __repr__(self) -> str:
        return f"<ifnet {self.if_xname}>"


def if_flags_str(flags: int) -> str:
    return ",".join(n for bit, n in IFF_NAMES if flags & bit)


async def call_driver(fn, *args):
    r = fn(*args)
    if inspect.isawaitable(r):
        r = await r
    return r


def if_attach(iopkt, ifp: Ifnet) -> None:
    iopkt.ctx.require("if_attach")
    if any(i.if_xname == ifp.if_xname for i in iopkt.ifnet):
        raise DriverBug(f"if_attach: {ifp.if_xname} is already attached")
    ifp.if_iopkt = iopkt
    ifp.if_index = max((i.if_index for i in iopkt.ifnet), default=0) + 1
    iopkt.ifnet.append(ifp)


def if_detach(ifp: Ifnet) -> None:
    """The interface goes away: protocols forget it (addresses, ARP entries)
    through ``iopkt.ifdetach_hooks``, and what its queue holds is freed."""
    iopkt = ifp.if_iopkt
    for hook in list(iopkt.ifdetach_hooks):
        hook(ifp)
    IFQ_PURGE(ifp.if_snd)
    if ifp in iopkt.ifnet:
        iopkt.ifnet.remove(ifp)


def ifunit(iopkt, name: str) -> Ifnet | None:
    for ifp in iopkt.ifnet:
        if ifp.if_xname == name:
            return ifp
    return None


async def if_transmit(ifp: Ifnet, m: Mbuf) -> int:
    """Queue a packet and kick the driver, as io-pkt's output path does:
    take the transmit mutex, ``IFQ_ENQUEUE``; if ``IFF_OACTIVE`` is clear call
    ``if_start`` with the mutex held (it must release it), else release it here."""
    iopkt = ifp.if_iopkt
    who = iopkt.ctx.owner
    await NW_SIGLOCK_P(ifp.if_snd_ex, iopkt, who)
    nbytes = m.m_pkthdr.len if m.m_pkthdr else 0
    mcast = m.m_flags & (M_BCAST | M_MCAST)
    err = IFQ_ENQUEUE(ifp.if_snd, m)
    if err != EOK:
        NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, who)
        ifp.if_oerrors += 1
        return err
    ifp.if_obytes += nbytes
    for tap in ifp.if_bpf_out:  # the frame is queued, not yet handed to the driver
        tap(m_chain_bytes(m))
    if mcast:
        ifp.if_omcasts += 1
    if ifp.if_flags_tx & IFF_OACTIVE:
        NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, who)
        return EOK
    await call_driver(ifp.if_start, ifp)
    if ifp.if_snd_ex.locked and ifp.if_snd_ex.owner is who:
        NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, who)
        raise DriverBug(f"{ifp.if_xname}: if_start returned with the transmit mutex (if_snd_ex) still held; "
                        f"every path out of the start function must NW_SIGUNLOCK_P")
    return EOK


async def if_up(ifp: Ifnet) -> int:
    """Mark the interface up and start it unless it runs already: what an
    address brings with it (NetBSD ``ether_ioctl`` ``SIOCINITIFADDR``: init
    unless UP and RUNNING both hold). Returns ``if_init``'s errno."""
    ifp.if_flags |= IFF_UP
    if not ifp.if_flags_tx & IFF_RUNNING:
        return await call_driver(ifp.if_init, ifp)
    return EOK


async def ifpromisc(ifp: Ifnet, pswitch: bool) -> int:
    """Ask for promiscuous mode (``pswitch`` true) or give the request back
    (NetBSD ``net/if.c`` ``ifpromisc``, what BPF calls for a promiscuous
    listener): IFF_PROMISC is one of the ``IFF_CANTCHANGE`` flags, so
    ``SIOCSIFFLAGS`` cannot set it. The first request sets it and the last one
    given back clears it (``if_pcount`` counts them); an interface that is up
    is then initialised again to take it, as ``SIOCSIFFLAGS`` would. Returns
    ``if_init``'s errno (the count and flag restored on failure); ``EINVAL``
    to give back a request never made."""
    pcount, flags = ifp.if_pcount, ifp.if_flags
    if pswitch:
        ifp.if_pcount += 1
        if pcount:
            return EOK
        ifp.if_flags |= IFF_PROMISC
    else:
        if pcount == 0:
            return EINVAL
        ifp.if_pcount -= 1
        if ifp.if_pcount:
            return EOK
        ifp.if_flags &= ~IFF_PROMISC
    err = await call_driver(ifp.if_init, ifp) if ifp.if_flags & IFF_UP else EOK
    if err != EOK:
        ifp.if_pcount, ifp.if_flags = pcount, flags
    return err


def _is_int(data, lo: int, hi: int) -> bool:
    return isinstance(data, int) and not isinstance(data, bool) and lo <= data <= hi


def _is_lladdr(ifp: Ifnet, data) -> bool:
    return isinstance(data, (bytes, bytearray)) and len(data) == ifp.if_addrlen > 0


def ifreq_valid(ifp: Ifnet, cmd: int, data) -> bool:
    """Is ``data`` the shape ``cmd`` takes? What io-pkt's copy-in of a
    request structure of the wrong size or type would refuse, so a driver
    never sees it. Requests the stack does not know are the driver's to judge.

    ========================  ==============================================
    ``SIOCSIFFLAGS``          int in 0..``IFF_FLAGS_MAX``
    ``SIOCSIFMTU``            int in 0..``INT_MAX`` (the driver's range is
                              ``ether_ioctl``'s to check)
    ``SIOCADDMULTI``/``DEL``  link address (``if_addrlen`` bytes), or a
                              ``(lo, hi)`` range of two
    ``SIOCSIFMEDIA``          media word, int in 0..``UINT_MAX``
    ``SIOCGIFMEDIA``          ``IfMediaReq``
    ``SIOCGDRVCOM``           ``IfDrvCom`` naming this interface, ``ifdc_cmd``
                              and ``ifdc_len`` ints in 0..``UINT_MAX``
    ``SIOCSIFCAP``            ``IfCapReq`` with int ``ifcr_capenable_rx/tx``
                              in 0..``UINT_MAX``
    ``SIOCGIFCAP``            ``IfCapReq``
    ``SIOCIFDESTROY``         ``None`` (the request only names the interface)
    ========================  ==============================================
    """
    if cmd == SIOCSIFFLAGS:
        return _is_int(data, 0, IFF_FLAGS_MAX)
    if cmd == SIOCSIFMTU:
        return _is_int(data, 0, INT_MAX)
    if cmd in (SIOCADDMULTI, SIOCDELMULTI):
        if isinstance(data, tuple):
            return len(data) == 2 and all(_is_lladdr(ifp, a) for a in data)
        return _is_lladdr(ifp, data)
    if cmd == SIOCSIFMEDIA:
        return _is_int(data, 0, UINT_MAX)
    if cmd == SIOCGIFMEDIA:
        return isinstance(data, IfMediaReq)
    if cmd == SIOCGDRVCOM:
        return (isinstance(data, IfDrvCom) and data.ifdc_name == ifp.if_xname
                and _is_int(data.ifdc_cmd, 0, UINT_MAX) and _is_int(data.ifdc_len, 0, UINT_MAX))
    if cmd == SIOCSIFCAP:
        return isinstance(data, IfCapReq) and all(
            _is_int(v, 0, UINT_MAX) for v in (data.ifcr_capenable_rx, data.ifcr_capenable_tx))
    if cmd == SIOCGIFCAP:
        return isinstance(data, IfCapReq)
    if cmd == SIOCIFDESTROY:
        return data is None
    return True


async def ifioctl(ifp: Ifnet, cmd: int, data) -> int:
    """An interface request from a client (ifconfig, nicinfo), in stack context.

    A request whose ``data`` is not the shape ``ifreq_valid`` lists is
    ``EINVAL`` before anything else looks at it, so nothing changes. The
    stack handles ``SIOCSIFCAP``/``SIOCGIFCAP`` and ``SIOCIFDESTROY`` itself;
    everything else goes to the driver's ``if_ioctl`` (which passes what it
    does not know to ``ether_ioctl`` and so to ``ifioctl_common``); without
    one, to ``ifioctl_common``. Unknown requests are ``ENOTTY``.
    """
    iopkt = ifp.if_iopkt
    iopkt.ctx.require("ifioctl")
    if not ifreq_valid(ifp, cmd, data):
        return EINVAL
    if cmd == SIOCSIFCAP:
        return await if_setcap(ifp, data)
    if cmd == SIOCGIFCAP:
        data.ifcr_capabilities_rx, data.ifcr_capabilities_tx = ifp.if_capabilities_rx, ifp.if_capabilities_tx
        data.ifcr_capenable_rx, data.ifcr_capenable_tx = ifp.if_capenable_rx, ifp.if_capenable_tx
        return EOK
    if cmd == SIOCIFDESTROY:
        from ..kern.device import dev_detach

        dev = iopkt.device_of(ifp)
        if dev is None:
            return ENXIO
        return await dev_detach(dev, 0)
    if ifp.if_ioctl is not None:
        return await call_driver(ifp.if_ioctl, ifp, cmd, data)
    err = await ifioctl_common(ifp, cmd, data)
    return EOK if err == ENETRESET else err  # no driver to reset


async def if_setcap(ifp: Ifnet, req) -> int:
    """``SIOCSIFCAP``: only offered capabilities (else ``EINVAL``); an
    interface that is up is stopped (``if_stop(ifp, 1)``), given the new set,
    and initialised again, as io-pkt's ``ifioctl_common``/``ifioctl`` do (the
    driver programs its offload engines from ``if_capenable_rx/tx`` in
    ``if_init``). Keyed on UP, not RUNNING, so an interface whose init
    failed gets another one."""
    if not ifreq_valid(ifp, SIOCSIFCAP, req):
        return EINVAL
    rx, tx = req.ifcr_capenable_rx, req.ifcr_capenable_tx
    if rx & ~ifp.if_capabilities_rx or tx & ~ifp.if_capabilities_tx:
        return EINVAL
    if rx == ifp.if_capenable_rx and tx == ifp.if_capenable_tx:
        return EOK
    up = bool(ifp.if_flags & IFF_UP)
    if up:
        await call_driver(ifp.if_stop, ifp, 1)
    ifp.if_capenable_rx, ifp.if_capenable_tx = rx, tx
    if up:
        return await call_driver(ifp.if_init, ifp)
    return EOK


async def ifioctl_common(ifp: Ifnet, cmd: int, data) -> int:
    """What every interface type does (NetBSD ``net/if.c`` ``ifioctl_common``).

    ``SIOCSIFFLAGS`` (an int in 0..``IFF_FLAGS_MAX``): stores the flags but
    keeps the ``IFF_CANTCHANGE`` bits; starting or stopping the interface is
    the caller's (``ether_ioctl``) to decide from UP and RUNNING.
    ``SIOCSIFMTU`` (an int in 68..``ETHERMTU_JUMBO``): stores the MTU and
    returns ``ENETRESET`` so the caller re-initialises an interface that is
    up. Malformed ``data`` is ``EINVAL`` with nothing changed; anything else
    is ``ENOTTY``.
    """
    if cmd == SIOCSIFFLAGS:
        if not _is_int(data, 0, IFF_FLAGS_MAX):
            return EINVAL
        ifp.if_flags = (ifp.if_flags & IFF_CANTCHANGE) | (data & ~IFF_CANTCHANGE)
        return EOK
    if cmd == SIOCGIFFLAGS:
        return EOK
    if cmd == SIOCSIFMTU:
        if not _is_int(data, 68, 9000):
            return EINVAL
        ifp.if_mtu = data
        return ENETRESET
    return ENOTTY
