"""``SIOCGDRVCOM`` and the structures ``nicinfo`` reads (QNX ``<net/ifdrvcom.h>``,
``<hw/nicinfo.h>``).

A driver's ``if_ioctl`` answers ``SIOCGDRVCOM`` by looking at
``ifdc.ifdc_cmd``: ``DRVCOM_CONFIG`` wants a ``NicConfig``
(``nic_config_t``), ``DRVCOM_STATS`` a ``NicStats`` (``nic_stats_t``).
``drvcom_reply(ifdc, obj)`` does the length check and the copy-out as C
drivers do; an unknown sub-command is ``EOPNOTSUPP``. Field names are the C
ones so a port from a devnp driver reads the same.
"""

from __future__ import annotations

import copy
import struct
from dataclasses import dataclass, field, fields

from ..kern.errno import EINVAL, EOK, EOPNOTSUPP

DRVCOM_CONFIG = 1
DRVCOM_STATS = 2

# nic_config_t.flags
NIC_FLAG_MULTICAST = 0x00000200
NIC_FLAG_PROMISCUOUS = 0x00000400
NIC_FLAG_BROADCAST = 0x00000800
NIC_FLAG_LINK_DOWN = 0x00002000

NIC_CONNECTOR_UNKNOWN = 0
NIC_CONNECTOR_MII = 5

NIC_MAX_IRQS = 8
NIC_MAX_MEM_WINDOWS = 8
NIC_MAX_ADDR_LEN = 32

# nic_stats_t.valid_stats
NIC_STAT_TXED_MULTICAST = 0x00000001
NIC_STAT_RXED_MULTICAST = 0x00000002
NIC_STAT_TXED_BROADCAST = 0x00000004
NIC_STAT_RXED_BROADCAST = 0x00000008
NIC_STAT_TX_FAILED_ALLOCS = 0x00000010
NIC_STAT_RX_FAILED_ALLOCS = 0x00000020
NIC_ETHER_STAT_ALIGN_ERRORS = 0x00010000
NIC_ETHER_STAT_FCS_ERRORS = 0x00020000
NIC_ETHER_STAT_INTERNAL_TX_ERRORS = 0x00040000
NIC_ETHER_STAT_INTERNAL_RX_ERRORS = 0x00080000
NIC_ETHER_STAT_OVERSIZED_PACKETS = 0x00100000
NIC_ETHER_STAT_SHORT_PACKETS = 0x00200000
NIC_ETHER_STAT_SYMBOL_ERRORS = 0x00400000
NIC_ETHER_STAT_JABBER_DETECTED = 0x00800000
NIC_ETHER_STAT_COLLISIONS = 0x01000000
NIC_ETHER_STAT_NO_CARRIER = 0x02000000
# Not in QNX's <hw/nicinfo.h>: this stack's one addition, for receivers that
# count carrier bursts without a valid start-of-frame delimiter (no SFD, or a
# foreign byte in the preamble). QNX's struct has no field for them:
# align_errors is IEEE 802.3's aAlignmentErrors (not a whole number of
# octets), symbol_errors the PHY's code-group errors.
NIC_ETHER_STAT_FRAMING_ERRORS = 0x04000000


@dataclass
class NicConfig:
    """``nic_config_t``: what a driver keeps as ``sc->cfg`` and nicinfo prints."""

    flags: int = 0
    mtu: int = 1514
    mru: int = 1514
    lan: int = 0
    permanent_address: bytes = b"\x00" * 6
    current_address: bytes = b"\x00" * 6
    mac_length: int = 6
    connector: int = NIC_CONNECTOR_UNKNOWN
    phy_addr: int = -1
    media_rate: int = -1  # kbit/s, -1 unknown
    duplex: int = -1  # 1 full, 0 half, -1 unknown
    vendor_id: int = 0
    device_id: int = 0
    device_revision: int = 0
    num_irqs: int = 0
    irq: list[int] = field(default_factory=lambda: [0] * NIC_MAX_IRQS)
    num_mem_windows: int = 0
    mem_window_base: list[int] = field(default_factory=lambda: [0] * NIC_MAX_MEM_WINDOWS)
    mem_window_size: list[int] = field(default_factory=lambda: [0] * NIC_MAX_MEM_WINDOWS)
    device_description: str = ""
    tx_csum_active: int = 0
    rx_csum_active: int = 0
    verbose: int = 0


@dataclass
class NicEthernetStats:
    """The Ethernet part of ``nic_stats_t`` (``un.estats``)."""

    align_errors: int = 0
    single_collisions: int = 0
    multi_collisions: int = 0
    fcs_errors: int = 0
    tx_deferred: int = 0
    late_collisions: int = 0
    xcoll_aborted: int = 0
    internal_tx_errors: int = 0
    no_carrier: int = 0
    internal_rx_errors: int = 0
    oversized_packets: int = 0
    short_packets: int = 0
    symbol_errors: int = 0
    jabber_detected: int = 0
    total_collision_frames: int = 0
    framing_errors: int = 0  # NIC_ETHER_STAT_FRAMING_ERRORS (this stack's addition)
    valid_stats: int = 0


@dataclass
class NicStats:
    """``nic_stats_t``."""

    revision: int = 0
    valid_stats: int = 0
    txed_ok: int = 0
    txed_multicast: int = 0
    txed_broadcast: int = 0
    tx_failed_allocs: int = 0
    octets_txed_ok: int = 0
    rxed_ok: int = 0
    rxed_multicast: int = 0
    rxed_broadcast: int = 0
    rx_failed_allocs: int = 0
    octets_rxed_ok: int = 0
    un: NicEthernetStats = field(default_factory=NicEthernetStats)

    @property
    def estats(self) -> NicEthernetStats:
        return self.un


def _c_size(cls) -> int:
    """``sizeof`` of the C struct the dataclass stands for (ILP32, natural alignment)."""
    fmt = "<"
    for f in fields(cls):
        if f.name in ("permanent_address", "current_address"):
            fmt += f"{NIC_MAX_ADDR_LEN}s"
        elif f.name == "device_description":
            fmt += "64s"
        elif f.name in ("irq",):
            fmt += f"{NIC_MAX_IRQS}I"
        elif f.name in ("mem_window_base", "mem_window_size"):
            fmt += f"{NIC_MAX_MEM_WINDOWS}Q"
        elif f.name.startswith("octets_"):
            fmt += "Q"
        elif f.name == "un":
            fmt += f"{_c_size(NicEthernetStats)}s"
        else:
            fmt += "I"
    return struct.calcsize(fmt)


SIZEOF_NIC_CONFIG_T = _c_size(NicConfig)
SIZEOF_NIC_STATS_T = _c_size(NicStats)


def sizeof(cls) -> int:
    """``sizeof(nic_config_t)`` / ``sizeof(nic_stats_t)``: what ``ifdc_len`` must be."""
    return {NicConfig: SIZEOF_NIC_CONFIG_T, NicStats: SIZEOF_NIC_STATS_T}[cls]


@dataclass
class IfDrvCom:
    """``struct ifdrv_com`` with the caller's buffer after it (``ifdc_data``)."""

    ifdc_name: str
    ifdc_cmd: int
    ifdc_len: int
    ifdc_data: object = None


def drvcom_reply(ifdc: IfDrvCom, obj) -> int:
    """Copy ``obj`` out to the caller if the buffer is the size of its struct."""
    if ifdc.ifdc_len != sizeof(type(obj)):
        return EINVAL
    ifdc.ifdc_data = copy.deepcopy(obj)
    return EOK


def drvcom_config_stats(ifdc: IfDrvCom, config: NicConfig | None, stats: NicStats | None) -> int:
    """The usual ``SIOCGDRVCOM`` handler body: CONFIG, STATS, else ``EOPNOTSUPP``."""
    if ifdc.ifdc_cmd == DRVCOM_CONFIG and config is not None:
        return drvcom_reply(ifdc, config)
    if ifdc.ifdc_cmd == DRVCOM_STATS and stats is not None:
        return drvcom_reply(ifdc, stats)
    return EOPNOTSUPP
