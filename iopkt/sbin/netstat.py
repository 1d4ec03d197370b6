"""``netstat``: protocol counters and the routing table.

    netstat         the active sockets (the stack's UDP sockets), NetBSD's default listing
    netstat -s      every counter of ip, icmp, udp, arp (-ss: only the non-zero ones)
    netstat -r[n]   routes
"""

from __future__ import annotations

from ..netinet.in_ import in_mask_to_prefix, inet_ntoa
from ..netinet.in_var import inet_of
from .output import line_writer

USAGE = "usage: netstat [-n] | netstat -s | netstat -ss | netstat -r[n]"


async def main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    args = argv[1:]
    inet = inet_of(iopkt)
    if args in ([], ["-n"], ["-a"], ["-an"], ["-na"]):
        emit("Active Internet connections" + (" (including servers)" if "a" in "".join(args) else ""))
        emit(f"{'Proto':<6}{'Recv-Q':>7}{'Send-Q':>7}  {'Local Address':<23}{'Foreign Address':<23}")
        for port, sock in sorted(inet.udb.items()):
            local = f"{'*' if not sock.laddr else inet_ntoa(sock.laddr)}.{port}"
            queued = sum(len(data) for data, _ in sock.rcv)
            emit(f"{'udp':<6}{queued:>7}{0:>7}  {local:<23}{'*.*':<23}".rstrip())
        return 0
    if args in (["-s"], ["-ss"], ["-s", "-s"]):
        every = args == ["-s"]
        for st in (inet.ipstat, inet.icmpstat, inet.udpstat, inet.arpstat):
            for line in st.lines(all_counters=every):
                emit(line)
        return 0
    if args in (["-r"], ["-rn"], ["-nr"], ["-r", "-n"], ["-n", "-r"]):
        emit("Routing tables")
        emit("")
        emit("Internet:")
        emit(f"{'Destination':<20}{'Gateway':<20}{'Flags':<8}Interface")
        if inet.default_gateway is not None:
            emit(f"{'default':<20}{inet_ntoa(inet.default_gateway):<20}{'UG':<8}")
        for ia in inet.in_ifaddrs:
            net = f"{inet_ntoa(ia.ia_subnet)}/{in_mask_to_prefix(ia.ia_netmask)}"
            emit(f"{net:<20}{'link#' + str(ia.ia_ifp.if_index):<20}{'U':<8}{ia.ia_ifp.if_xname}")
        return 0
    emit(USAGE)
    return 1
