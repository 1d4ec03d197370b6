"""``ifconfig``: show and configure interfaces, printing as NetBSD's does.

    ifconfig [-mv] [-a | -l]
    ifconfig [-mv] interface [inet] [address[/prefixlen]] [netmask mask] [mtu n]
             [media type] [mediaopt opts] [-mediaopt opts] [ip4csum | -ip4csum]
             [tcp4csum | -tcp4csum] [udp4csum | -udp4csum] [up | down]
    ifconfig interface destroy

``-m`` lists the media the driver supports, ``-v`` adds capabilities and
traffic counts. Requests go through ``ifioctl`` in stack context, so the
driver sees exactly what io-pkt would hand it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kern.errno import EOK, strerror
from ..kern.strnum import strtoi
from ..net.if_ import (
    IFCAP_NAMES,
    IFF_NAMES,
    IFF_OACTIVE,
    IFF_RUNNING,
    IFF_UP,
    SIOCGIFMEDIA,
    SIOCIFDESTROY,
    SIOCSIFADDR,
    SIOCSIFCAP,
    SIOCSIFFLAGS,
    SIOCSIFMEDIA,
    SIOCSIFMTU,
    IFCAP_CSUM_IPv4,
    IFCAP_CSUM_TCPv4,
    IFCAP_CSUM_UDPv4,
    IfCapReq,
    Ifnet,
    ifioctl,
    ifunit,
)
from ..net.if_ether import ether_sprintf
from ..net.if_media import (
    IFM_ACTIVE,
    IFM_AVALID,
    IFM_ETHER,
    IFM_NMASK,
    IFM_OPTIONS,
    IFM_TMASK,
    IfMediaReq,
    ifmedia_option_of,
    ifmedia_subtype_of,
    ifmedia_word_str,
)
from ..netinet.in_ import in_control, in_ifaddrs_of, in_mask_is_contiguous, in_prefix_to_mask, inet_addr, inet_ntoa
from .output import line_writer

USAGE = ("usage: ifconfig [-mv] [-a | -l]\n"
         "       ifconfig [-mv] interface [inet] [address[/prefixlen]] [netmask mask] [mtu n]\n"
         "                [media type] [[-]mediaopt opts] [[-]ip4csum] [[-]tcp4csum] [[-]udp4csum] [up | down]\n"
         "       ifconfig interface destroy")

INT_MAX = 0x7FFFFFFF

CAP_WORDS = {"ip4csum": IFCAP_CSUM_IPv4, "tcp4csum": IFCAP_CSUM_TCPv4, "udp4csum": IFCAP_CSUM_UDPv4}


def if_flags_value(ifp: Ifnet) -> int:
    """The flags word ifconfig shows: io-pkt keeps RUNNING and OACTIVE apart, in ``if_flags_tx``."""
    return ifp.if_flags | (ifp.if_flags_tx & (IFF_RUNNING | IFF_OACTIVE))


def format_flags(flags: int) -> str:
    names = ",".join(n for bit, n in IFF_NAMES if flags & bit)
    return f"flags={flags:x}<{names}>" if names else f"flags={flags:x}"


def _format_caps(word: int) -> str:
    names = ",".join(n for bit, n in IFCAP_NAMES if word & bit)
    return f"{word:x}<{names}>" if names else f"{word:x}"


def describe(ifp: Ifnet, ifmr: IfMediaReq | None = None, media_list: bool = False, verbose: bool = False) -> list[str]:
    lines = [f"{ifp.if_xname}: {format_flags(if_flags_value(ifp))} mtu {ifp.if_mtu}"]
    if verbose and (ifp.if_capabilities_rx or ifp.if_capabilities_tx):
        lines.append(f"\tcapabilities rx={_format_caps(ifp.if_capabilities_rx)} "
                     f"tx={_format_caps(ifp.if_capabilities_tx)}")
        lines.append(f"\tenabled rx={_format_caps(ifp.if_capenable_rx)} tx={_format_caps(ifp.if_capenable_tx)}")
    if ifp.if_lladdr:
        lines.append(f"\taddress: {ether_sprintf(ifp.if_lladdr)}")
    if ifmr is not None:
        kind = "Ethernet" if ifmr.ifm_current & IFM_NMASK == IFM_ETHER else "unknown"
        line = f"\tmedia: {kind} {ifmedia_word_str(ifmr.ifm_current)}"
        if ifmr.ifm_active and ifmr.ifm_active != ifmr.ifm_current:
            line += f" ({ifmedia_word_str(ifmr.ifm_active)})"
        lines.append(line)
        if ifmr.ifm_status & IFM_AVALID:
            lines.append(f"\tstatus: {'active' if ifmr.ifm_status & IFM_ACTIVE else 'no carrier'}")
    if verbose:
        lines.append(f"\tinput: {ifp.if_ipackets} packets, {ifp.if_ibytes} bytes, {ifp.if_imcasts} multicasts"
                     + (f", {ifp.if_ierrors} errors" if ifp.if_ierrors else ""))
        lines.append(f"\toutput: {ifp.if_opackets} packets, {ifp.if_obytes} bytes, {ifp.if_omcasts} multicasts"
                     + (f", {ifp.if_oerrors} errors" if ifp.if_oerrors else ""))
    for ia in in_ifaddrs_of(ifp):
        line = f"\tinet {inet_ntoa(ia.ia_addr)} netmask 0x{ia.ia_netmask:08x}"
        if ia.ia_netmask != 0xFFFFFFFF:
            line += f" broadcast {inet_ntoa(ia.ia_broadaddr)}"
        lines.append(line)
    if media_list and ifmr is not None and ifmr.ifm_ulist:
        lines.append("\tsupported Ethernet media:")
        for word in ifmr.ifm_ulist:
            sub = ifmedia_word_str(word & ~IFM_OPTIONS(word))
            opts = ifmedia_word_str(IFM_OPTIONS(word)).split(" ", 1)[1:] if IFM_OPTIONS(word) else []
            lines.append(f"\t\tmedia {sub}" + (f" mediaopt {opts[0].replace(' ', ',')}" if opts else ""))
    return lines


async def _describe(iopkt, ifp: Ifnet, media_list: bool, verbose: bool) -> list[str]:
    """In stack context: ask the driver for its media (drivers without any say ENOTTY)."""
    ifmr = IfMediaReq()
    err = await ifioctl(ifp, SIOCGIFMEDIA, ifmr)
    return describe(ifp, ifmr if err == EOK else None, media_list, verbose)


def _parse_mask(text: str) -> int:
    try:
        mask = strtoi(text, 0, 0xFFFFFFFF, 16) if text[:2] in ("0x", "0X") else inet_addr(text)
    except ValueError:
        raise ValueError(text) from None
    if not in_mask_is_contiguous(mask):
        raise ValueError(text)
    return mask


@dataclass
class Request:
    addr: int | None = None
    mask: int | None = None
    mtu: int | None = None
    up: bool | None = None
    media: int | None = None  # a subtype
    mediaopt_set: int = 0
    mediaopt_clear: int = 0
    caps_on: int = 0
    caps_off: int = 0
    destroy: bool = False
    touched: set = field(default_factory=set)


def _parse_options(text: str) -> int:
    bits = 0
    for name in text.split(","):
        bit = ifmedia_option_of(name)
        if bit is None:
            raise ValueError(name)
        bits |= bit
    return bits


def _parse_config(words: list[str]) -> Request:
    """What the words after the interface name ask for; ValueError(word) if bad."""
    req = Request()
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("up", "down"):
            req.up = w == "up"
        elif w == "destroy":
            req.destroy = True
        elif w == "inet" and i == 0:
            pass
        elif w in CAP_WORDS:
            req.caps_on |= CAP_WORDS[w]
        elif w.startswith("-") and w[1:] in CAP_WORDS:
            req.caps_off |= CAP_WORDS[w[1:]]
        elif w in ("netmask", "mtu", "media", "mediaopt", "-mediaopt"):
            if i + 1 >= len(words):
                raise ValueError(w)
            i += 1
            arg = words[i]
            if w == "netmask":
                req.mask = _parse_mask(arg)
            elif w == "mtu":
                # The interface decides which MTUs it takes (SIOCSIFMTU says
                # EINVAL); here only what fits the request, as NetBSD's
                # ifconfig parses mtu as an integer in 0..INT_MAX.
                try:
                    req.mtu = strtoi(arg, 0, INT_MAX)
                except ValueError:
                    raise ValueError(arg) from None
            elif w == "media":
                sub = ifmedia_subtype_of(arg)
                if sub is None:
                    raise ValueError(arg)
                req.media = sub
            elif w == "mediaopt":
                req.mediaopt_set |= _parse_options(arg)
            else:
                req.mediaopt_clear |= _parse_options(arg)
        elif req.addr is None and not w.startswith("-"):
            text, slash, prefix = w.partition("/")
            try:
                req.addr = inet_addr(text)
                if slash:
                    req.mask = in_prefix_to_mask(strtoi(prefix, 0, 32))
            except ValueError:
                raise ValueError(w) from None
        else:
            raise ValueError(w)
        i += 1
    if req.mask is not None and req.addr is None:
        raise ValueError("netmask")
    if req.destroy and len(words) != 1:
        raise ValueError("destroy")
    return req


def _default_mask(addr: int) -> int:
    # What ifconfig assumes without a netmask: the old class of the address.
    if addr >> 31 == 0:
        return 0xFF000000
    if addr >> 30 == 0b10:
        return 0xFFFF0000
    return 0xFFFFFF00


async def _configure(iopkt, ifp: Ifnet, req: Request) -> tuple[str, int]:
    """Runs in stack context; returns the failing request's name and errno (or "", EOK)."""
    if req.destroy:
        return "SIOCIFDESTROY", await ifioctl(ifp, SIOCIFDESTROY, None)
    if req.mtu is not None:
        err = await ifioctl(ifp, SIOCSIFMTU, req.mtu)
        if err != EOK:
            return "SIOCSIFMTU", err
    if req.media is not None or req.mediaopt_set or req.mediaopt_clear:
        ifmr = IfMediaReq()
        err = await ifioctl(ifp, SIOCGIFMEDIA, ifmr)
        if err != EOK:
            return "SIOCGIFMEDIA", err
        word = ifmr.ifm_current
        if req.media is not None:  # a new type drops the old options, as NetBSD's ifconfig
            word = (word & ~(IFM_TMASK | IFM_OPTIONS(word))) | req.media
        word = (word | req.mediaopt_set) & ~req.mediaopt_clear
        err = await ifioctl(ifp, SIOCSIFMEDIA, word)
        if err != EOK:
            return "SIOCSIFMEDIA", err
    if req.caps_on or req.caps_off:
        cap = IfCapReq(ifp.if_capenable_rx, ifp.if_capenable_tx)
        for on, bits in ((True, req.caps_on), (False, req.caps_off)):
            if on:
                cap.ifcr_capenable_rx |= bits
                cap.ifcr_capenable_tx |= bits
            else:
                cap.ifcr_capenable_rx &= ~bits
                cap.ifcr_capenable_tx &= ~bits
        err = await ifioctl(ifp, SIOCSIFCAP, cap)
        if err != EOK:
            return "SIOCSIFCAP", err
    if req.addr is not None:
        mask = req.mask if req.mask is not None else _default_mask(req.addr)
        err = await in_control(iopkt, ifp, SIOCSIFADDR, (req.addr, mask))
        if err != EOK:
            return "SIOCSIFADDR", err
    if req.up is not None:
        # Always asked, as NetBSD's ifconfig (setifflags) does: the stack
        # decides from UP and RUNNING what to do, so "up" after a failed
        # init tries the init again.
        flags = ifp.if_flags | IFF_UP if req.up else ifp.if_flags & ~IFF_UP
        err = await ifioctl(ifp, SIOCSIFFLAGS, flags)
        if err != EOK:
            return "SIOCSIFFLAGS", err
    return "", EOK


async def main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    args = argv[1:]
    media_list = verbose = False
    while args and args[0].startswith("-") and len(args[0]) > 1 and set(args[0][1:]) <= set("mv"):
        media_list |= "m" in args[0]
        verbose |= "v" in args[0]
        args = args[1:]
    if not args or args == ["-a"]:
        for ifp in list(iopkt.ifnet):
            for line in await iopkt.stack_call(_describe, iopkt, ifp, media_list, verbose, proc_name="ifconfig"):
                emit(line)
        return 0
    if args == ["-l"]:
        emit(" ".join(ifp.if_xname for ifp in iopkt.ifnet))
        return 0
    if args[0].startswith("-"):
        emit(USAGE)
        return 1
    name = args[0]
    ifp = ifunit(iopkt, name)
    if ifp is None:
        emit(f"ifconfig: SIOCGIFFLAGS: {name}: No such interface")
        return 1
    if len(args) == 1:
        for line in await iopkt.stack_call(_describe, iopkt, ifp, media_list, verbose, proc_name="ifconfig"):
            emit(line)
        return 0
    try:
        req = _parse_config(args[1:])
    except ValueError as bad:
        emit(f"ifconfig: {bad}: bad value")
        emit(USAGE)
        return 1
    request, err = await iopkt.stack_call(_configure, iopkt, ifp, req, proc_name="ifconfig")
    if err != EOK:
        emit(f"ifconfig: {request}: {strerror(err)}")
        return 1
    return 0
