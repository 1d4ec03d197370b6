"""What ``nicinfo`` shows: ``nic_config_t`` and ``nic_stats_t`` filled from the
softc and the NIC's statistics registers (devnp ``devctl.c``'s DRVCOM part).

Where each event is counted (the datasheet's statistics table and the
driver README's fault table say the same), by nicinfo row (field):

- Packets/Bytes Transmitted OK (``txed_ok``, ``octets_txed_ok``): frames
  the MAC put on the wire (``STAT_TX_FRAMES``/``OCTETS``).
- Packets/Bytes Received OK (``rxed_ok``, ``octets_rxed_ok``): good frames
  the NIC wrote to memory (``STAT_RX_FRAMES``/``OCTETS``).
- Memory Allocation Failures on Transmit/Receive (``tx/rx_failed_allocs``):
  frames the driver dropped for want of clusters.
- Transmit Underruns (``internal_tx_errors``): frames lost to a DMA error
  on the transmit ring.
- No Carrier on Transmit (``no_carrier``): frames dropped while the PHY had
  no link, by start and by the NIC (``STAT_TX_NO_CARRIER``).
- Received packets with CRC errors (``fcs_errors``): bad FCS or ``rx_er``.
- Packets Dropped on receive (``internal_rx_errors``): no free descriptor,
  FIFO overflow or receiver disabled (``STAT_RX_MISSED``), a DMA error on
  the receive ring, or still in the ring when the interface was stopped.
- Oversized / Short packets: ``STAT_RX_TOOLONG`` / ``STAT_RX_RUNT``.
- Receive Framing errors (``framing_errors``, io-pkt's one field beyond
  QNX's struct): carrier bursts without a valid SFD (``STAT_RX_FRAMING``).

Frames still queued or in the transmit ring when the interface is stopped
were never sent: they are output errors (``if_oerrors``), not MAC errors.
"""

from __future__ import annotations

from iopkt.net.if_ import IFF_PROMISC, IFCAP_CSUM_IPv4, IFCAP_CSUM_TCPv4, IFCAP_CSUM_UDPv4
from iopkt.net.nicinfo import (
    NIC_CONNECTOR_MII,
    NIC_ETHER_STAT_COLLISIONS,
    NIC_ETHER_STAT_FCS_ERRORS,
    NIC_ETHER_STAT_FRAMING_ERRORS,
    NIC_ETHER_STAT_INTERNAL_RX_ERRORS,
    NIC_ETHER_STAT_INTERNAL_TX_ERRORS,
    NIC_ETHER_STAT_NO_CARRIER,
    NIC_ETHER_STAT_OVERSIZED_PACKETS,
    NIC_ETHER_STAT_SHORT_PACKETS,
    NIC_FLAG_BROADCAST,
    NIC_FLAG_LINK_DOWN,
    NIC_FLAG_MULTICAST,
    NIC_FLAG_PROMISCUOUS,
    NIC_STAT_RX_FAILED_ALLOCS,
    NIC_STAT_RXED_BROADCAST,
    NIC_STAT_RXED_MULTICAST,
    NIC_STAT_TX_FAILED_ALLOCS,
    NIC_STAT_TXED_BROADCAST,
    NIC_STAT_TXED_MULTICAST,
    NicConfig,
    NicStats,
)
from nicdef import __version__
from nicdef import regs as R

from .softc import NicDev, nic_hw_count
from .transmit import nic_tx_account_discards

CSUM_CAPS = IFCAP_CSUM_IPv4 | IFCAP_CSUM_TCPv4 | IFCAP_CSUM_UDPv4


def nic_config(sc: NicDev) -> NicConfig:
    ifp = sc.ifp
    cfg = NicConfig()
    cfg.flags = NIC_FLAG_MULTICAST | NIC_FLAG_BROADCAST
    if ifp.if_flags & IFF_PROMISC:
        cfg.flags |= NIC_FLAG_PROMISCUOUS
    if not sc.link_up:
        cfg.flags |= NIC_FLAG_LINK_DOWN
    cfg.mtu = cfg.mru = ifp.if_mtu + 14
    cfg.lan = sc.dv_unit
    cfg.permanent_address = sc.perm_mac
    cfg.current_address = ifp.if_lladdr
    cfg.connector = NIC_CONNECTOR_MII
    cfg.phy_addr = sc.phy if sc.phy is not None else -1
    if sc.link_up and sc.media is not None:
        cfg.media_rate = sc.media[1] * 1000  # kbit/s
        cfg.duplex = 1 if sc.media[2] else 0
    cfg.vendor_id = R.VENDOR_ID
    cfg.device_id = R.DEVICE_ID
    cfg.device_revision = sc.revision
    cfg.num_irqs = 1
    cfg.irq[0] = sc.irq
    cfg.num_mem_windows = 1
    cfg.mem_window_base[0], cfg.mem_window_size[0] = sc.pdev.mem_window
    cfg.device_description = f"Simulated gigabit NIC, devnp-nic {__version__} (iopkt-nic-sim)"
    cfg.tx_csum_active = ifp.if_capenable_tx & CSUM_CAPS
    cfg.rx_csum_active = ifp.if_capenable_rx & CSUM_CAPS
    cfg.verbose = sc.verbose
    return cfg


async def nic_stats(sc: NicDev) -> NicStats:
    await nic_tx_account_discards(sc)  # harvests first: a completed transmission counts once harvested

    async def rd(reg: int) -> int:
        return await nic_hw_count(sc, reg)

    st = NicStats()
    st.txed_ok = await rd(R.REG_STAT_TX_FRAMES)
    st.octets_txed_ok = await rd(R.REG_STAT_TX_OCTETS)
    st.rxed_ok = await rd(R.REG_STAT_RX_FRAMES)
    st.octets_rxed_ok = await rd(R.REG_STAT_RX_OCTETS)
    st.txed_multicast = await rd(R.REG_STAT_TX_MCAST)
    st.txed_broadcast = await rd(R.REG_STAT_TX_BCAST)
    st.rxed_multicast = await rd(R.REG_STAT_RX_MCAST)
    st.rxed_broadcast = await rd(R.REG_STAT_RX_BCAST)
    st.tx_failed_allocs = sc.stats.tx_failed_allocs
    st.rx_failed_allocs = sc.stats.rx_failed_allocs
    st.valid_stats = (NIC_STAT_TXED_MULTICAST | NIC_STAT_RXED_MULTICAST | NIC_STAT_TXED_BROADCAST
                      | NIC_STAT_RXED_BROADCAST | NIC_STAT_TX_FAILED_ALLOCS | NIC_STAT_RX_FAILED_ALLOCS)
    e = st.un
    e.fcs_errors = await rd(R.REG_STAT_RX_FCS_ERR)
    e.oversized_packets = await rd(R.REG_STAT_RX_TOOLONG)
    e.short_packets = await rd(R.REG_STAT_RX_RUNT)
    e.framing_errors = await rd(R.REG_STAT_RX_FRAMING)
    e.internal_rx_errors = await rd(R.REG_STAT_RX_MISSED) + sc.stats.rx_dma_errors + sc.stats.rx_stopped
    e.internal_tx_errors = sc.stats.tx_dma_errors
    e.no_carrier = await rd(R.REG_STAT_TX_NO_CARRIER) + sc.stats.tx_no_carrier
    # Full duplex only: the collision counters are honestly zero, and valid.
    e.valid_stats = (NIC_ETHER_STAT_FCS_ERRORS | NIC_ETHER_STAT_OVERSIZED_PACKETS | NIC_ETHER_STAT_SHORT_PACKETS
                     | NIC_ETHER_STAT_INTERNAL_RX_ERRORS | NIC_ETHER_STAT_INTERNAL_TX_ERRORS
                     | NIC_ETHER_STAT_NO_CARRIER | NIC_ETHER_STAT_COLLISIONS | NIC_ETHER_STAT_FRAMING_ERRORS)
    st.valid_stats |= e.valid_stats
    return st
