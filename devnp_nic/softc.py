"""The per-device state (``struct nic_dev``) and the driver's counts.

Descriptors are packed by ``nicdef.desc`` (the same definition the RTL is
generated from), so field offsets are never re-typed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from iopkt.kern.callout import Callout
from iopkt.kern.device import Device
from iopkt.kern.intr import IopktInter
from iopkt.net.if_ import Ifnet
from iopkt.net.if_media import Ifmedia
from nicdef import regs as R

NUM_TX_DESC = 64
NUM_RX_DESC = 64
MAX_TX_SEGS = 8  # a chain of more mbufs than this is copied into one cluster
TX_WAKE_THRESHOLD = 16  # free descriptors before a stalled queue restarts (hysteresis)
# Transmit completions are harvested in start and on every process pass; the
# TX_DONE interrupt is only wanted while the queue is stalled on a full ring
# (the guide: a TX-complete interrupt per frame costs more than it gives).
# DMA_ERR is always wanted: a ring the NIC stopped is dead until the driver
# resets it, so the error must reach the process function.
INTR_MASK = R.INT_RX_DONE | R.INT_RX_MISS | R.INT_LINK | R.INT_DMA_ERR

# The interrupt masking styles of the driver guide, chosen with intr=:
INTR_KERNEL = "kernel"  # ISR: InterruptMask; enable(): InterruptUnmask
INTR_HW = "hw"  # ISR: INT_MASK_CLR (e1000 IMC); enable(): INT_MASK_SET (IMS)
INTR_SHARED = "shared"  # as hw, but the ISR reads INT_CAUSE first and leaves a foreign interrupt alone
INTR_STYLES = (INTR_KERNEL, INTR_HW, INTR_SHARED)


@dataclass
class NicCounts:
    """The driver's own counts. Every frame the driver is handed or takes in
    ends in exactly one of them or is delivered; nicinfo reports them beside
    the NIC's statistics registers (see ``nicinfo.py``)."""

    txed_ok: int = 0  # harvested with DD: the NIC has read the whole frame
    octets_txed_ok: int = 0
    rxed_ok: int = 0  # handed to if_input
    octets_rxed_ok: int = 0
    tx_failed_allocs: int = 0  # a fragmented chain could not be compacted: dropped
    rx_failed_allocs: int = 0  # no fresh cluster: the frame was dropped, its buffers kept in the ring
    tx_no_carrier: int = 0  # dropped by start while the PHY reported no link
    tx_dma_errors: int = 0  # frames lost to a DMA error on the transmit ring
    rx_dma_errors: int = 0  # frames lost to a DMA error on the receive ring
    tx_stopped: int = 0  # never sent: still queued or in the ring when the interface was stopped
    rx_stopped: int = 0  # received but not yet taken when the interface was stopped
    dma_errors: int = 0  # DMA error events (each stops a ring until the driver resets it)
    tx_copied: int = 0
    tx_ring_full: int = 0  # times start found the ring full and set IFF_OACTIVE


@dataclass
class TxPacket:
    first: int
    last: int
    ndesc: int
    m: object


class NicDev(Device):
    """``struct nic_dev``: the softc. Functions take it first."""

    def __init__(self):
        super().__init__()
        self.sc_ec_ifp = Ifnet()
        self.sc_inter = IopktInter()
        self.sc_iid = 0
        self.sc_sdhook = None
        self.sc_mii_callout = Callout()
        self.sc_media = Ifmedia()
        self.run_timer = False  # the guide's flag closing the callout_stop race
        self.pdev = None  # the PlatformDevice
        self.regs = None
        self.mem = None
        self.iopkt = None
        self.mac = b""
        self.perm_mac = b""
        self.irq = 0
        self.revision = 0
        self.tx_ring = 0
        self.rx_ring = 0
        self.tx_prod = 0
        self.tx_cons = 0
        self.tx_free = NUM_TX_DESC - 1
        self.tx_pkts: list[TxPacket] = []
        self.rx_cons = 0
        self.rx_prod = 0
        self.rx_mbufs: list = [None] * NUM_RX_DESC
        self.rings_ready = False  # descriptors programmed and RX buffers posted (init, until stop)
        # Cleared first thing in stop: a process pass that io-pkt queued before
        # stop ran and runs after it must leave the rings alone.
        self.running = False
        self.phy: int | None = None  # MDIO address of the PHY, found at attach
        self.link_up = False  # until the PHY says otherwise
        self.phy_error = False  # the last MDIO transaction never finished
        self.media = None  # the resolved (name, Mb/s, full duplex), from the PHY
        self.intr_mask = INTR_MASK  # what enable() unmasks; TX_DONE joins while OACTIVE
        self.stats = NicCounts()
        self.hw_counts: dict[int, int] = {}  # statistics banked before each device reset
        self.tx_discards_seen = 0  # STAT_TX_NO_CARRIER already moved from if_opackets to if_oerrors
        self.options: dict[str, str | None] = {}
        self.verbose = 0  # the verbose= option (nic_config_t.verbose, as devnp drivers keep it)
        self.intr_style = INTR_HW  # intr=
        self.itr_us = 0  # itr=: interrupt moderation, minimum microseconds between interrupts
        # itr=auto (the default): the window goes on in a flood, off after it (moderation.py)
        self.itr_auto = True
        self.itr_auto_on = False
        self.itr_bulk = False  # the window on is the bulk one (large frames)
        self.itr_last_ns = 0  # when the last process pass began
        self.itr_busy = 0     # busy process passes in a row
        self.itr_quiet = 0    # quiet passes in a row
        self.itr_changes = 0  # INT_THROTTLE writes the adaptive state made
        self.phy_poll_us = 0  # phythread=: poll the PHY from a driver thread this often (0: no thread)
        self.mii_lock = None  # serialises MDIO between stack context and the PHY thread
        self.sc_thread = None  # the PHY thread's nw_work_thread
        self.thread_quiesce = False  # set by the thread's quiesce callout
        self.thread_die = False
        self.thread_wake = None  # the thread's nap, cut short by its quiesce callout
        self.phy_polls = 0  # BMSR polls the PHY thread made
        self.phy_thread_events = 0  # link changes it saw and handed to the process function
        self.phy_dropped = False  # the PHY thread saw the link down (BMSR latches low; its read clears it)
        self.thread_parks = 0  # times it parked in quiesce_block
        self.isr_foreign = 0  # intr=shared: ISR entries for another device's interrupt

    @property
    def ifp(self) -> Ifnet:
        return self.sc_ec_ifp


async def nic_hw_count(sc: NicDev, reg: int) -> int:
    """A statistics register's total since attach: what was banked before each
    device reset (``init.nic_hw_reset``) plus what it reads now."""
    return sc.hw_counts.get(reg, 0) + await sc.regs.read32(reg)
