"""Init, stop and hardware reset (devnp ``init.c``).

``nic_init`` is called again and again (``ifconfig up``, an MTU change, a
capability change): it audits the hardware against the wanted configuration
and fixes only what differs, so a re-init does not interrupt traffic. A
failed init (no clusters for the receive ring) leaves nothing half-built, so
the next ``ifconfig up`` simply tries again.

``nic_stop`` follows the guide: stop transmitting and receiving and clear
every in-use buffer, but leave the rest of the driver and the hardware
intact (no device reset: the statistics registers and the PHY keep going).
What the NIC had finished is kept (sent frames count as sent); every other
frame is counted where it was dropped, so nothing vanishes on a down.
"""

from __future__ import annotations

from iopkt.kern.callout import callout_msec, callout_stop
from iopkt.kern.errno import ENOBUFS, EOK
from iopkt.kern.mbuf import M_DONTWAIT, M_PKTHDR, MCLBYTES, MT_DATA, m_freem, m_getcl
from iopkt.kern.siglock import NW_SIGLOCK_P, NW_SIGUNLOCK_P
from iopkt.net.if_ import IFF_OACTIVE, IFF_RUNNING, IFQ_IS_EMPTY
from nicdef import regs as R

from .bsd_media import nic_link_update
from .event import nic_dma_errors_log
from .moderation import nic_itr_programmed, nic_moderation_reset
from .multicast import nic_set_filter
from .receive import nic_rx_ring_load, nic_rx_ring_start
from .softc import INTR_KERNEL, INTR_MASK, NUM_RX_DESC, NUM_TX_DESC, NicDev
from .transmit import nic_purge, nic_reap_tx, nic_start, nic_tx_account_discards, nic_tx_dma_victim, nic_tx_done

MONITOR_MS = 2000  # the guide's example period for link maintenance

# Ethernet header, FCS and one 802.1Q tag on top of the MTU: 1522 for 1500,
# the NIC's reset value.
MAX_FRAME_OVERHEAD = 14 + 4 + 4

# The statistics nicinfo takes from the hardware, banked across device resets.
HW_COUNTERS = (R.REG_STAT_TX_FRAMES, R.REG_STAT_TX_OCTETS, R.REG_STAT_RX_FRAMES, R.REG_STAT_RX_OCTETS,
               R.REG_STAT_TX_BCAST, R.REG_STAT_TX_MCAST, R.REG_STAT_RX_BCAST, R.REG_STAT_RX_MCAST,
               R.REG_STAT_RX_FCS_ERR, R.REG_STAT_RX_TOOLONG, R.REG_STAT_RX_RUNT, R.REG_STAT_RX_MISSED,
               R.REG_STAT_DMA_ERR, R.REG_STAT_TX_NO_CARRIER, R.REG_STAT_RX_FRAMING, R.REG_STAT_RX_FILTERED)

# How long the transmit path may take to empty once the DMA has stopped, in
# byte times on the wire: the TX FIFO and the checksum frame buffer (16 KiB
# each, datasheet) plus preamble and gap for every frame that fits in them.
TX_DRAIN_BYTE_TIMES = 2 * 16384 + 512 * 20
DMA_IDLE_NS = 100_000  # a 9 KB DMA transfer takes well under this
IDLE_POLLS = 64  # register polls spread over the wait


def _byte_ns(sc: NicDev) -> int:
    """One byte time on the wire at the speed the MAC runs at now."""
    mbps = sc.media[1] if sc.media is not None else 1000
    return 8000 // mbps


async def _wait_status_clear(sc: NicDev, bits: int, limit_ns: int) -> bool:
    """Poll STATUS until ``bits`` are clear, spinning between polls with the
    stack context held (a nanospin: the wait is short and stop must not
    yield halfway). False if they are still set after ``limit_ns``."""
    step = max(limit_ns // IDLE_POLLS, 200)
    waited = 0
    while True:
        if not await sc.regs.read32(R.REG_STATUS) & bits:
            return True
        if waited >= limit_ns:
            return False
        await sc.iopkt.platform.sleep(step)
        waited += step


async def nic_quiesce_dma(sc: NicDev) -> bool:
    """Disable both engines and wait until neither is mid-frame and every frame
    the transmit DMA fetched has left (or was discarded for want of a link):
    the datasheet makes a ring reset safe only then, and a frame the driver
    saw DD for must not die in the FIFO. False if the NIC never went idle."""
    ctrl = await sc.regs.read32(R.REG_CTRL)
    if ctrl & (R.CTRL_TX_EN | R.CTRL_RX_EN):
        await sc.regs.write32(R.REG_CTRL, ctrl & ~(R.CTRL_TX_EN | R.CTRL_RX_EN))
    # The transmit engine stops at a descriptor boundary, and before it gets
    # there it may wait for FIFO room, which only the MAC frees: as long as
    # draining the path itself, at the speed the MAC runs.
    drain_ns = max(DMA_IDLE_NS, TX_DRAIN_BYTE_TIMES * _byte_ns(sc))
    ok = await _wait_status_clear(sc, R.STATUS_TX_BUSY | R.STATUS_RX_BUSY, drain_ns)
    ok = await _wait_status_clear(sc, R.STATUS_TX_PENDING, drain_ns) and ok
    if not ok:
        status = await sc.regs.read32(R.REG_STATUS)
        sc.iopkt.printf(f"{sc.dv_xname}: the NIC did not go idle (STATUS {status:#x}); going on anyway")
    return ok


async def nic_hw_reset(sc: NicDev) -> None:
    """Full device reset once DMA is idle: registers, rings and counters (attach
    and detach; stop does not reset). The statistics are banked first, so
    nicinfo's totals run on across it."""
    await nic_quiesce_dma(sc)
    for reg in HW_COUNTERS:
        sc.hw_counts[reg] = sc.hw_counts.get(reg, 0) + await sc.regs.read32(reg)
    await sc.regs.write32(R.REG_CTRL, R.CTRL_RST)
    sc.rings_ready = False


async def _program_mac(sc: NicDev) -> None:
    mac = sc.ifp.if_lladdr
    await sc.regs.write32(R.REG_MAC_LO, int.from_bytes(mac[0:4], "little"))
    await sc.regs.write32(R.REG_MAC_HI, int.from_bytes(mac[4:6], "little"))


async def _rings_up(sc: NicDev) -> int:
    """Program both rings from empty and hand the NIC its receive buffers.
    ENOBUFS (nothing kept) if the receive ring cannot be filled."""
    fresh = []
    for _ in range(NUM_RX_DESC - 1):
        m = m_getcl(sc.iopkt.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)
        if m is None:
            sc.stats.rx_failed_allocs += 1
            for got in fresh:
                m_freem(got)
            sc.iopkt.printf(f"{sc.dv_xname}: no clusters for the receive ring; not brought up")
            return ENOBUFS
        fresh.append(m)
    nic_rx_ring_load(sc, fresh)
    sc.tx_prod = sc.tx_cons = 0
    sc.tx_free = NUM_TX_DESC - 1
    sc.mem.write(sc.tx_ring, bytes(NUM_TX_DESC * R.DESC_SIZE))
    w = sc.regs.write32
    await w(R.REG_TX_TAIL, 0)
    await w(R.REG_TX_BASE_LO, sc.tx_ring & 0xFFFFFFFF)
    await w(R.REG_TX_BASE_HI, sc.tx_ring >> 32)
    await w(R.REG_TX_LEN, NUM_TX_DESC)
    await w(R.REG_RX_BASE_LO, sc.rx_ring & 0xFFFFFFFF)
    await w(R.REG_RX_BASE_HI, sc.rx_ring >> 32)
    await w(R.REG_RX_BUF_SIZE, MCLBYTES)
    await nic_rx_ring_start(sc)
    return EOK


async def nic_init(ifp) -> int:
    sc: NicDev = ifp.if_softc
    if not sc.rings_ready:
        err = await _rings_up(sc)
        if err != EOK:
            return err
        await sc.regs.write32(R.REG_INT_CAUSE, R.INT_ALL)
        sc.rings_ready = True
    # Audit the rest against what io-pkt wants now: the MTU (SIOCSIFMTU
    # re-inits), the station address, the receive filter, moderation.
    want_len = ifp.if_mtu + MAX_FRAME_OVERHEAD
    if await sc.regs.read32(R.REG_MAX_FRAME_LEN) != want_len:
        await sc.regs.write32(R.REG_MAX_FRAME_LEN, want_len)
    await nic_set_filter(sc)
    mac_lo = await sc.regs.read32(R.REG_MAC_LO)
    mac_hi = await sc.regs.read32(R.REG_MAC_HI)
    if mac_lo.to_bytes(4, "little") + mac_hi.to_bytes(4, "little")[:2] != ifp.if_lladdr:
        await _program_mac(sc)
    nic_moderation_reset(sc)  # (re)started: no flood yet
    itr = nic_itr_programmed(sc)
    if await sc.regs.read32(R.REG_INT_THROTTLE) != itr:
        await sc.regs.write32(R.REG_INT_THROTTLE, itr)
    await nic_link_update(sc)  # the MAC runs at the PHY's speed before it is enabled
    ctrl = await sc.regs.read32(R.REG_CTRL)
    want = ctrl | R.CTRL_TX_EN | R.CTRL_RX_EN
    if ctrl != want:
        await sc.regs.write32(R.REG_CTRL, want)
    sc.intr_mask = INTR_MASK
    sc.running = True
    if sc.intr_style == INTR_KERNEL or not sc.sc_inter.on_list:
        # With hardware masking a queued process pass keeps the NIC masked
        # until its enable(): unmasking under it would hold the line up.
        await sc.regs.write32(R.REG_INT_MASK_SET, sc.intr_mask)

    await NW_SIGLOCK_P(ifp.if_snd_ex, sc.iopkt, None)
    ifp.if_flags_tx |= IFF_RUNNING
    ifp.if_flags_tx &= ~IFF_OACTIVE
    if IFQ_IS_EMPTY(ifp.if_snd):
        NW_SIGUNLOCK_P(ifp.if_snd_ex, sc.iopkt, None)
    else:
        await nic_start(ifp)  # packets queued while stalled: nobody else will start them (releases the mutex)
    sc.run_timer = True
    callout_msec(sc.sc_mii_callout, MONITOR_MS, nic_monitor, sc)
    return EOK


async def nic_monitor(sc: NicDev) -> None:
    """The periodic timer of the guide: link maintenance, and a TX harvest and
    restart for a ring no interrupt will report on. One-shot, so it re-arms itself, unless stop cleared
    run_timer while it ran (callout_stop does not wait for a running callout)."""
    await nic_link_update(sc)
    await nic_tx_done(sc, None)  # harvest, and restart a queue stalled on a full ring
    await nic_tx_account_discards(sc)
    if sc.run_timer:
        callout_msec(sc.sc_mii_callout, MONITOR_MS, nic_monitor, sc)


def _free_rx(sc: NicDev) -> None:
    for i, m in enumerate(sc.rx_mbufs):
        if m is not None:
            m_freem(m)
            sc.rx_mbufs[i] = None


def _rx_frames_left(sc: NicDev) -> int:
    """Frames the NIC completed (an EOP descriptor with DD) that the driver
    has not taken, from the consumer index on."""
    frames = 0
    slot = sc.rx_cons
    for _ in range(NUM_RX_DESC - 1):
        raw = sc.mem.read(sc.rx_ring + slot * R.DESC_SIZE, R.DESC_SIZE)
        sta = raw[R.RX_DESC_STA_OFF]
        if not sta & R.RX_DESC_STA_DD:
            break
        if sta & R.RX_DESC_STA_EOP:
            frames += 1
        slot = (slot + 1) % NUM_RX_DESC
    return frames


async def nic_stop(ifp, disable: int) -> None:
    sc: NicDev = ifp.if_softc
    sc.running = False  # before anything that could let a queued process pass in
    sc.run_timer = False
    callout_stop(sc.sc_mii_callout)
    await NW_SIGLOCK_P(ifp.if_snd_ex, sc.iopkt, None)
    ifp.if_flags_tx &= ~(IFF_RUNNING | IFF_OACTIVE)
    sc.intr_mask = 0
    await sc.regs.write32(R.REG_INT_MASK_CLR, R.INT_ALL)
    # Engines off and the transmit path empty: every frame the NIC read is on
    # the wire (or counted by it as no-carrier), so DD means sent.
    await nic_quiesce_dma(sc)
    # A DMA error the process function never got to (it runs after this stop
    # and finds nothing to do) is reported and its frame counted here.
    if sc.rings_ready:
        status = await sc.regs.read32(R.REG_STATUS)
        infos = await nic_dma_errors_log(sc, status, "the interface is going down")
        if "transmit" in infos:
            await nic_tx_dma_victim(sc, bool(infos["transmit"] & R.TX_ERR_INFO_WRITE))
        if "receive" in infos:
            sc.stats.rx_dma_errors += 1
            ifp.if_ierrors += 1
    if sc.rings_ready:
        nic_reap_tx(sc)
        for pkt in sc.tx_pkts:
            sc.stats.tx_stopped += 1
            ifp.if_oerrors += 1
            m_freem(pkt.m)
        sc.tx_pkts.clear()
        await sc.regs.write32(R.REG_TX_TAIL, 0)
        await sc.regs.write32(R.REG_TX_LEN, NUM_TX_DESC)
    nic_purge(sc, "stopped")
    NW_SIGUNLOCK_P(ifp.if_snd_ex, sc.iopkt, None)
    await nic_tx_account_discards(sc)
    if sc.rings_ready:
        # Frames the NIC delivered that nobody took are dropped with the
        # buffers; a receive ring reset with RX_EN clear makes the NIC discard
        # (and count as missed) what still waits in its FIFO: nothing stale
        # comes back up with the interface.
        left = _rx_frames_left(sc)
        sc.stats.rx_stopped += left
        ifp.if_iqdrops += left
        await sc.regs.write32(R.REG_RX_TAIL, 0)
        await sc.regs.write32(R.REG_RX_LEN, NUM_RX_DESC)
    _free_rx(sc)
    sc.mem.write(sc.rx_ring, bytes(NUM_RX_DESC * R.DESC_SIZE))
    sc.mem.write(sc.tx_ring, bytes(NUM_TX_DESC * R.DESC_SIZE))
    await sc.regs.write32(R.REG_INT_CAUSE, R.INT_ALL)
    sc.rings_ready = False
