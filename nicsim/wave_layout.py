"""A GTKWave layout (``.gtkw``) for a waveform of a NIC bench: what a driver
writer looks at, grouped and named, instead of GTKWave's empty window and a
tree of 2,000-odd signals.

Per NIC: its rings (base, length, HEAD, TAIL, enables, busy, stopped), its
interrupts (INT_CAUSE, INT_MASK, the pending-but-masked summary, the line),
its register bus (AXI4-Lite, the addresses shown as register names), its DMA
port (the five AXI4 channels), the GMII wire and MDIO; on ``nic_pair_tb`` the
cable and links as well. Register addresses and interrupt causes are shown by
their ``nicdef`` names through GTKWave translate-filter files written beside
the layout.

The signal names, and their widths (GTKWave finds a vector only by its name
with the bit range, ``int_cause_reg[5:0]``), are read from the waveform itself
(pywellen reads FST and VCD), so one layout fits both simulators' dumps
(Icarus's ``nic_pair_tb.…``, Verilator's the same plus ``$rootio``) and every
``DATA_WIDTH``; a signal a dump does not hold is left out and listed in a
comment of the file. The file itself is written by pyvcd's ``GTKWSave``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from nicdef import regs as R

__all__ = ["LAYOUTS", "write_gtkw", "layout_groups"]

# (label, signal path relative to the NIC instance, display format, filter name or None)
_RINGS = [
    ("TX_EN", "tx_en", "bin", None), ("TX_BASE", "tx_ring_base", "hex", None), ("TX_LEN", "tx_ring_len", "dec", None),
    ("TX_HEAD", "tx_ring_head", "dec", None), ("TX_TAIL", "tx_ring_tail", "dec", None),
    ("TX busy", "tx_busy", "bin", None), ("TX stopped", "tx_stopped", "bin", None),
    ("RX_EN", "rx_en", "bin", None), ("RX_BASE", "rx_ring_base", "hex", None), ("RX_LEN", "rx_ring_len", "dec", None),
    ("RX_HEAD", "rx_ring_head", "dec", None), ("RX_TAIL", "rx_ring_tail", "dec", None),
    ("RX_BUF_SIZE", "rx_buf_size", "dec", None),
    ("RX busy", "rx_busy", "bin", None), ("RX stopped", "rx_stopped", "bin", None),
]
_INTERRUPTS = [
    ("INT_CAUSE", "regs_inst.int_cause_reg", "hex", "causes"),
    ("INT_MASK", "regs_inst.int_mask_reg", "hex", "causes"),
    ("pending & masked", "regs_inst.irq_pending", "bin", None),
    ("throttle count", "regs_inst.throttle_cnt_reg", "dec", None),
    ("irq", "irq", "bin", None),
]
_AXIL = [
    ("AWADDR", "s_axil_awaddr", "hex", "registers"), ("AWVALID", "s_axil_awvalid", "bin", None),
    ("AWREADY", "s_axil_awready", "bin", None), ("WDATA", "s_axil_wdata", "hex", None),
    ("WVALID", "s_axil_wvalid", "bin", None), ("WREADY", "s_axil_wready", "bin", None),
    ("BRESP", "s_axil_bresp", "hex", "resp"), ("BVALID", "s_axil_bvalid", "bin", None),
    ("ARADDR", "s_axil_araddr", "hex", "registers"), ("ARVALID", "s_axil_arvalid", "bin", None),
    ("ARREADY", "s_axil_arready", "bin", None), ("RDATA", "s_axil_rdata", "hex", None),
    ("RRESP", "s_axil_rresp", "hex", "resp"), ("RVALID", "s_axil_rvalid", "bin", None),
]
_AXI = [
    ("AWADDR", "m_axi_awaddr", "hex", None), ("AWLEN", "m_axi_awlen", "dec", None),
    ("AWVALID", "m_axi_awvalid", "bin", None), ("AWREADY", "m_axi_awready", "bin", None),
    ("WDATA", "m_axi_wdata", "hex", None), ("WSTRB", "m_axi_wstrb", "hex", None), ("WLAST", "m_axi_wlast", "bin", None),
    ("WVALID", "m_axi_wvalid", "bin", None), ("WREADY", "m_axi_wready", "bin", None),
    ("BRESP", "m_axi_bresp", "hex", "resp"), ("BVALID", "m_axi_bvalid", "bin", None),
    ("ARADDR", "m_axi_araddr", "hex", None), ("ARLEN", "m_axi_arlen", "dec", None),
    ("ARVALID", "m_axi_arvalid", "bin", None), ("ARREADY", "m_axi_arready", "bin", None),
    ("RDATA", "m_axi_rdata", "hex", None), ("RRESP", "m_axi_rresp", "hex", "resp"),
    ("RLAST", "m_axi_rlast", "bin", None), ("RVALID", "m_axi_rvalid", "bin", None),
]
_GMII = [
    ("TX_EN", "gmii_tx_en", "bin", None), ("TXD", "gmii_txd", "hex", None), ("TX_ER", "gmii_tx_er", "bin", None),
    ("RX_DV", "gmii_rx_dv", "bin", None), ("RXD", "gmii_rxd", "hex", None), ("RX_ER", "gmii_rx_er", "bin", None),
    ("speed", "mac_speed", "dec", None),
]
_MDIO = [
    ("MDC", "mdc", "bin", None), ("MDIO out", "mdio_o", "bin", None), ("MDIO drive", "mdio_oe", "bin", None),
    ("MDIO in", "mdio_i", "bin", None), ("PHY link", "phy_link_up", "bin", None),
]


def _nic_groups(title: str, inst: str) -> list[tuple[str, list[tuple[str, str, str, str | None]]]]:
    def under(rows):
        return [(label, f"{inst}.{path}", fmt, flt) for label, path, fmt, flt in rows]
    return [(f"{title}: rings", under(_RINGS)), (f"{title}: interrupts", under(_INTERRUPTS)),
            (f"{title}: registers (AXI4-Lite)", under(_AXIL)), (f"{title}: DMA (AXI4)", under(_AXI)),
            (f"{title}: GMII", under(_GMII)), (f"{title}: MDIO", under(_MDIO))]


# toplevel -> groups of (label, full signal path, format, filter)
LAYOUTS = {
    "nic_pair_tb": [
        ("bench", [("clk", "nic_pair_tb.clk", "bin", None), ("rst", "nic_pair_tb.rst", "bin", None),
                   ("cable ok", "nic_pair_tb.cable_ok", "bin", None), ("link A", "nic_pair_tb.link_a", "bin", None),
                   ("link B", "nic_pair_tb.link_b", "bin", None), ("irq A", "nic_pair_tb.irq_a", "bin", None),
                   ("irq B", "nic_pair_tb.irq_b", "bin", None)]),
        *_nic_groups("NIC A", "nic_pair_tb.nic_a_inst"),
        *_nic_groups("NIC B", "nic_pair_tb.nic_b_inst"),
    ],
    "nic": [
        ("bench", [("clk", "nic.clk", "bin", None), ("rst", "nic.rst", "bin", None)]),
        *_nic_groups("NIC", "nic"),
    ],
}


def layout_groups(toplevel: str) -> list[tuple[str, list[tuple[str, str, str, str | None]]]]:
    """The groups of ``toplevel``'s layout: (title, [(label, signal path, format, filter)]).
    Raises ``KeyError`` for a toplevel with no layout."""
    return LAYOUTS[toplevel]


def _filters() -> dict[str, list[tuple[int, str]]]:
    """Translate filters from nicdef: register offsets, interrupt-cause sets, AXI responses."""
    regs = sorted((r.offset, r.name) for r in R.REGISTERS)
    causes = []
    for value in range(1 << len(R.INT_CAUSE_FIELDS)):
        names = [f.name for f in R.INT_CAUSE_FIELDS if value & f.mask]
        causes.append((value, "|".join(names) if names else "none"))
    resp = [(0, "OKAY"), (1, "EXOKAY"), (2, "SLVERR"), (3, "DECERR")]
    return {"registers": regs, "causes": causes, "resp": resp}


_UNIT_FS = {"fs": 1, "ps": 10**3, "ns": 10**6, "us": 10**9, "ms": 10**12, "s": 10**15}
_WAVE_PIXELS = 800  # a little under the wave pane's width at the saved window size (1400 x 900)
# GTKWave 3.3.118 shows 2**-zoom / 145 dump units per pixel (measured from its time axis at
# zooms -20 and -27 on a 1 ps dump; its documentation gives no formula)
_ZOOM_SCALE = 145


def _zoom(end_ns: float, timescale) -> float:
    """GTKWave's zoom for ``end_ns`` of simulated time to fill the wave pane."""
    unit_fs = int(timescale.factor) * _UNIT_FS[str(timescale.unit)]
    units_per_pixel = end_ns * 1e6 / unit_fs / _WAVE_PIXELS
    return -math.log2(max(units_per_pixel * _ZOOM_SCALE, 1.0))


def _read_dump(wave_file: Path):
    import pywellen  # imported here: only a run with waves needs it

    return pywellen.Waveform(str(wave_file))


def write_gtkw(wave_file: Path, toplevel: str, out: Path | None = None, end_ns: float | None = None) -> Path:
    """Write ``out`` (default: ``wave_file`` with suffix ``.gtkw``), a GTKWave
    layout of ``wave_file`` (an FST or VCD of ``toplevel``), and its
    translate-filter files beside it (``<out stem>.<filter>.txt``).

    ``end_ns``: the simulated time the run ended, to open zoomed to the
    whole run (default: GTKWave's own zoom). Returns ``out``. Raises ``KeyError`` for a
    toplevel with no layout and ``OSError`` if the dump cannot be read."""
    from vcd.gtkw import GTKWSave  # pyvcd

    wave_file = Path(wave_file).resolve()
    out = Path(out) if out is not None else wave_file.with_suffix(".gtkw")
    dump = _read_dump(wave_file)
    widths = {v.full_name: v.bitwidth for v in dump.all_vars()}
    filter_files = {}
    for name, pairs in _filters().items():
        path = out.with_name(f"{out.stem}.{name}.txt")
        # GTKWave matches a filter line's value against the trace's hex text, digits as displayed
        path.write_text("".join(f"{value:x} {text}\n" for value, text in pairs))
        filter_files[name] = path.resolve()
    missing: list[str] = []
    with open(out, "w") as f:
        save = GTKWSave(f)
        save.comment(f"GTKWave layout of a {toplevel} waveform, written by nicsim.wave_layout",
                     f"open: gtkwave {out}")
        save.dumpfile(str(wave_file))
        save.savefile(str(out.resolve()))
        save.size(1400, 900)
        if end_ns:
            save.zoom_markers(_zoom(end_ns, dump.timescale))
        save.signals_width(260)
        save.sst_expanded(False)
        save.pattern_trace(True)
        for title, rows in layout_groups(toplevel):
            present = [(r, widths[r[1]]) for r in rows if r[1] in widths]
            missing += [r[1] for r in rows if r[1] not in widths]
            if not present:
                continue
            with save.group(title, closed=title.endswith(("(AXI4-Lite)", "(AXI4)", "MDIO"))):
                for (label, path, fmt, flt), width in present:
                    name = path if width == 1 else f"{path}[{width - 1}:0]"
                    save.trace(name, alias=label, datafmt=fmt,
                               translate_filter_file=str(filter_files[flt]) if flt else None)
        if missing:
            save.comment("not in this dump: " + ", ".join(missing))
    return out


def missing_signals(toplevel: str, names: Iterable[str]) -> list[str]:
    """The layout's signal paths that ``names`` (a dump's signal names) lacks."""
    have = set(names)
    return [path for _, rows in layout_groups(toplevel) for _, path, _, _ in rows if path not in have]
