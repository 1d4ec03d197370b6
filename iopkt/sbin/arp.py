"""``arp``: show or flush the ARP cache, printing as NetBSD's does.

    arp -a          list every entry (no argument: the usage, as NetBSD's arp)
    arp host        show one entry
    arp -d -a       delete every entry
"""

from __future__ import annotations

from ..net.if_ether import ether_sprintf
from ..netinet.if_arp import arp_entries, arp_flush
from ..netinet.in_ import inet_addr, inet_ntoa
from .output import line_writer

USAGE = "usage: arp -a | arp host | arp -d -a"  # with no argument, NetBSD's arp prints its usage


def _line(la) -> str:
    mac = ether_sprintf(la.la_lladdr) if la.resolved else "(incomplete)"
    return f"? ({inet_ntoa(la.la_addr)}) at {mac} on {la.la_ifp.if_xname}"


async def main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    args = argv[1:]
    if args in (["-a"], ["-an"], ["-na"], ["-a", "-n"], ["-n", "-a"]):
        for la in arp_entries(iopkt):
            emit(_line(la))
        return 0
    if args in (["-d", "-a"], ["-da"], ["-ad"]):
        await iopkt.stack_call(arp_flush, iopkt, proc_name="arp")
        return 0
    if len(args) == 1 and not args[0].startswith("-"):
        try:
            addr = inet_addr(args[0])
        except ValueError:
            emit(f"arp: {args[0]}: unknown host")
            return 1
        for la in arp_entries(iopkt):
            if la.la_addr == addr:
                emit(_line(la))
                return 0
        emit(f"{args[0]} ({args[0]}) -- no entry")
        return 1
    emit(USAGE)
    return 1
