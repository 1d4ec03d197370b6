"""``ifconfig``: show and configure interfaces, printing as NetBSD's does.

    ifconfig [-a | -l]
    ifconfig interface [inet] [address[/prefixlen]] [netmask mask] [mtu n] [up | down]
"""

from __future__ import annotations

from ..kern.errno import EOK, strerror
from ..net.if_ import (
    IFF_NAMES,
    IFF_OACTIVE,
    IFF_RUNNING,
    IFF_UP,
    SIOCSIFADDR,
    SIOCSIFFLAGS,
    SIOCSIFMTU,
    Ifnet,
    call_driver,
    ifioctl_common,
    ifunit,
)
from ..net.if_ether import ether_sprintf
from ..netinet.in_ import in_control, in_ifaddrs_of, in_mask_is_contiguous, in_prefix_to_mask, inet_addr, inet_ntoa
from .output import line_writer

USAGE = ("usage: ifconfig [-a | -l]\n"
         "       ifconfig interface [inet] [address[/prefixlen]] [netmask mask] [mtu n] [up | down]")


def if_flags_value(ifp: Ifnet) -> int:
    """The flags word ifconfig shows: io-pkt keeps RUNNING and OACTIVE apart, in ``if_flags_tx``."""
    return ifp.if_flags | (ifp.if_flags_tx & (IFF_RUNNING | IFF_OACTIVE))


def format_flags(flags: int) -> str:
    names = ",".join(n for bit, n in IFF_NAMES if flags & bit)
    return f"flags={flags:x}<{names}>" if names else f"flags={flags:x}"


def describe(ifp: Ifnet) -> list[str]:
    lines = [f"{ifp.if_xname}: {format_flags(if_flags_value(ifp))} mtu {ifp.if_mtu}"]
    if ifp.if_lladdr:
        lines.append(f"\taddress: {ether_sprintf(ifp.if_lladdr)}")
    for ia in in_ifaddrs_of(ifp):
        line = f"\tinet {inet_ntoa(ia.ia_addr)} netmask 0x{ia.ia_netmask:08x}"
        if ia.ia_netmask != 0xFFFFFFFF:
            line += f" broadcast {inet_ntoa(ia.ia_broadaddr)}"
        lines.append(line)
    return lines


def _parse_mask(text: str) -> int:
    mask = int(text, 16) if text.lower().startswith("0x") else inet_addr(text)
    if not 0 <= mask <= 0xFFFFFFFF or not in_mask_is_contiguous(mask):
        raise ValueError(text)
    return mask


def _parse_config(words: list[str]):
    """(address, netmask, mtu, up) from the words after the interface name; ValueError(word) if bad."""
    addr = mask = mtu = up = None
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("up", "down"):
            up = w == "up"
        elif w == "inet" and i == 0:
            pass
        elif w in ("netmask", "mtu"):
            if i + 1 >= len(words):
                raise ValueError(w)
            i += 1
            if w == "netmask":
                mask = _parse_mask(words[i])
            elif not words[i].isdigit():
                raise ValueError(words[i])
            else:
                mtu = int(words[i])
        elif addr is None:
            text, slash, prefix = w.partition("/")
            try:
                addr = inet_addr(text)
                if slash:
                    if not prefix.isdigit():
                        raise ValueError(w)
                    mask = in_prefix_to_mask(int(prefix))
            except ValueError:
                raise ValueError(w) from None
        else:
            raise ValueError(w)
        i += 1
    if mask is not None and addr is None:
        raise ValueError("netmask")
    return addr, mask, mtu, up


def _default_mask(addr: int) -> int:
    # What ifconfig assumes without a netmask: the old class of the address.
    if addr >> 31 == 0:
        return 0xFF000000
    if addr >> 30 == 0b10:
        return 0xFFFF0000
    return 0xFFFFFF00


async def _ioctl(ifp: Ifnet, cmd: int, data) -> int:
    if ifp.if_ioctl is not None:
        return await call_driver(ifp.if_ioctl, ifp, cmd, data)
    return await ifioctl_common(ifp, cmd, data)


async def _configure(iopkt, ifp: Ifnet, addr, mask, mtu, up) -> tuple[str, int]:
    """Runs in stack context; returns the failing request's name and errno (or "", EOK)."""
    if mtu is not None:
        err = await _ioctl(ifp, SIOCSIFMTU, mtu)
        if err != EOK:
            return "SIOCSIFMTU", err
    if addr is not None:
        err = await in_control(iopkt, ifp, SIOCSIFADDR, (addr, mask if mask is not None else _default_mask(addr)))
        if err != EOK:
            return "SIOCSIFADDR", err
    if up is not None and bool(ifp.if_flags & IFF_UP) != up:
        flags = ifp.if_flags | IFF_UP if up else ifp.if_flags & ~IFF_UP
        err = await _ioctl(ifp, SIOCSIFFLAGS, flags)
        if err != EOK:
            return "SIOCSIFFLAGS", err
    return "", EOK


async def main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    args = argv[1:]
    if not args or args == ["-a"]:
        for ifp in iopkt.ifnet:
            for line in describe(ifp):
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
        for line in describe(ifp):
            emit(line)
        return 0
    try:
        addr, mask, mtu, up = _parse_config(args[1:])
    except ValueError as bad:
        emit(f"ifconfig: {bad}: bad value")
        emit(USAGE)
        return 1
    request, err = await iopkt.stack_call(_configure, iopkt, ifp, addr, mask, mtu, up, proc_name="ifconfig")
    if err != EOK:
        emit(f"ifconfig: {request}: {strerror(err)}")
        return 1
    return 0
