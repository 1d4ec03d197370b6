"""Routing for a host: directly connected subnets plus one optional default
gateway (the part of NetBSD's ``net/route.c`` a single-homed host uses)."""

from __future__ import annotations

from dataclasses import dataclass

from ..net.if_ import Ifnet
from .in_ import INADDR_BROADCAST, InIfaddr
from .in_var import inet_of


@dataclass
class Route:
    ifp: Ifnet
    ia: InIfaddr  # source address to use on that interface
    nexthop: int  # the address to resolve with ARP
    broadcast: bool = False


def rtalloc(inet, dst: int) -> Route | None:
    """Longest-prefix match over connected subnets, else the default gateway.
    Subnets of interfaces that are down still match: sending there fails with
    ``ENETDOWN``, which says more than "no route"."""
    up = inet.in_ifaddrs
    if dst == INADDR_BROADCAST:
        return Route(up[0].ia_ifp, up[0], dst, broadcast=True) if up else None
    best = None
    for ia in up:
        if dst & ia.ia_netmask == ia.ia_subnet and (best is None or ia.ia_netmask > best.ia_netmask):
            best = ia
    if best is not None:
        return Route(best.ia_ifp, best, dst, broadcast=dst == best.ia_broadaddr and best.ia_netmask != INADDR_BROADCAST)
    gw = inet.default_gateway
    if gw is not None:
        for ia in up:
            if gw & ia.ia_netmask == ia.ia_subnet:
                return Route(ia.ia_ifp, ia, gw)
    return None


def route_set_default(iopkt, gateway: int | None) -> None:
    inet_of(iopkt).default_gateway = gateway

