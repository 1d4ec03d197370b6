"""Receive: drain the RX ring into ``if_input`` and refill it (devnp ``receive.c``).

Each cleaned slot's cluster goes up the stack and a fresh cluster goes into
the slot at the producer index (one behind the consumer, e1000-style). If no
fresh cluster can be had, the frame is dropped and its buffer recycled: the
ring never loses a slot.
"""

from __future__ import annotations

from nicdef import regs as R
from stack.kern.mbuf import M_DONTWAIT, M_PKTHDR, MT_DATA, m_getcl_wtp, mtod

from .softc import NUM_RX_DESC, NicDev, desc_len, desc_status, rx_desc

RX_BUDGET = NUM_RX_DESC // 2  # the guide's suggestion: about half the ring per pass


async def nic_rx(sc: NicDev, wtp) -> bool:
    """Process up to ``RX_BUDGET`` frames; True when the ring is drained."""
    ifp = sc.ifp
    done = 0
    while done < RX_BUDGET:
        slot = sc.rx_cons
        raw = sc.mem.read(sc.rx_ring + slot * R.DESC_SIZE, R.DESC_SIZE)
        sta = desc_status(raw, R.RX_DESC_STA_OFF)
        if not sta & R.RX_DESC_STA_DD:
            break
        length = desc_len(raw, R.RX_DESC_LEN_OFF)
        m = sc.rx_mbufs[slot]
        sc.rx_mbufs[slot] = None
        sc.rx_cons = (slot + 1) % NUM_RX_DESC
        fresh = m_getcl_wtp(M_DONTWAIT, MT_DATA, M_PKTHDR, wtp)
        if fresh is None:
            sc.stats.rx_failed_allocs += 1
            ifp.if_ierrors += 1
            _refill(sc, m)
        else:
            _refill(sc, fresh)
            m.m_len = m.m_pkthdr.len = length
            m.m_pkthdr.rcvif = ifp
            sc.stats.rxed_ok += 1
            sc.stats.octets_rxed_ok += length
            ifp.if_ipackets += 1
            await ifp.if_input(ifp, m)
        done += 1
    if done:
        await sc.regs.write32(R.REG_RX_TAIL, sc.rx_prod)
    return done < RX_BUDGET


def _refill(sc: NicDev, m) -> None:
    slot = sc.rx_prod
    sc.rx_mbufs[slot] = m
    sc.mem.write(sc.rx_ring + slot * R.DESC_SIZE, rx_desc(mtod(m)))
    sc.rx_prod = (slot + 1) % NUM_RX_DESC
