"""Functional coverage of the driver–hardware interaction (cocotb-coverage).

What devnp-nic and the NIC did together during a test, counted in named bins
(the coverage model, :data:`MODEL`):

- ``nic.irq.alone``, ``nic.irq.together``: each interrupt cause as the
  driver's process function (or a shared ISR) read it from ``INT_CAUSE``,
  alone, and together with at least one other cause;
- ``nic.ring.event``: descriptor wrap on both rings (a ``TX_TAIL``/``RX_TAIL``
  write below the one before), the TX ring full (``IFF_OACTIVE`` set), its
  ``IFF_OACTIVE`` cleared, the TX ring drained to empty after being full, the
  RX ring exhausted (``RX_MISS`` read) and refilled after it;
- ``nic.rx.size_x_mode``, ``nic.rx.addr_x_mode``: each frame the cable carried
  into a NIC, by size class (FCS included) and by destination class against that
  NIC's filter, crossed with the filter mode in force when it arrived
  (``RX_CTRL`` and ``MC_HASH_*`` as the driver last wrote them; datasheet,
  Receive address filter);
- ``nic.media.mode``: each resolved media mode with the link up (1000, 100,
  10 Mb/s full duplex) and auto-negotiation selected;
- ``nic.fault.kind_x_state``: each fault kind in each driver state (idle,
  mid-burst, stopping), from :func:`sample_fault`, which the fault helpers of
  :mod:`nicsim.two_hosts` call and a fault scheduler can call too.

Nothing wakes per clock: the sampling hangs off the register taps that the
DMA checker and the event log already share (``TappedRegisters``), reads the
driver's softc at those accesses, and reads the wire captures
(``wire-*.pcap``) once, when the test ends. It is off unless
``NICSIM_COVERAGE=1`` (:func:`enabled`), so a normal run imports nothing of
it; :func:`attach` is what :func:`nicsim.two_hosts.build_hosts` calls. At the
end of each test the database goes to its artifact folder as
``coverage.yml`` (cocotb-coverage's ``export_to_yaml``), where
:mod:`nicsim.coverage_report` merges it with every other test's.
"""

from __future__ import annotations

import bisect
import os
import sys
import zlib
from pathlib import Path

try:
    from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db
except ImportError:  # cocotb-coverage 2.0 needs Python 3.11; on 3.10 the model is defined but never sampled
    coverage_db = None

    def CoverPoint(*args, **kwargs):  # noqa: N802 (stands in for cocotb-coverage's class)
        return lambda f: f

    CoverCross = CoverPoint

from nicdef import regs as R
from nicsim import artifacts
from nicsim.faults import DMA_KINDS

ENV = "NICSIM_COVERAGE"
DB_FILE = "coverage.yml"

CAUSES = [f.name for f in R.INT_CAUSE_FIELDS]
RING_EVENTS = ["tx_wrap", "rx_wrap", "tx_full", "tx_oactive_cleared", "tx_empty_after_full", "rx_exhausted",
               "rx_refilled_after_exhausted"]
# frame length on the wire, FCS included: a runt, the minimum, ordinary, the untagged maximum,
# a tagged one up to the default MAX_FRAME_LEN, longer (jumbo or too long)
SIZE_CLASSES = ["runt", "64", "65-1517", "1518", "1519-1522", "over-1522"]
ADDR_CLASSES = ["station", "other_unicast", "broadcast", "multicast_in_hash", "multicast_out_of_hash"]
# the filter as RX_CTRL and MC_HASH set it (BAM with an empty hash is devnp-nic's default)
FILTER_MODES = ["broadcast", "multicast_hash", "allmulti", "promisc"]
MEDIA_MODES = ["1000FD", "100FD", "10FD", "autoneg"]
# the fault helpers' kinds first (their names are kept), then the soak's other faults: the PHY renegotiating
# to another speed, ifconfig down/up, an MTU change, a media change, a filter change (a multicast join or
# leave, promiscuous, all-multicast) and a second interface mounted and destroyed beside the NIC
FAULT_KINDS = [*DMA_KINDS, "cable_pull", "rx_stall", "cluster_exhaustion", "renegotiate", "down_up", "mtu_change",
               "media_change", "filter_change", "second_interface"]
DRIVER_STATES = ["idle", "mid_burst", "stopping"]

# bins no scenario can reach, left out of the model: "broadcast" is the filter with an empty hash, so no
# multicast destination is in it then
IGNORED_ADDR_X_MODE = [("multicast_in_hash", "broadcast")]

# the coverage goals: name -> its bins (a cross's bins are tuples of its points' bins). The goals are all
# under "nic."; the single axes a cross is made of are cocotb-coverage points too, kept under "axis." so that
# the "nic" totals of an exported database count the goals' bins only, as the report's table does
AXES = "axis"
MODEL: dict[str, list] = {
    "nic.irq.alone": CAUSES,
    "nic.irq.together": CAUSES,
    "nic.ring.event": RING_EVENTS,
    "nic.rx.size_x_mode": [(s, m) for s in SIZE_CLASSES for m in FILTER_MODES],
    "nic.rx.addr_x_mode": [(a, m) for a in ADDR_CLASSES for m in FILTER_MODES if (a, m) not in IGNORED_ADDR_X_MODE],
    "nic.media.mode": MEDIA_MODES,
    "nic.fault.kind_x_state": [(k, s) for k in FAULT_KINDS for s in DRIVER_STATES],
}

# a ring tail moved this recently (simulated ns) counts as mid-burst
BURST_WINDOW_NS = 20_000
_forced = False


def enabled() -> bool:
    """Whether coverage is collected: ``NICSIM_COVERAGE`` set to ``1`` (or
    ``on``/``yes``/``true``), or :func:`enable` called in this simulation."""
    wanted = _forced or os.environ.get(ENV, "0").strip().lower() in ("1", "on", "yes", "true")
    if wanted and coverage_db is None:
        raise RuntimeError(f"{ENV}=1: functional coverage needs cocotb-coverage 2.0, which needs Python 3.11 "
                           f"or newer (this is {sys.version.split()[0]})")
    return wanted


def enable() -> None:
    """Collect coverage in this simulation whatever ``NICSIM_COVERAGE`` says (a test of the coverage itself)."""
    global _forced
    _forced = True


# ---------------------------------------------------------------- the points
def _in(value, bin_) -> bool:
    return bin_ in value


@CoverPoint("nic.irq.alone", xf=lambda causes: causes if len(causes) == 1 else (), rel=_in, bins=CAUSES, inj=False)
@CoverPoint("nic.irq.together", xf=lambda causes: causes if len(causes) > 1 else (), rel=_in, bins=CAUSES,
            inj=False)
def _sample_causes(causes: tuple) -> None:
    pass


def sample_int_cause(value: int) -> None:
    """One read of ``INT_CAUSE`` by the driver (``value``, the register's bits); 0 samples nothing."""
    causes = tuple(f.name for f in R.INT_CAUSE_FIELDS if value & f.mask)
    if causes:
        _sample_causes(causes)


@CoverPoint("nic.ring.event", bins=RING_EVENTS)
def sample_ring(event: str) -> None:
    """A ring event by name (one of :data:`RING_EVENTS`)."""


@CoverPoint("axis.rx.size", vname="size", bins=SIZE_CLASSES)
@CoverPoint("axis.rx.addr", vname="addr", bins=ADDR_CLASSES)
@CoverPoint("axis.rx.mode", vname="mode", bins=FILTER_MODES)
@CoverCross("nic.rx.size_x_mode", items=["axis.rx.size", "axis.rx.mode"])
@CoverCross("nic.rx.addr_x_mode", items=["axis.rx.addr", "axis.rx.mode"], ign_bins=IGNORED_ADDR_X_MODE)
def sample_rx_frame(size: str, addr: str, mode: str) -> None:
    """A frame offered to a NIC's receiver: its size class, address class and the filter mode then."""


@CoverPoint("nic.media.mode", bins=MEDIA_MODES)
def sample_media(mode: str) -> None:
    """A media mode with the link up (one of :data:`MEDIA_MODES`)."""


@CoverPoint("axis.fault.kind", vname="kind", bins=FAULT_KINDS)
@CoverPoint("axis.fault.state", vname="state", bins=DRIVER_STATES)
@CoverCross("nic.fault.kind_x_state", items=["axis.fault.kind", "axis.fault.state"])
def _sample_fault(kind: str, state: str) -> None:
    pass


def sample_fault(kind: str, state: str) -> None:
    """A fault of ``kind`` (one of :data:`FAULT_KINDS`) applied while the
    driver was in ``state`` (one of :data:`DRIVER_STATES`; :func:`driver_state`
    tells it from a softc). Does nothing unless coverage is on; raises
    ValueError for a name the model does not have (a typo would be a silent hole)."""
    if kind not in FAULT_KINDS or state not in DRIVER_STATES:
        raise ValueError(f"fault {kind!r} in state {state!r}: the model has kinds {FAULT_KINDS}, "
                         f"states {DRIVER_STATES}")
    if enabled():
        _sample_fault(kind, state)


# ---------------------------------------------------------------- classification
def size_class(length: int) -> str:
    """The size class of a frame of ``length`` bytes, FCS included."""
    if length < 64:
        return "runt"
    if length == 64:
        return "64"
    if length < 1518:
        return "65-1517"
    if length == 1518:
        return "1518"
    return "1519-1522" if length <= 1522 else "over-1522"


def mc_hash_bit(dest: bytes) -> int:
    """The multicast hash bin of a destination (datasheet: the top 6 bits of
    the little-endian CRC-32 without its final inversion, ``~zlib.crc32``)."""
    return ((zlib.crc32(dest) ^ 0xFFFFFFFF) & 0xFFFFFFFF) >> 26


def address_class(dest: bytes, station: bytes, mc_hash: int) -> str:
    """The class of destination ``dest`` (6 bytes) at a NIC with address ``station`` and hash table ``mc_hash``."""
    if dest == b"\xff" * 6:
        return "broadcast"
    if dest[0] & 1:
        return "multicast_in_hash" if mc_hash >> mc_hash_bit(dest) & 1 else "multicast_out_of_hash"
    return "station" if dest == station else "other_unicast"


def filter_mode(rx_ctrl: int, mc_hash: int) -> str:
    """The filter mode ``RX_CTRL`` and the hash table make (the strongest one that applies)."""
    if rx_ctrl & R.RX_CTRL_PROMISC:
        return "promisc"
    if rx_ctrl & R.RX_CTRL_ALLMULTI:
        return "allmulti"
    return "multicast_hash" if mc_hash else "broadcast"


# ---------------------------------------------------------------- the observers
class _NicState:
    """What the sampler knows of one NIC: its filter history, ring tails and the driver's flags."""

    def __init__(self, dev, iopkt, mac: bytes):
        self.dev, self.iopkt = dev, iopkt
        self.mac = bytes(mac)
        self.mac_lo = self.mac_hi = None
        self.mc_hash = 0
        self.rx_ctrl = 0x1  # its reset value (BAM)
        self.filters: list[tuple[int, str, bytes, int]] = []  # (time_ns, mode, station, hash) from each change
        self.tails = {R.REG_TX_TAIL: None, R.REG_RX_TAIL: None}
        self.last_tail_ns = -BURST_WINDOW_NS
        self.oactive = False
        self.was_full = False
        self.rx_missed = False
        self.link: tuple | None = None

    def softc(self):
        for sc in getattr(self.iopkt, "alldevs", ()):
            if getattr(sc, "pdev", None) is self.dev:
                return sc
        return None


_nics: dict[int, _NicState] = {}  # id(PlatformDevice) -> its state
_wires: list[tuple[str, _NicState]] = []  # (pcap name, the NIC it feeds)
_wire_done: dict[str, int] = {}  # pcap name -> records already sampled (sample_wires may be called again)
_export_pending = False


def driver_state(sc, now_ns: int | None = None) -> str:
    """``stopping`` when the interface is not running (down, or on its way
    down: devnp-nic clears ``running`` first thing in stop; io-pkt keeps
    ``IFF_RUNNING`` in ``if_flags_tx``), ``mid_burst``
    when TX descriptors are outstanding or the driver moved a ring tail in the
    last ``BURST_WINDOW_NS`` of simulated time, else ``idle``."""
    from iopkt.net.if_ import IFF_RUNNING

    if sc is None or not getattr(sc, "running", False) or not sc.ifp.if_flags_tx & IFF_RUNNING:
        return "stopping"
    nic = _nics.get(id(sc.pdev))
    if now_ns is None and sc.iopkt is not None:
        now_ns = sc.iopkt.platform.now_ns()
    if sc.tx_pkts:  # frames handed to the NIC and not yet harvested
        return "mid_burst"
    if nic is not None and now_ns is not None and now_ns - nic.last_tail_ns < BURST_WINDOW_NS:
        return "mid_burst"
    return "idle"


def _register_listener(nic: _NicState, now_ns):
    from devnp_nic.softc import NUM_TX_DESC
    from iopkt.net.if_ import IFF_OACTIVE
    from iopkt.net.if_media import IFM_AUTO, IFM_SUBTYPE

    media_names = {1000: "1000FD", 100: "100FD", 10: "10FD"}

    def after(write: bool, offset: int, value: int) -> None:
        if not write:
            if offset == R.REG_INT_CAUSE:
                sample_int_cause(value)
                if value & R.INT_RX_MISS:
                    sample_ring("rx_exhausted")
                    nic.rx_missed = True
        elif offset in nic.tails:
            before = nic.tails[offset]
            tx = offset == R.REG_TX_TAIL
            if before is not None and value < before:
                sample_ring("tx_wrap" if tx else "rx_wrap")
            if not tx and nic.rx_missed:
                sample_ring("rx_refilled_after_exhausted")
                nic.rx_missed = False
            nic.tails[offset] = value
            nic.last_tail_ns = now_ns()
        elif offset in (R.REG_RX_CTRL, R.REG_MC_HASH_LO, R.REG_MC_HASH_HI, R.REG_MAC_LO, R.REG_MAC_HI):
            if offset == R.REG_RX_CTRL:
                nic.rx_ctrl = value
            elif offset == R.REG_MC_HASH_LO:
                nic.mc_hash = (nic.mc_hash & ~0xFFFFFFFF) | value
            elif offset == R.REG_MC_HASH_HI:
                nic.mc_hash = (nic.mc_hash & 0xFFFFFFFF) | value << 32
            elif offset == R.REG_MAC_LO:
                nic.mac = value.to_bytes(4, "little") + nic.mac[4:6]
            else:
                nic.mac = nic.mac[:4] + (value & 0xFFFF).to_bytes(2, "little")
            nic.filters.append((now_ns(), filter_mode(nic.rx_ctrl, nic.mc_hash), nic.mac, nic.mc_hash))
        sc = nic.softc()
        if sc is None:
            return
        oactive = bool(sc.ifp.if_flags_tx & IFF_OACTIVE)
        if oactive != nic.oactive:
            sample_ring("tx_full" if oactive else "tx_oactive_cleared")
            nic.oactive = oactive
            nic.was_full = nic.was_full or oactive
        if nic.was_full and sc.tx_free == NUM_TX_DESC - 1:
            sample_ring("tx_empty_after_full")
            nic.was_full = False
        link = (sc.link_up, sc.media, sc.sc_media.ifm_media)
        if link != nic.link:
            nic.link = link
            if sc.link_up and sc.media is not None:
                sample_media(media_names.get(sc.media[1], "1000FD"))
                if IFM_SUBTYPE(sc.sc_media.ifm_media) == IFM_AUTO:
                    sample_media("autoneg")
    return after


def attach(host: str, platform, iopkt) -> None:
    """Sample ``host``'s NICs (a ``CocotbPlatform`` on ``nic_pair_tb``, side
    ``a`` or ``b``) and its io-pkt's driver; write ``coverage.yml`` into the
    test's artifact folder when the test ends (the first attach registers
    it). Does nothing unless :func:`enabled`."""
    global _export_pending
    if not enabled():
        return
    for i, dev in enumerate(platform.devices):
        nic = _NicState(dev, iopkt, dev.props.get("mac", b"\0" * 6))
        _nics[id(dev)] = nic
        dev.regs.after.append(_register_listener(nic, platform.now_ns))
        side = platform.sides[i] if i < len(platform.sides) else None
        if side in ("a", "b"):  # the cable of nic_pair_tb: wire-a-to-b feeds NIC b
            _wires.append((f"wire-{'b-to-a' if side == 'a' else 'a-to-b'}.pcap", nic))
    if not _export_pending:
        _export_pending = True
        artifacts.on_test_end(_test_end)


def _test_end(error) -> None:
    global _export_pending
    _export_pending = False
    export(artifacts.folder())
    # the next test of the same simulation builds its own hosts and starts its own captures
    _wires.clear()
    _wire_done.clear()
    _nics.clear()


def sample_wires(folder: Path) -> int:
    """Sample each frame the cable carried into an attached NIC (``folder``'s
    ``wire-*.pcap``), with the filter mode in force at its time; frames that
    arrived before the driver first set the filter are left out. Returns the
    frames sampled now (a frame is sampled once, however often this is called)."""
    from scapy.utils import RawPcapReader

    n = 0
    for name, nic in _wires:
        path = folder / name
        if not path.is_file() or not nic.filters:
            continue
        times = [f[0] for f in nic.filters]
        try:
            with RawPcapReader(str(path)) as frames:  # closed even when a half-written record ends the read
                for k, (raw, meta) in enumerate(frames):
                    if k < _wire_done.get(name, 0):
                        continue
                    _wire_done[name] = k + 1
                    t = meta.sec * 1_000_000_000 + meta.usec  # the capture stamps nanoseconds
                    i = bisect.bisect_right(times, t) - 1
                    if i < 0 or len(raw) < 14:
                        continue
                    _, mode, station, mc_hash = nic.filters[i]
                    sample_rx_frame(size_class(len(raw)), address_class(raw[:6], station, mc_hash), mode)
                    n += 1
        except (OSError, EOFError, ValueError):
            continue
    return n


def export(folder: Path | None) -> Path | None:
    """Sample the wires, then write the database to ``folder/coverage.yml``; None without a folder."""
    if folder is None:
        return None
    sample_wires(folder)
    path = Path(folder) / DB_FILE
    coverage_db.export_to_yaml(str(path))
    return path


def hits(name: str) -> dict:
    """``{bin: hits}`` of a coverage item of :data:`MODEL` so far in this simulation."""
    return dict(coverage_db[name].detailed_coverage)
