"""Interface media (NetBSD ``net/if_media.c``, ``net/if_media.h``).

A driver describes what its PHY can do with ``ifmedia_init``/``ifmedia_add``
and picks the default with ``ifmedia_set`` (in attach); its ``if_ioctl``
hands ``SIOCGIFMEDIA``/``SIOCSIFMEDIA`` to ``ifmedia_ioctl``, which calls the
driver's change callback (program the PHY) and status callback (read it).
This is what devnp drivers keep in ``bsd_media.c``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from ..kern.diag import DriverBug
from ..kern.errno import EINVAL, ENOTTY, EOK

# Type, subtype, options, status (io-pkt/NetBSD values)
IFM_ETHER = 0x00000020
IFM_NMASK = 0x000000E0  # network type
IFM_TMASK = 0x0000001F  # subtype
IFM_OMASK = 0x0000FF00  # type-specific options
IFM_GMASK = 0x0FF00000  # global options
IFM_IMASK = 0xF0000000  # instance

IFM_AUTO = 0
IFM_MANUAL = 1
IFM_NONE = 2
IFM_10_T = 3
IFM_100_TX = 6
IFM_1000_T = 16

IFM_ETH_MASTER = 0x00000100
IFM_ETH_RXPAUSE = 0x00000200
IFM_ETH_TXPAUSE = 0x00000400
IFM_FDX = 0x00100000
IFM_HDX = 0x00200000
IFM_FLOW = 0x00400000
IFM_LOOP = 0x08000000

IFM_AVALID = 0x1
IFM_ACTIVE = 0x2

# Names as ifconfig prints and parses them (first is printed).
SUBTYPE_NAMES = {IFM_AUTO: ["autoselect", "auto"], IFM_MANUAL: ["manual"], IFM_NONE: ["none"],
                 IFM_10_T: ["10baseT", "10baseT/UTP"], IFM_100_TX: ["100baseTX", "100TX"],
                 IFM_1000_T: ["1000baseT", "1000T"]}
OPTION_NAMES = {IFM_FDX: ["full-duplex", "fdx"], IFM_HDX: ["half-duplex", "hdx"], IFM_FLOW: ["flowcontrol", "flow"],
                IFM_ETH_MASTER: ["master"], IFM_ETH_RXPAUSE: ["rxpause"], IFM_ETH_TXPAUSE: ["txpause"],
                IFM_LOOP: ["hw-loopback", "loopback"]}
# Rates a status callback's active word implies, for nicinfo's media_rate (kbit/s).
SUBTYPE_RATE_KBPS = {IFM_10_T: 10_000, IFM_100_TX: 100_000, IFM_1000_T: 1_000_000}


def IFM_TYPE(word: int) -> int:
    return word & IFM_NMASK


def IFM_SUBTYPE(word: int) -> int:
    return word & IFM_TMASK


def IFM_OPTIONS(word: int) -> int:
    return word & (IFM_OMASK | IFM_GMASK)


def ifmedia_word_str(word: int) -> str:
    """``1000baseT full-duplex`` as ifconfig prints a media word."""
    sub = SUBTYPE_NAMES.get(IFM_SUBTYPE(word), [f"subtype{IFM_SUBTYPE(word)}"])[0]
    opts = [names[0] for bit, names in OPTION_NAMES.items() if word & bit]
    return " ".join([sub, *opts])


def ifmedia_subtype_of(name: str) -> int | None:
    for value, names in SUBTYPE_NAMES.items():
        if name.lower() in (n.lower() for n in names):
            return value
    return None


def ifmedia_option_of(name: str) -> int | None:
    for value, names in OPTION_NAMES.items():
        if name.lower() in (n.lower() for n in names):
            return value
    return None


@dataclass
class IfmediaEntry:
    ifm_media: int
    ifm_data: int = 0
    ifm_aux: object = None


@dataclass
class Ifmedia:
    """``struct ifmedia``: in the softc, one per interface."""

    ifm_mask: int = 0  # bits the user may not change ("don't care")
    ifm_media: int = 0  # the word the user asked for
    ifm_cur: IfmediaEntry | None = None
    ifm_list: list[IfmediaEntry] = field(default_factory=list)
    ifm_change: object = None  # change(ifp) -> errno
    ifm_status: object = None  # status(ifp, ifmr)


@dataclass
class IfMediaReq:
    """``struct ifmediareq``: what ``SIOCGIFMEDIA`` fills."""

    ifm_name: str = ""
    ifm_current: int = 0
    ifm_mask: int = 0
    ifm_status: int = 0
    ifm_active: int = 0
    ifm_count: int = 0
    ifm_ulist: list[int] = field(default_factory=list)


def ifmedia_init(ifm: Ifmedia, dontcare_mask: int, change_cb, status_cb) -> None:
    ifm.ifm_list.clear()
    ifm.ifm_cur = None
    ifm.ifm_media = 0
    ifm.ifm_mask = dontcare_mask
    ifm.ifm_change = change_cb
    ifm.ifm_status = status_cb


def ifmedia_add(ifm: Ifmedia, mword: int, data: int = 0, aux=None) -> None:
    ifm.ifm_list.append(IfmediaEntry(mword, data, aux))


def ifmedia_removeall(ifm: Ifmedia) -> None:
    ifm.ifm_list.clear()
    ifm.ifm_cur = None


def ifmedia_match(ifm: Ifmedia, target: int, mask: int) -> IfmediaEntry | None:
    for entry in ifm.ifm_list:
        if (entry.ifm_media & ~mask) == (target & ~mask):
            return entry
    return None


def ifmedia_set(ifm: Ifmedia, target: int) -> None:
    """Pick the current word; it must have been added (NetBSD panics otherwise)."""
    match = ifmedia_match(ifm, target, ifm.ifm_mask)
    if match is None:
        raise DriverBug(f"ifmedia_set: no match for {target:#x}/{ifm.ifm_mask:#x}: ifmedia_add it first")
    ifm.ifm_cur = match
    ifm.ifm_media = target


async def _call(fn, *args):
    r = fn(*args)
    if inspect.isawaitable(r):
        r = await r
    return r


async def ifmedia_ioctl(ifp, data, ifm: Ifmedia, cmd: int) -> int:
    """The media requests, for a driver's ``if_ioctl`` to delegate to."""
    from .if_ import SIOCGIFMEDIA, SIOCSIFMEDIA

    if cmd == SIOCSIFMEDIA:
        try:
            newmedia = int(data)
        except (TypeError, ValueError):
            return EINVAL
        match = ifmedia_match(ifm, newmedia, ifm.ifm_mask)
        if match is None:
            return EINVAL
        if ifm.ifm_cur is match and ifm.ifm_media == newmedia:
            return EOK  # nothing changes: the PHY is not bothered
        old_cur, old_media = ifm.ifm_cur, ifm.ifm_media
        ifm.ifm_cur, ifm.ifm_media = match, newmedia
        err = await _call(ifm.ifm_change, ifp)
        if err:
            ifm.ifm_cur, ifm.ifm_media = old_cur, old_media
        return err or EOK
    if cmd == SIOCGIFMEDIA:
        if not isinstance(data, IfMediaReq):
            return EINVAL
        data.ifm_name = ifp.if_xname
        data.ifm_current = ifm.ifm_cur.ifm_media if ifm.ifm_cur is not None else IFM_ETHER | IFM_NONE
        data.ifm_mask = ifm.ifm_mask
        data.ifm_status = 0
        data.ifm_active = 0
        await _call(ifm.ifm_status, ifp, data)
        data.ifm_count = len(ifm.ifm_list)
        data.ifm_ulist = [e.ifm_media for e in ifm.ifm_list]
        return EOK
    return ENOTTY
