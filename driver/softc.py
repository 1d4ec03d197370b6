"""The per-device state (``struct nic_dev``) and descriptor packing.

Descriptor layouts come from ``nicdef`` (the same definition the RTL is
generated from), so field offsets are never re-typed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicdef import regs as R
from stack.kern.callout import Callout
from stack.kern.device import Device
from stack.kern.intr import IopktInter
from stack.net.if_ import Ifnet
from stack.net.if_media import Ifmedia

NUM_TX_DESC = 64
NUM_RX_DESC = 64
MAX_TX_SEGS = 8  # a chain of more mbufs than this is copied into one cluster
TX_WAKE_THRESHOLD = 16  # free descriptors before a stalled queue restarts (hysteresis)
# Transmit completions are harvested in start and on every process pass; the
# TX_DONE interrupt is only wanted while the queue is stalled on a full ring
# (the guide: a TX-complete interrupt per frame costs more than it gives).
INTR_MASK = R.INT_RX_DONE | R.INT_RX_MISS | R.INT_LINK


@dataclass
class NicCounts:
    """The driver's own counts, the ones nicinfo reports."""

    txed_ok: int = 0
    octets_txed_ok: int = 0
    rxed_ok: int = 0
    octets_rxed_ok: int = 0
    tx_failed_allocs: int = 0
    rx_failed_allocs: int = 0
    rx_missed: int = 0
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
        self.hw_configured = False
        self.phy: int | None = None  # MDIO address of the PHY, found at attach
        self.link_up = False  # until the PHY says otherwise
        self.media = None  # the resolved (name, Mb/s, full duplex), from the PHY
        self.intr_mask = INTR_MASK  # what enable() unmasks; TX_DONE joins while OACTIVE
        self.stats = NicCounts()
        self.hw_counts: dict[int, int] = {}  # statistics banked before each device reset
        self.options: dict[str, str | None] = {}
        self.verbose = 0  # the verbose= option (nic_config_t.verbose, as devnp drivers keep it)

    @property
    def ifp(self) -> Ifnet:
        return self.sc_ec_ifp


def tx_desc(addr: int, length: int, cmd: int) -> bytes:
    d = bytearray(R.DESC_SIZE)
    d[R.TX_DESC_ADDR_OFF:R.TX_DESC_ADDR_OFF + 8] = addr.to_bytes(8, "little")
    d[R.TX_DESC_LEN_OFF:R.TX_DESC_LEN_OFF + 2] = length.to_bytes(2, "little")
    d[R.TX_DESC_CMD_OFF] = cmd
    return bytes(d)


def rx_desc(addr: int) -> bytes:
    d = bytearray(R.DESC_SIZE)
    d[R.RX_DESC_ADDR_OFF:R.RX_DESC_ADDR_OFF + 8] = addr.to_bytes(8, "little")
    return bytes(d)


def desc_status(raw: bytes, off: int) -> int:
    return raw[off]


def desc_len(raw: bytes, off: int) -> int:
    return int.from_bytes(raw[off:off + 2], "little")
