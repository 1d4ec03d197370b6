"""The receive address filter: broadcast, promiscuous, all-multicast and the
64-bin multicast hash (devnp ``multicast.c``).

The list comes from io-pkt with ``ETHER_FIRST_MULTI``/``ETHER_NEXT_MULTI``;
a range (addrlo != addrhi) cannot be hashed and means ALLMULTI, as in
NetBSD drivers. (The guide's sample forgets ``ETHER_NEXT_MULTI`` and spins.)
"""

from __future__ import annotations

from iopkt.net.if_ import IFF_ALLMULTI, IFF_PROMISC
from iopkt.net.if_ether import ETHER_FIRST_MULTI, ETHER_NEXT_MULTI, EtherMultiStep, ether_crc32_le
from nicdef import regs as R

# The hash takes the top 6 bits of the little-endian CRC-32 (datasheet).
HASH_SHIFT = 26


def mc_hash_bin(addr: bytes) -> int:
    return ether_crc32_le(addr) >> HASH_SHIFT


async def nic_set_filter(sc) -> None:
    ifp = sc.ifp
    table = 0
    allmulti = False
    ifp.if_flags &= ~IFF_ALLMULTI  # a driver state, recomputed from the list each time
    step = EtherMultiStep()
    enm = ETHER_FIRST_MULTI(step, ifp.ec)
    while enm is not None:
        if enm.enm_addrlo != enm.enm_addrhi:
            allmulti = True
            break
        table |= 1 << mc_hash_bin(enm.enm_addrlo)
        enm = ETHER_NEXT_MULTI(step)
    ctrl = R.RX_CTRL_BAM
    if ifp.if_flags & IFF_PROMISC:
        ctrl |= R.RX_CTRL_PROMISC
    if allmulti:
        ctrl |= R.RX_CTRL_ALLMULTI
        ifp.if_flags |= IFF_ALLMULTI
    await sc.regs.write32(R.REG_MC_HASH_LO, table & 0xFFFFFFFF)
    await sc.regs.write32(R.REG_MC_HASH_HI, table >> 32)
    await sc.regs.write32(R.REG_RX_CTRL, ctrl)
