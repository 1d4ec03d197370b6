"""Transmit: start, harvest, and recovery from a DMA error (devnp ``transmit.c``).

``nic_start`` is entered with the transmit mutex held and releases it on
every path. mbufs are DMA'd in place (zero copy), so a packet's chain is
freed only when the NIC has written back DD for its last descriptor.

While the PHY reports no link, start drops what io-pkt queues (as io-pkt's
descriptor drivers purge; see docs/iopkt-semantics.md) and counts each frame as
no-carrier; frames already in the ring are discarded and counted by the NIC
itself (``STAT_TX_NO_CARRIER``). Either way ``nicinfo`` shows them under
"No Carrier on Transmit" and ``if_oerrors``.
"""

from __future__ import annotations

from iopkt.kern.mbuf import M_DONTWAIT, MCLBYTES, M_CSUM_IPv4, M_CSUM_TCPv4, M_CSUM_UDPv4, m_dup, m_freem, mtod
from iopkt.kern.siglock import NW_SIGLOCK_P, NW_SIGUNLOCK_P
from iopkt.net.if_ import IFF_OACTIVE, IFF_RUNNING, IFQ_DEQUEUE, IFQ_POLL, IFQ_PURGE
from nicdef import regs as R
from nicdef.desc import tx_desc

from .softc import (
    INTR_KERNEL,
    MAX_TX_SEGS,
    NUM_TX_DESC,
    TX_WAKE_THRESHOLD,
    NicDev,
    TxPacket,
    nic_hw_count,
)


def _segments(m) -> list:
    segs = []
    while m is not None:
        if m.m_len:
            segs.append(m)
        m = m.m_next
    return segs


def nic_purge(sc: NicDev, why: str) -> int:
    """Drop everything io-pkt has queued, counting each frame: ``why`` is
    ``"no_carrier"`` (link down) or ``"stopped"`` (the interface went down).
    Caller holds the transmit mutex. Returns the number dropped."""
    ifp = sc.ifp
    n = ifp.if_snd.ifq_len
    if n:
        IFQ_PURGE(ifp.if_snd)
        ifp.if_oerrors += n
        if why == "no_carrier":
            sc.stats.tx_no_carrier += n
        else:
            sc.stats.tx_stopped += n
    return n


def nic_reap_tx(sc: NicDev) -> int:
    """Free the chains of packets whose last descriptor is done. Caller holds
    the transmit mutex. Returns the number of packets reaped."""
    reaped = 0
    while sc.tx_pkts:
        pkt = sc.tx_pkts[0]
        raw = sc.mem.read(sc.tx_ring + pkt.last * R.DESC_SIZE, R.DESC_SIZE)
        if not raw[R.TX_DESC_STA_OFF] & R.TX_DESC_STA_DD:
            break
        sc.tx_pkts.pop(0)
        _count_sent(sc, pkt)
        m_freem(pkt.m)
        sc.tx_cons = (pkt.last + 1) % NUM_TX_DESC
        sc.tx_free += pkt.ndesc
        reaped += 1
    return reaped


def _count_sent(sc: NicDev, pkt: TxPacket) -> None:
    sc.stats.txed_ok += 1
    sc.stats.octets_txed_ok += pkt.m.m_pkthdr.len
    sc.ifp.if_opackets += 1


async def nic_start(ifp) -> None:
    sc: NicDev = ifp.if_softc
    iopkt = sc.iopkt
    if not ifp.if_flags_tx & IFF_RUNNING or not sc.link_up:
        nic_purge(sc, "no_carrier" if ifp.if_flags_tx & IFF_RUNNING else "stopped")
        NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, None)
        return
    queued = 0
    while True:
        m = IFQ_POLL(ifp.if_snd)
        if m is None:
            break
        segs = _segments(m)
        # a chain that must be compacted needs one descriptor per full cluster
        need = len(segs) if len(segs) <= MAX_TX_SEGS else -(-m.m_pkthdr.len // MCLBYTES)
        if sc.tx_free < need:
            nic_reap_tx(sc)
            if sc.tx_free < need:
                ifp.if_flags_tx |= IFF_OACTIVE
                sc.stats.tx_ring_full += 1
                await _want_tx_done(sc, True)
                break
        m = IFQ_DEQUEUE(ifp.if_snd)
        if len(segs) > MAX_TX_SEGS:
            m = _compact(sc, m)
            if m is None:
                ifp.if_oerrors += 1
                continue
            segs = _segments(m)
        _map_packet(sc, m, segs)
        queued += 1
    if queued:
        await sc.regs.write32(R.REG_TX_TAIL, sc.tx_prod)
    NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, None)


def _compact(sc: NicDev, m):
    """io-pkt has no m_defrag: copy a badly fragmented chain into fresh
    clusters (m_dup packs them full), then free the original."""
    n = m_dup(m, how=M_DONTWAIT)
    m_freem(m)
    if n is None:
        sc.stats.tx_failed_allocs += 1
        return None
    sc.stats.tx_copied += 1
    return n


def _offload_cmd(m) -> int:
    """Checksum work the stack left to the NIC (it sets these flags only for
    capabilities enabled with SIOCSIFCAP); the NIC reads them from the first
    descriptor of a frame."""
    flags = m.m_pkthdr.csum_flags
    cmd = R.TX_DESC_CMD_IPCS if flags & M_CSUM_IPv4 else 0
    if flags & (M_CSUM_TCPv4 | M_CSUM_UDPv4):
        cmd |= R.TX_DESC_CMD_L4CS
    return cmd


def _map_packet(sc: NicDev, m, segs: list | None = None) -> None:
    """Write one packet's descriptors at the producer index (EOP and RS on
    its last, the checksum commands on its first)."""
    if segs is None:
        segs = _segments(m)
    first = sc.tx_prod
    idx = first
    offload = _offload_cmd(m)
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        cmd = (R.TX_DESC_CMD_EOP | R.TX_DESC_CMD_RS) if last else 0
        if i == 0:
            cmd |= offload
        sc.mem.write(sc.tx_ring + idx * R.DESC_SIZE, tx_desc(mtod(seg), seg.m_len, cmd))
        if not last:
            idx = (idx + 1) % NUM_TX_DESC
    sc.tx_pkts.append(TxPacket(first, idx, len(segs), m))
    sc.tx_prod = (idx + 1) % NUM_TX_DESC
    sc.tx_free -= len(segs)


async def nic_harvest(sc: NicDev) -> int:
    """Harvest under the transmit mutex, from outside the start path (a
    statistics request, a periodic timer). Stack context."""
    ifp = sc.ifp
    await NW_SIGLOCK_P(ifp.if_snd_ex, sc.iopkt, None)
    try:
        return nic_reap_tx(sc)
    finally:
        NW_SIGUNLOCK_P(ifp.if_snd_ex, sc.iopkt, None)


async def _want_tx_done(sc: NicDev, want: bool) -> None:
    """Add or drop TX_DONE from the interrupts the NIC may raise."""
    if want == bool(sc.intr_mask & R.INT_TX_DONE):
        return
    sc.intr_mask ^= R.INT_TX_DONE
    # With hardware masking a queued pass has the NIC masked and its enable()
    # writes the new mask; with kernel masking enable() only unmasks the line,
    # so the NIC's mask is written now.
    if sc.intr_style == INTR_KERNEL or not sc.sc_inter.on_list:
        await sc.regs.write32(R.REG_INT_MASK_SET if want else R.REG_INT_MASK_CLR, R.INT_TX_DONE)


async def nic_tx_done(sc: NicDev, wtp) -> None:
    """From process-interrupt: harvest, and restart a queue stalled on a full ring."""
    ifp = sc.ifp
    await NW_SIGLOCK_P(ifp.if_snd_ex, sc.iopkt, wtp)
    nic_reap_tx(sc)
    if ifp.if_flags_tx & IFF_OACTIVE and sc.tx_free >= TX_WAKE_THRESHOLD:
        ifp.if_flags_tx &= ~IFF_OACTIVE
        await _want_tx_done(sc, False)
        await nic_start(ifp)  # releases the mutex
        return
    NW_SIGUNLOCK_P(ifp.if_snd_ex, sc.iopkt, wtp)


async def nic_tx_dma_victim(sc: NicDev, write: bool) -> None:
    """Settle the packet a transmit DMA error hit (caller holds the transmit
    mutex): harvest what carries DD, then the packet at TX_HEAD is sent if
    the failed access was a write (its last descriptor's write-back: all of
    it had been read), else lost and counted."""
    ifp = sc.ifp
    nic_reap_tx(sc)
    if not sc.tx_pkts:
        return
    head = await sc.regs.read32(R.REG_TX_HEAD)
    pkt = sc.tx_pkts.pop(0)
    if write and head == pkt.last:
        _count_sent(sc, pkt)
    else:
        sc.stats.tx_dma_errors += 1
        ifp.if_oerrors += 1
    m_freem(pkt.m)


async def nic_tx_account_discards(sc: NicDev) -> None:
    """The NIC discards frames it cannot send for want of a link and counts
    them (``STAT_TX_NO_CARRIER``); the driver had counted each as sent when
    it harvested its DD. Move them from ``if_opackets`` to ``if_oerrors``
    (as a NetBSD tick folds the hardware's error counters into ifnet).
    Called where the counts are read: nicinfo, ifconfig, the tick, stop."""
    ifp = sc.ifp
    await nic_harvest(sc)
    total = await nic_hw_count(sc, R.REG_STAT_TX_NO_CARRIER)
    moved = total - sc.tx_discards_seen
    if moved > 0:
        sc.tx_discards_seen = total
        ifp.if_opackets -= moved
        ifp.if_oerrors += moved
        sc.stats.txed_ok -= moved


async def nic_tx_recover(sc: NicDev, wtp, write: bool) -> None:
    """The NIC stopped the transmit ring on a DMA error (datasheet, *DMA*).

    Packets before the one at TX_HEAD carry DD: harvested as sent. The packet
    at HEAD is the one the error hit: if the failing access was its last
    descriptor's write-back, all of it had been read and it goes out (sent);
    otherwise the NIC discarded it unsent, and it is counted lost
    (``tx_dma_errors``, ``if_oerrors``). Every later packet is untouched: the
    ring is reset and they are posted again from descriptor 0, in order, so
    traffic resumes by itself."""
    ifp = sc.ifp
    await NW_SIGLOCK_P(ifp.if_snd_ex, sc.iopkt, wtp)
    await nic_tx_dma_victim(sc, write)
    rest = sc.tx_pkts
    sc.tx_pkts = []
    sc.tx_prod = sc.tx_cons = 0
    sc.tx_free = NUM_TX_DESC - 1
    sc.mem.write(sc.tx_ring, bytes(NUM_TX_DESC * R.DESC_SIZE))
    for pkt in rest:
        _map_packet(sc, pkt.m)
    # TAIL before LEN: the LEN write zeroes HEAD and restarts the stopped
    # engine, which must find the reposted descriptors already handed over.
    await sc.regs.write32(R.REG_TX_TAIL, sc.tx_prod)
    await sc.regs.write32(R.REG_TX_LEN, NUM_TX_DESC)
    if ifp.if_flags_tx & IFF_OACTIVE and sc.tx_free >= TX_WAKE_THRESHOLD:
        ifp.if_flags_tx &= ~IFF_OACTIVE
        await _want_tx_done(sc, False)
    if not ifp.if_flags_tx & IFF_OACTIVE:
        await nic_start(ifp)  # releases the mutex
        return
    NW_SIGUNLOCK_P(ifp.if_snd_ex, sc.iopkt, wtp)
