"""Ethernet (NetBSD ``net/if_ethersubr.c``, ``net/if_ether.h``): attach,
input demultiplexing, output framing, the multicast list and ``ether_ioctl``.

``net/`` does not import ``netinet/``: protocols register an input function
per ethertype in ``iopkt.protocols``.
"""

from __future__ import annotations

import zlib

from ..kern.errno import EAFNOSUPPORT, EINVAL, ENETDOWN, ENETRESET, ENOBUFS, ENOENT, EOK
from ..kern.mbuf import M_BCAST, M_MCAST, Mbuf, m_adj, m_copydata, m_freem, m_prepend
from .bpf import bpf_mtap
from .if_ import (
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_PROMISC,
    IFF_RUNNING,
    IFF_SIMPLEX,
    IFF_UP,
    SIOCADDMULTI,
    SIOCDELMULTI,
    SIOCSIFFLAGS,
    SIOCSIFMTU,
    Ifnet,
    call_driver,
    if_transmit,
    ifioctl_common,
)

ETHER_ADDR_LEN = 6
ETHER_TYPE_LEN = 2
ETHER_HDR_LEN = 14
ETHER_CRC_LEN = 4
ETHER_MIN_LEN = 64
ETHER_MAX_LEN = 1518
ETHERMTU = 1500
ETHERMTU_JUMBO = 9000
ETHERTYPE_IP = 0x0800
ETHERTYPE_ARP = 0x0806
IFT_ETHER = 0x06

ETHERBROADCAST = b"\xff" * 6
ETHER_ADDR_ANY = b"\x00" * 6

ETHERCAP_JUMBO_MTU = 0x2


def ether_sprintf(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def ether_aton(text: str) -> bytes:
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(f"bad Ethernet address {text!r}")
    return bytes(int(p, 16) for p in parts)


def ether_crc32_le(data: bytes) -> int:
    """NetBSD's little-endian CRC-32 that drivers hash multicast addresses
    with: the Ethernet CRC without the final inversion (so ~zlib.crc32)."""
    return (zlib.crc32(data) ^ 0xFFFFFFFF) & 0xFFFFFFFF


class EtherMulti:
    """``struct ether_multi``: an address range with a reference count."""

    def __init__(self, lo: bytes, hi: bytes):
        self.enm_addrlo = lo
        self.enm_addrhi = hi
        self.enm_refcount = 1


class EtherCom:
    """``struct ethercom``."""

    def __init__(self, ifp: Ifnet):
        self.ec_if = ifp
        self.ec_multi: list[EtherMulti] = []
        self.ec_capabilities = 0

    @property
    def ec_multicnt(self) -> int:
        return len(self.ec_multi)


class EtherMultiStep:
    """``struct ether_multistep`` for ``ETHER_FIRST_MULTI``/``ETHER_NEXT_MULTI``."""

    def __init__(self):
        self._items: list[EtherMulti] = []
        self._i = 0


def ETHER_FIRST_MULTI(step: EtherMultiStep, ec: EtherCom) -> EtherMulti | None:
    step._items = list(ec.ec_multi)
    step._i = 0
    return ETHER_NEXT_MULTI(step)


def ETHER_NEXT_MULTI(step: EtherMultiStep) -> EtherMulti | None:
    if step._i >= len(step._items):
        return None
    enm = step._items[step._i]
    step._i += 1
    return enm


def ether_ifattach(ifp: Ifnet, lla: bytes) -> None:
    ifp.if_type = IFT_ETHER
    ifp.if_addrlen = ETHER_ADDR_LEN
    ifp.if_hdrlen = ETHER_HDR_LEN
    ifp.if_mtu = ETHERMTU
    ifp.if_flags |= IFF_BROADCAST | IFF_MULTICAST | IFF_SIMPLEX
    ifp.if_lladdr = bytes(lla)
    ifp.if_input = ether_input
    ifp.if_output = ether_output
    if ifp.ec is None:
        ifp.ec = EtherCom(ifp)


def ether_ifdetach(ifp: Ifnet) -> None:
    ifp.ec.ec_multi.clear()


def _is_mcast(mac: bytes) -> bool:
    return bool(mac[0] & 1)


async def ether_input(ifp: Ifnet, m: Mbuf) -> None:
    """Classify, filter and hand a received frame to its protocol."""
    if m.m_pkthdr.len < ETHER_HDR_LEN:
        ifp.if_ierrors += 1
        m_freem(m)
        return
    if ifp.if_bpf_in:
        bpf_mtap(ifp.if_bpf_in, m)
    hdr = m_copydata(m, 0, ETHER_HDR_LEN)
    dst, etype = hdr[0:6], int.from_bytes(hdr[12:14], "big")
    ifp.if_ibytes += m.m_pkthdr.len
    if _is_mcast(dst):
        m.m_flags |= M_BCAST if dst == ETHERBROADCAST else M_MCAST
        ifp.if_imcasts += 1
    elif dst != ifp.if_lladdr and not ifp.if_flags & IFF_PROMISC:
        m_freem(m)  # not for us: a NIC in promiscuous mode or a filter miss
        return
    m_adj(m, ETHER_HDR_LEN)
    proto = ifp.if_iopkt.protocols.get(etype)
    if proto is None:
        ifp.if_noproto += 1
        m_freem(m)
        return
    await proto(ifp, m)


async def ether_output(ifp: Ifnet, m: Mbuf, dst: bytes, ethertype: int) -> int:
    """Prepend the Ethernet header and queue the frame for the driver."""
    if not ifp.if_flags_tx & IFF_RUNNING:
        m_freem(m)
        return ENETDOWN
    m = m_prepend(m, ETHER_HDR_LEN)
    if m is None:
        return ENOBUFS
    m.pool.memory.write(m.m_data, bytes(dst) + ifp.if_lladdr + ethertype.to_bytes(2, "big"))
    if _is_mcast(dst):
        m.m_flags |= M_BCAST if dst == ETHERBROADCAST else M_MCAST
    return await if_transmit(ifp, m)


def ether_addmulti(ec: EtherCom, lo: bytes, hi: bytes | None = None) -> int:
    hi = hi or lo
    if not _is_mcast(lo) or not _is_mcast(hi) or len(lo) != 6 or len(hi) != 6:
        return EINVAL
    for enm in ec.ec_multi:
        if enm.enm_addrlo == lo and enm.enm_addrhi == hi:
            enm.enm_refcount += 1
            return EOK
    ec.ec_multi.append(EtherMulti(bytes(lo), bytes(hi)))
    return ENETRESET


def ether_delmulti(ec: EtherCom, lo: bytes, hi: bytes | None = None) -> int:
    hi = hi or lo
    for enm in ec.ec_multi:
        if enm.enm_addrlo == lo and enm.enm_addrhi == hi:
            enm.enm_refcount -= 1
            if enm.enm_refcount:
                return EOK
            ec.ec_multi.remove(enm)
            return ENETRESET
    return ENOENT


async def ether_ioctl(ifp: Ifnet, cmd: int, data) -> int:
    """The Ethernet part of an interface ioctl; drivers call it for what they
    do not handle (NetBSD ``net/if_ethersubr.c``, io-pkt's as well).

    ``SIOCSIFFLAGS``: ``ifioctl_common`` stores the flags, then UP and
    RUNNING (in ``if_flags_tx``) decide: UP alone starts the interface
    (``if_init``); RUNNING alone stops it (``if_stop(ifp, 1)``); both
    re-initialise it to pick up the other flags (``if_init`` again, there
    being no ``ec_ifflags_cb``); neither does nothing. The state decides, not
    the change, so ``up`` after a failed init tries again. Returns
    ``if_init``'s errno.
    ``SIOCSIFMTU``: 68..``ETHERMTU`` (``ETHERMTU_JUMBO`` with
    ``ETHERCAP_JUMBO_MTU``) else ``EINVAL``; an interface that is up is
    initialised again to take it.
    ``SIOCADDMULTI``/``SIOCDELMULTI``: ``data`` a 6-byte address or a
    ``(lo, hi)`` range; ``ENETRESET`` tells a running driver to reprogram its
    filter. Malformed ``data`` is ``EINVAL`` with nothing changed.
    """
    if cmd == SIOCSIFFLAGS:
        err = await ifioctl_common(ifp, cmd, data)
        if err != EOK:
            return err
        up, running = ifp.if_flags & IFF_UP, ifp.if_flags_tx & IFF_RUNNING
        if running and not up:
            await call_driver(ifp.if_stop, ifp, 1)
            return EOK
        if up:
            return await call_driver(ifp.if_init, ifp)
        return EOK
    if cmd in (SIOCADDMULTI, SIOCDELMULTI):
        if isinstance(data, tuple):
            if len(data) != 2:
                return EINVAL
            lo, hi = data
        else:
            lo = hi = data
        if not isinstance(lo, (bytes, bytearray)) or not isinstance(hi, (bytes, bytearray)):
            return EINVAL
        if len(lo) != ETHER_ADDR_LEN or len(hi) != ETHER_ADDR_LEN:
            return EAFNOSUPPORT
        fn = ether_addmulti if cmd == SIOCADDMULTI else ether_delmulti
        return fn(ifp.ec, bytes(lo), bytes(hi))
    if cmd == SIOCSIFMTU:
        limit = ETHERMTU_JUMBO if ifp.ec.ec_capabilities & ETHERCAP_JUMBO_MTU else ETHERMTU
        if not isinstance(data, int) or isinstance(data, bool) or not 68 <= data <= limit:
            return EINVAL
        err = await ifioctl_common(ifp, cmd, data)
        if err != ENETRESET:
            return err
        if ifp.if_flags & IFF_UP:
            return await call_driver(ifp.if_init, ifp)
        return EOK
    return await ifioctl_common(ifp, cmd, data)
