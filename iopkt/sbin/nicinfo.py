"""``nicinfo [interface]``: the driver's ``nic_config_t`` and ``nic_stats_t``,
fetched with ``SIOCGDRVCOM`` (``DRVCOM_CONFIG``, ``DRVCOM_STATS``) and
printed as QNX's nicinfo does."""

from __future__ import annotations

from ..kern.errno import EOK, strerror
from ..net.if_ import SIOCGDRVCOM, ifioctl, ifunit
from ..net.nicinfo import (
    DRVCOM_CONFIG,
    DRVCOM_STATS,
    NIC_CONNECTOR_MII,
    NIC_ETHER_STAT_FRAMING_ERRORS,
    NIC_FLAG_LINK_DOWN,
    NIC_FLAG_MULTICAST,
    NIC_FLAG_PROMISCUOUS,
    IfDrvCom,
    NicConfig,
    NicStats,
    sizeof,
)
from .output import line_writer

USAGE = "usage: nicinfo [interface]"
WIDTH = 44  # where the dots end and the value starts


def _row(label: str, value) -> str:
    return f"  {label} {'.' * max(1, WIDTH - len(label))} {value}"


def _node_id(mac: bytes) -> str:
    return f"{mac[:3].hex().upper()} {mac[3:6].hex().upper()}"


def _rate(cfg: NicConfig) -> str:
    if cfg.media_rate < 0:
        return "Unknown"
    duplex = {1: " full-duplex", 0: " half-duplex"}.get(cfg.duplex, "")
    return f"{cfg.media_rate / 1000:.2f} Mb/s{duplex}"


def format_nicinfo(name: str, cfg: NicConfig, st: NicStats) -> list[str]:
    lines = [f"{name}:", f"  {cfg.device_description}", ""]
    lines.append(f"  Link is {'DOWN' if cfg.flags & NIC_FLAG_LINK_DOWN else 'UP'}")
    lines.append(_row("Physical Node ID", _node_id(cfg.permanent_address)))
    lines.append(_row("Current Physical Node ID", _node_id(cfg.current_address)))
    lines.append(_row("Current Operation Rate", _rate(cfg)))
    if cfg.connector == NIC_CONNECTOR_MII:
        lines.append(_row("Active Interface Type", "MII"))
        lines.append(_row("  Active PHY address", cfg.phy_addr))
    lines.append(_row("Maximum Transmittable data Unit", cfg.mtu))
    lines.append(_row("Maximum Receivable data Unit", cfg.mru))
    if cfg.vendor_id or cfg.device_id:
        lines.append(_row("Vendor ID", f"0x{cfg.vendor_id:04x}"))
        lines.append(_row("Device ID", f"0x{cfg.device_id:04x}"))
        lines.append(_row("Revision ID", f"0x{cfg.device_revision:x}"))
    for i in range(cfg.num_irqs):
        lines.append(_row("Hardware Interrupt", f"0x{cfg.irq[i]:x}"))
    for i in range(cfg.num_mem_windows):
        base, size = cfg.mem_window_base[i], cfg.mem_window_size[i]
        lines.append(_row("Memory Aperture", f"0x{base:x} - 0x{base + size - 1:x}"))
    lines.append(_row("Promiscuous Mode", "On" if cfg.flags & NIC_FLAG_PROMISCUOUS else "Off"))
    lines.append(_row("Multicast Support", "Enabled" if cfg.flags & NIC_FLAG_MULTICAST else "Disabled"))
    lines.append("")
    lines.append(_row("Packets Transmitted OK", st.txed_ok))
    lines.append(_row("Bytes Transmitted OK", st.octets_txed_ok))
    lines.append(_row("Broadcast Packets Transmitted OK", st.txed_broadcast))
    lines.append(_row("Multicast Packets Transmitted OK", st.txed_multicast))
    lines.append(_row("Memory Allocation Failures on Transmit", st.tx_failed_allocs))
    lines.append("")
    lines.append(_row("Packets Received OK", st.rxed_ok))
    lines.append(_row("Bytes Received OK", st.octets_rxed_ok))
    lines.append(_row("Broadcast Packets Received OK", st.rxed_broadcast))
    lines.append(_row("Multicast Packets Received OK", st.rxed_multicast))
    lines.append(_row("Memory Allocation Failures on Receive", st.rx_failed_allocs))
    lines.append("")
    e = st.un
    lines.append(_row("Single Collisions on Transmit", e.single_collisions))
    lines.append(_row("Multiple Collisions on Transmit", e.multi_collisions))
    lines.append(_row("Deferred Transmits", e.tx_deferred))
    lines.append(_row("Late Collision on Transmit errors", e.late_collisions))
    lines.append(_row("Transmits aborted (excessive collisions)", e.xcoll_aborted))
    lines.append(_row("Transmit Underruns", e.internal_tx_errors))
    lines.append(_row("No Carrier on Transmit", e.no_carrier))
    lines.append(_row("Receive Alignment errors", e.align_errors))
    lines.append(_row("Received packets with CRC errors", e.fcs_errors))
    lines.append(_row("Packets Dropped on receive", e.internal_rx_errors))
    lines.append(_row("Oversized Packets received", e.oversized_packets))
    lines.append(_row("Short packets", e.short_packets))
    lines.append(_row("Symbol errors", e.symbol_errors))
    if e.valid_stats & NIC_ETHER_STAT_FRAMING_ERRORS:
        lines.append(_row("Receive Framing errors (no valid SFD)", e.framing_errors))
    lines.append(_row("Jabber detected", e.jabber_detected))
    return lines


async def _fetch(ifp) -> tuple[int, NicConfig | None, NicStats | None]:
    cfg = IfDrvCom(ifp.if_xname, DRVCOM_CONFIG, sizeof(NicConfig))
    err = await ifioctl(ifp, SIOCGDRVCOM, cfg)
    if err != EOK:
        return err, None, None
    st = IfDrvCom(ifp.if_xname, DRVCOM_STATS, sizeof(NicStats))
    err = await ifioctl(ifp, SIOCGDRVCOM, st)
    if err != EOK:
        return err, None, None
    return EOK, cfg.ifdc_data, st.ifdc_data


async def main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    args = argv[1:]
    if len(args) > 1 or (args and args[0].startswith("-")):
        emit(USAGE)
        return 1
    if args:
        ifp = ifunit(iopkt, args[0])
        if ifp is None:
            emit(f"nicinfo: Unable to open interface {args[0]}: No such device")
            return 1
        targets = [ifp]
    else:
        targets = list(iopkt.ifnet)
    status = 0
    for ifp in targets:
        err, cfg, st = await iopkt.stack_call(_fetch, ifp, proc_name="nicinfo")
        if err != EOK:
            if args:  # asked by name: say why; listing all, skip the silent ones
                emit(f"nicinfo: {ifp.if_xname}: SIOCGDRVCOM: {strerror(err)}")
                status = 1
            continue
        for line in format_nicinfo(ifp.if_xname, cfg, st):
            emit(line)
    return status
