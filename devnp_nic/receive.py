"""Receive: drain the RX ring into ``if_input`` and refill it (devnp ``receive.c``).

Each cleaned slot's cluster goes up the stack and a fresh cluster goes into
the slot at the producer index (one behind the consumer, e1000-style). If no
fresh cluster can be had, the frame is dropped and its buffers recycled: the
ring never loses a slot. A frame longer than one buffer (a jumbo frame)
arrives in several descriptors, EOP on the last, and goes up as one chain.
"""

from __future__ import annotations

from iopkt.kern.mbuf import (
    M_CSUM_TCP_UDP_BAD,
    M_DONTWAIT,
    M_PKTHDR,
    MT_DATA,
    M_CSUM_IPv4,
    M_CSUM_IPv4_BAD,
    M_CSUM_TCPv4,
    M_CSUM_UDPv4,
    m_free,
    m_getcl_wtp,
    mtod,
)
from iopkt.net.if_ import IFCAP_CSUM_IPv4, IFCAP_CSUM_TCPv4, IFCAP_CSUM_UDPv4
from nicdef import regs as R
from nicdef.desc import decode, rx_desc
from nicdef.regs import RX_DESC

from .softc import NUM_RX_DESC, NicDev

RX_BUDGET = NUM_RX_DESC // 2  # the guide's suggestion: about half the ring per pass


def csum_flags(csum: int, rx_enabled: int) -> int:
    """The descriptor's checksum status as mbuf flags, for what is enabled."""
    flags = 0
    if rx_enabled & IFCAP_CSUM_IPv4 and csum & R.RX_DESC_CSUM_IP_CHK:
        flags |= M_CSUM_IPv4 | (M_CSUM_IPv4_BAD if csum & R.RX_DESC_CSUM_IP_ERR else 0)
    if csum & R.RX_DESC_CSUM_L4_CHK:
        l4 = 0
        if csum & R.RX_DESC_CSUM_TCP and rx_enabled & IFCAP_CSUM_TCPv4:
            l4 = M_CSUM_TCPv4
        elif csum & R.RX_DESC_CSUM_UDP and rx_enabled & IFCAP_CSUM_UDPv4:
            l4 = M_CSUM_UDPv4
        if l4:
            flags |= l4 | (M_CSUM_TCP_UDP_BAD if csum & R.RX_DESC_CSUM_L4_ERR else 0)
    return flags


async def nic_rx(sc: NicDev, wtp, budget: int = RX_BUDGET, kick: bool = True) -> bool:
    """Process up to ``budget`` frames; True when the ring is drained. With
    ``kick`` the cleaned slots are handed back to the NIC (RX_TAIL)."""
    ifp = sc.ifp
    frames = 0
    cleaned = 0
    while frames < budget:
        # Look ahead for the frame's EOP first, so a frame the NIC is still
        # writing is left alone until all of it is there.
        slots, raws = _whole_frame(sc)
        if slots is None:
            break
        fresh = [m_getcl_wtp(M_DONTWAIT, MT_DATA, M_PKTHDR, wtp) for _ in slots]
        bufs = [sc.rx_mbufs[s] for s in slots]
        for s in slots:
            sc.rx_mbufs[s] = None
        sc.rx_cons = (slots[-1] + 1) % NUM_RX_DESC
        cleaned += len(slots)
        frames += 1
        if any(f is None for f in fresh):
            # Keep the ring whole: drop the frame, recycle its buffers.
            sc.stats.rx_failed_allocs += 1
            ifp.if_ierrors += 1
            for f in fresh:
                if f is not None:
                    m_free(f)
            for m in bufs:
                _refill(sc, m)
            continue
        for f in fresh:
            _refill(sc, f)
        head = _chain(bufs, raws)
        head.m_pkthdr.rcvif = ifp
        head.m_pkthdr.csum_flags = csum_flags(raws[-1][R.RX_DESC_CSUM_OFF], ifp.if_capenable_rx)
        sc.stats.rxed_ok += 1
        sc.stats.octets_rxed_ok += head.m_pkthdr.len
        ifp.if_ipackets += 1
        await ifp.if_input(ifp, head)
    if cleaned and kick:
        await sc.regs.write32(R.REG_RX_TAIL, sc.rx_prod)
    return frames < budget


async def nic_rx_recover(sc: NicDev, wtp) -> None:
    """The NIC stopped the receive ring on a DMA error (datasheet, *DMA*).

    Frames it completed before the error go up first. The frame it was
    moving is lost (the receive engine only touches memory while moving a
    frame, so exactly one): counted in ``rx_dma_errors`` and ``if_ierrors``;
    its buffers, some perhaps written back without EOP, stay with the driver.
    Then the ring is rebuilt from descriptor 0 with the same clusters and
    restarted without clearing RX_EN, so frames waiting in the NIC's FIFO
    are delivered, not lost."""
    await nic_rx(sc, wtp, budget=NUM_RX_DESC, kick=False)
    sc.stats.rx_dma_errors += 1
    sc.ifp.if_ierrors += 1
    bufs = [sc.rx_mbufs[(sc.rx_cons + i) % NUM_RX_DESC] for i in range(NUM_RX_DESC - 1)]
    nic_rx_ring_load(sc, bufs)
    await nic_rx_ring_start(sc)


def _whole_frame(sc: NicDev):
    """The slots and raw descriptors of the next complete frame, or (None, None)."""
    slots, raws = [], []
    slot = sc.rx_cons
    for _ in range(NUM_RX_DESC - 1):
        raw = sc.mem.read(sc.rx_ring + slot * R.DESC_SIZE, R.DESC_SIZE)
        sta = raw[R.RX_DESC_STA_OFF]
        if not sta & R.RX_DESC_STA_DD:
            return None, None
        slots.append(slot)
        raws.append(raw)
        if sta & R.RX_DESC_STA_EOP:
            return slots, raws
        slot = (slot + 1) % NUM_RX_DESC
    return None, None


def _chain(bufs: list, raws: list):
    """Link a frame's buffers into one packet; only the first keeps a header."""
    head = bufs[0]
    total = 0
    prev = None
    for m, raw in zip(bufs, raws, strict=True):
        m.m_len = decode(RX_DESC, raw)["LEN"]
        total += m.m_len
        if prev is not None:
            m.m_flags &= ~M_PKTHDR
            m.m_pkthdr = None
            prev.m_next = m
        prev = m
    head.m_pkthdr.len = total
    return head


def _refill(sc: NicDev, m) -> None:
    slot = sc.rx_prod
    m.m_next = None
    m.m_data = m.buf_start()
    sc.rx_mbufs[slot] = m
    sc.mem.write(sc.rx_ring + slot * R.DESC_SIZE, rx_desc(mtod(m)))
    sc.rx_prod = (slot + 1) % NUM_RX_DESC


def nic_rx_ring_load(sc: NicDev, bufs: list) -> None:
    """Lay ``bufs`` (NUM_RX_DESC - 1 clusters) into descriptors 0.. of the
    receive ring, the last descriptor left empty (HEAD == TAIL means empty)."""
    sc.rx_cons = sc.rx_prod = 0
    for m in bufs:
        _refill(sc, m)
    sc.rx_mbufs[NUM_RX_DESC - 1] = None
    sc.mem.write(sc.rx_ring + (NUM_RX_DESC - 1) * R.DESC_SIZE, bytes(R.DESC_SIZE))


async def nic_rx_ring_start(sc: NicDev) -> None:
    """TAIL first, then LEN: writing LEN zeroes HEAD, and an engine stopped by
    a DMA error restarts at once, finding the new descriptors already handed
    over (the datasheet's recovery that keeps frames waiting in the FIFO)."""
    await sc.regs.write32(R.REG_RX_TAIL, sc.rx_prod)
    await sc.regs.write32(R.REG_RX_LEN, NUM_RX_DESC)
