"""IPv4 addresses and interface addresses (NetBSD ``netinet/in.c``, ``in_var.h``).

Addresses are plain ``int``s inside the stack; ``inet_addr`` and ``inet_ntoa``
convert at the edges (utilities, sockets, tests).
"""

from __future__ import annotations

from ..kern.device import Ref
from ..kern.errno import EADDRNOTAVAIL, EINVAL, ENOTTY, EOK
from ..net.if_ import SIOCGIFADDR, SIOCSIFADDR, Ifnet, if_up

INADDR_ANY = 0
INADDR_BROADCAST = 0xFFFFFFFF
SIOCDIFADDR = 0x80206919  # remove an interface address
SIOCGIFNETMASK = 0xC0206925


def inet_addr(text: str | int) -> int:
    """Dotted quad (or an int already) to an address; ``ValueError`` for
    anything else (other types, out of range, malformed)."""
    if isinstance(text, int) and not isinstance(text, bool):
        if not 0 <= text <= 0xFFFFFFFF:
            raise ValueError(f"bad IPv4 address {text!r}")
        return text
    if not isinstance(text, str):
        raise ValueError(f"bad IPv4 address {text!r}")
    parts = text.split(".")
    # ASCII digits only: str.isdigit() also says yes to other scripts' digits.
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts):
        raise ValueError(f"bad IPv4 address {text!r}")
    return int.from_bytes(bytes(int(p) for p in parts), "big")


def inet_ntoa(addr: int) -> str:
    return ".".join(str(b) for b in addr.to_bytes(4, "big"))


def in_prefix_to_mask(prefix: int) -> int:
    if not 0 <= prefix <= 32:
        raise ValueError(f"bad prefix length {prefix}")
    return (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF


def in_mask_is_contiguous(mask: int) -> bool:
    inverted = ~mask & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0


def in_mask_to_prefix(mask: int) -> int:
    return bin(mask).count("1")


def in_multicast(addr: int) -> bool:
    return addr >> 28 == 0xE


class InIfaddr:
    """``struct in_ifaddr``: one IPv4 address on one interface."""

    def __init__(self, ifp: Ifnet, addr: int, netmask: int):
        self.ia_ifp = ifp
        self.ia_addr = addr
        self.ia_netmask = netmask
        self.ia_subnet = addr & netmask
        self.ia_broadaddr = self.ia_subnet | (~netmask & 0xFFFFFFFF)

    def __repr__(self) -> str:
        return f"<in_ifaddr {inet_ntoa(self.ia_addr)}/{in_mask_to_prefix(self.ia_netmask)} on {self.ia_ifp.if_xname}>"


def in_ifaddrs_of(ifp: Ifnet) -> list[InIfaddr]:
    return [ia for ia in ifp.if_addrs if isinstance(ia, InIfaddr)]


def in_ifaddr_of(ifp: Ifnet) -> InIfaddr | None:
    """The interface's primary IPv4 address."""
    addrs = in_ifaddrs_of(ifp)
    return addrs[0] if addrs else None


def in_is_local(inet, addr: int) -> bool:
    return any(ia.ia_addr == addr for ia in inet.in_ifaddrs)


def in_broadcast(addr: int, ifp: Ifnet) -> bool:
    """Is ``addr`` a broadcast address on ``ifp`` (limited, or a subnet's all-ones)?"""
    if addr in (INADDR_BROADCAST, INADDR_ANY):
        return True
    return any(addr == ia.ia_broadaddr and ia.ia_netmask != INADDR_BROADCAST for ia in in_ifaddrs_of(ifp))


async def in_control(iopkt, ifp: Ifnet, cmd: int, data) -> int:
    """Interface address requests (NetBSD ``netinet/in.c`` ``in_control``).

    ``SIOCSIFADDR``: ``data`` is ``(address, netmask)``, each an int in
    0..0xFFFFFFFF or a dotted quad; replaces the interface's address and
    brings the interface up, as NetBSD's ``in_ifinit`` does (a non-contiguous
    or zero mask is ``EINVAL``; a network, broadcast, multicast or wildcard
    address ``EADDRNOTAVAIL``). ``SIOCGIFADDR``/``SIOCGIFNETMASK``: ``data``
    is a ``Ref`` that receives the address or netmask. ``SIOCDIFADDR``:
    removes the address ``data`` (or the primary one if ``data`` is None).
    ``data`` of any other shape is ``EINVAL``, checked before anything
    changes, as a bad request structure fails io-pkt's copy-in; other
    requests are ``ENOTTY``.
    """
    from .if_arp import arp_ifinit, arp_purge_ifaddr  # ARP sits above this module in NetBSD too
    from .in_var import inet_of

    iopkt.ctx.require("in_control")
    inet = inet_of(iopkt)
    if cmd == SIOCSIFADDR:
        if not isinstance(data, tuple) or len(data) != 2:
            return EINVAL
        try:
            addr, mask = inet_addr(data[0]), inet_addr(data[1])
        except ValueError:
            return EINVAL
        if not in_mask_is_contiguous(mask) or mask == 0:
            return EINVAL
        ia = InIfaddr(ifp, addr, mask)
        if addr in (INADDR_ANY, INADDR_BROADCAST) or in_multicast(addr) or (
                mask != INADDR_BROADCAST and addr in (ia.ia_subnet, ia.ia_broadaddr)):
            return EADDRNOTAVAIL
        for old in in_ifaddrs_of(ifp):
            _remove(inet, old)
            arp_purge_ifaddr(iopkt, old)
        ifp.if_addrs.append(ia)
        inet.in_ifaddrs.append(ia)
        err = await if_up(ifp)
        if err != EOK:
            return err
        await arp_ifinit(ifp, ia)
        return EOK
    if cmd in (SIOCGIFADDR, SIOCGIFNETMASK):
        if not isinstance(data, Ref):
            return EINVAL
        ia = in_ifaddr_of(ifp)
        if ia is None:
            return EADDRNOTAVAIL
        data.value = ia.ia_addr if cmd == SIOCGIFADDR else ia.ia_netmask
        return EOK
    if cmd == SIOCDIFADDR:
        try:
            want = None if data is None else inet_addr(data)
        except ValueError:
            return EINVAL
        for ia in in_ifaddrs_of(ifp):
            if want is None or ia.ia_addr == want:
                _remove(inet, ia)
                arp_purge_ifaddr(iopkt, ia)
                return EOK
        return EADDRNOTAVAIL
    return ENOTTY


def _remove(inet, ia: InIfaddr) -> None:
    ia.ia_ifp.if_addrs.remove(ia)
    inet.in_ifaddrs.remove(ia)
