"""Init, stop and hardware reset (devnp ``init.c``).

``nic_init`` is called again and again (``ifconfig up``, an MTU change, a
capability change): it audits the hardware against the wanted configuration
and fixes only what differs, so a re-init does not interrupt traffic.
``nic_stop`` stops DMA and drops every buffer so no stale frame survives
``ifconfig down``; the structures allocated by attach stay.
"""

from __future__ import annotations

from nicdef import regs as R
from stack.kern.callout import callout_msec, callout_stop
from stack.kern.errno import ENOBUFS, EOK
from stack.kern.mbuf import M_DONTWAIT, M_PKTHDR, MCLBYTES, MT_DATA, m_freem, m_getcl, mtod
from stack.kern.siglock import NW_SIGLOCK_P, NW_SIGUNLOCK_P
from stack.net.if_ import IFF_OACTIVE, IFF_RUNNING, IFQ_IS_EMPTY, IFQ_PURGE

from .bsd_media import nic_link_update
from .multicast import nic_set_filter
from .softc import INTR_MASK, NUM_RX_DESC, NUM_TX_DESC, NicDev, rx_desc
from .transmit import nic_harvest, nic_start

MONITOR_MS = 2000  # the guide's example period for link maintenance

# Ethernet header, FCS and one 802.1Q tag on top of the MTU: 1522 for 1500,
# the NIC's reset value.
MAX_FRAME_OVERHEAD = 14 + 4 + 4

# The statistics nicinfo takes from the hardware (the driver counts the rest).
HW_COUNTERS = (R.REG_STAT_TX_BCAST, R.REG_STAT_TX_MCAST, R.REG_STAT_RX_BCAST, R.REG_STAT_RX_MCAST,
               R.REG_STAT_RX_FCS_ERR, R.REG_STAT_RX_TOOLONG, R.REG_STAT_RX_RUNT, R.REG_STAT_RX_MISSED,
               R.REG_STAT_DMA_ERR)

# Register polls allowed for the DMA engines to go idle (each poll is a bus
# round trip, tens of nanoseconds; a 9 KB frame takes about 75 us).
IDLE_POLLS = 5000


async def nic_quiesce_dma(sc: NicDev) -> bool:
    """Disable both engines and wait until neither is mid-frame; the datasheet
    makes a reset with a burst in flight undefined. False if they never idle."""
    ctrl = await sc.regs.read32(R.REG_CTRL)
    if ctrl & (R.CTRL_TX_EN | R.CTRL_RX_EN):
        await sc.regs.write32(R.REG_CTRL, ctrl & ~(R.CTRL_TX_EN | R.CTRL_RX_EN))
    for _ in range(IDLE_POLLS):
        if not await sc.regs.read32(R.REG_STATUS) & (R.STATUS_TX_BUSY | R.STATUS_RX_BUSY):
            return True
    sc.iopkt.printf(f"{sc.dv_xname}: DMA did not go idle; resetting anyway")
    return False


async def nic_hw_reset(sc: NicDev) -> None:
    """Full device reset once DMA is idle: registers, rings and counters. The
    hardware counters are banked first, so nicinfo's totals survive a down/up."""
    await nic_quiesce_dma(sc)
    for reg in HW_COUNTERS:
        sc.hw_counts[reg] = sc.hw_counts.get(reg, 0) + await sc.regs.read32(reg)
    await sc.regs.write32(R.REG_CTRL, R.CTRL_RST)
    sc.hw_configured = False


async def nic_hw_count(sc: NicDev, reg: int) -> int:
    """A statistics register's total since attach (banked part + live part)."""
    return sc.hw_counts.get(reg, 0) + await sc.regs.read32(reg)


async def _program_mac(sc: NicDev) -> None:
    mac = sc.ifp.if_lladdr
    await sc.regs.write32(R.REG_MAC_LO, int.from_bytes(mac[0:4], "little"))
    await sc.regs.write32(R.REG_MAC_HI, int.from_bytes(mac[4:6], "little"))


async def _rings_up(sc: NicDev) -> int:
    """Program both rings from empty and hand the NIC its receive buffers."""
    for i in range(NUM_RX_DESC - 1):
        m = m_getcl(sc.iopkt.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)
        if m is None:
            sc.stats.rx_failed_allocs += 1
            _free_rx(sc)
            return ENOBUFS
        sc.rx_mbufs[i] = m
        sc.mem.write(sc.rx_ring + i * R.DESC_SIZE, rx_desc(mtod(m)))
    sc.mem.write(sc.rx_ring + (NUM_RX_DESC - 1) * R.DESC_SIZE, bytes(R.DESC_SIZE))
    sc.rx_cons, sc.rx_prod = 0, NUM_RX_DESC - 1
    sc.tx_prod = sc.tx_cons = 0
    sc.tx_free = NUM_TX_DESC - 1
    sc.mem.write(sc.tx_ring, bytes(NUM_TX_DESC * R.DESC_SIZE))
    w = sc.regs.write32
    await w(R.REG_TX_BASE_LO, sc.tx_ring & 0xFFFFFFFF)
    await w(R.REG_TX_BASE_HI, sc.tx_ring >> 32)
    await w(R.REG_TX_LEN, NUM_TX_DESC)
    await w(R.REG_TX_TAIL, 0)
    await w(R.REG_RX_BASE_LO, sc.rx_ring & 0xFFFFFFFF)
    await w(R.REG_RX_BASE_HI, sc.rx_ring >> 32)
    await w(R.REG_RX_LEN, NUM_RX_DESC)
    await w(R.REG_RX_BUF_SIZE, MCLBYTES)
    await w(R.REG_RX_TAIL, sc.rx_prod)
    return EOK


async def nic_init(ifp) -> int:
    sc: NicDev = ifp.if_softc
    if not sc.hw_configured:
        err = await _rings_up(sc)
        if err != EOK:
            return err
        await sc.regs.write32(R.REG_INT_CAUSE, R.INT_ALL)
        sc.hw_configured = True
    # Audit the rest against what io-pkt wants now: the MTU (SIOCSIFMTU
    # re-inits), the station address, the receive filter.
    want_len = ifp.if_mtu + MAX_FRAME_OVERHEAD
    if await sc.regs.read32(R.REG_MAX_FRAME_LEN) != want_len:
        await sc.regs.write32(R.REG_MAX_FRAME_LEN, want_len)
    await nic_set_filter(sc)
    mac_lo = await sc.regs.read32(R.REG_MAC_LO)
    mac_hi = await sc.regs.read32(R.REG_MAC_HI)
    if mac_lo.to_bytes(4, "little") + mac_hi.to_bytes(4, "little")[:2] != ifp.if_lladdr:
        await _program_mac(sc)
    await nic_link_update(sc)  # the MAC runs at the PHY's speed before it is enabled
    ctrl = await sc.regs.read32(R.REG_CTRL)
    want = ctrl | R.CTRL_TX_EN | R.CTRL_RX_EN
    if ctrl != want:
        await sc.regs.write32(R.REG_CTRL, want)
    sc.intr_mask = INTR_MASK
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
    """The periodic timer of the guide: link maintenance and a TX harvest for
    an idle ring. One-shot, so it re-arms itself, unless stop cleared
    run_timer while it ran (callout_stop does not wait for a running callout)."""
    await nic_link_update(sc)
    await nic_harvest(sc)
    if sc.run_timer:
        callout_msec(sc.sc_mii_callout, MONITOR_MS, nic_monitor, sc)


def _free_rx(sc: NicDev) -> None:
    for i, m in enumerate(sc.rx_mbufs):
        if m is not None:
            m_freem(m)
            sc.rx_mbufs[i] = None


async def nic_stop(ifp, disable: int) -> None:
    sc: NicDev = ifp.if_softc
    sc.run_timer = False
    callout_stop(sc.sc_mii_callout)
    await NW_SIGLOCK_P(ifp.if_snd_ex, sc.iopkt, None)
    ifp.if_flags_tx &= ~(IFF_RUNNING | IFF_OACTIVE)
    await sc.regs.write32(R.REG_INT_MASK_CLR, R.INT_ALL)
    # Disable, wait for the engines to idle, reset: nothing is left half-way
    # through a frame, and the next init rebuilds the rings from empty.
    await nic_hw_reset(sc)
    for pkt in sc.tx_pkts:
        m_freem(pkt.m)
    sc.tx_pkts.clear()
    IFQ_PURGE(ifp.if_snd)
    NW_SIGUNLOCK_P(ifp.if_snd_ex, sc.iopkt, None)
    _free_rx(sc)
