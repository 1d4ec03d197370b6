"""Two simulated hosts, each an io-pkt with the devnp-nic driver on its own
RTL NIC, the two NICs cabled together (``nic_pair_tb``).

Shared by the end-to-end tests and ``make demo``. ``run_script`` types
commands as a person at each host's shell would and keeps the transcript.
Every test ends with ``Hosts.teardown()``: each interface is destroyed and
each io-pkt must hold exactly what it held before the driver was mounted.
Each host has a DMA permission checker (``nicsim.dma_checker``) unless it is
turned off (``build_hosts(dut, dma_checker=False)`` or ``NICSIM_DMA_CHECKER=0``):
a NIC touching memory it was not handed, or the driver taking back what the
NIC owns, fails the test where it is seen; ``teardown`` checks the rest.
Both hosts share one register and interrupt log (``nicsim.event_log``)
unless it is off (``build_hosts(dut, event_log=False)``, the bench, or
``NICSIM_EVENT_LOG=0``); ``Hosts.write_artifacts`` writes it, io-pkt's log
and its diagnosis to a folder.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import devnp_nic  # noqa: F401  (registers devnp-nic.so with io-pkt's driver table)
from devnp_nic.softc import NUM_RX_DESC, NUM_TX_DESC
from devnp_nic.transmit import nic_harvest
from iopkt.kern.iopkt import IoPkt, LiveResources
from iopkt.netinet import inet_attach
from iopkt.sbin.shell import run_command
from nicdef import regs as R
from nicsim import artifacts
from nicsim import coverage as _coverage
from nicsim import event_log as _event_log
from nicsim.dma_checker import DmaChecker, attach_dma_checker
from nicsim.event_log import EventLog
from nicsim.host_platform import CocotbPlatform
from nicsim.nic_harness import start_clock_and_reset

MAC_A = bytes.fromhex("020000000a01")
MAC_B = bytes.fromhex("020000000b01")


def _good_frames_to(pcap: Path, station: bytes | None) -> int | None:
    """Records of ``pcap`` (a wire's capture, each frame with its FCS) whose FCS is good and whose
    destination is ``station`` or broadcast (any destination when ``station`` is None); None if unreadable."""
    from scapy.utils import RawPcapReader

    n = 0
    try:
        with RawPcapReader(str(pcap)) as reader:
            for raw, _ in reader:
                if len(raw) < 18 or raw[-4:] != zlib.crc32(raw[:-4]).to_bytes(4, "little"):
                    continue
                if station is None or raw[:6] in (station, b"\xff" * 6):
                    n += 1
    except (OSError, EOFError, ValueError):
        return None
    return n


@dataclass
class Hosts:
    by_name: dict[str, IoPkt]
    platforms: dict[str, CocotbPlatform]
    transcript: list[str] = field(default_factory=list)
    before: dict[str, LiveResources] = field(default_factory=dict)
    checkers: dict[str, DmaChecker] = field(default_factory=dict)
    event_log: EventLog | None = None

    def say(self, line: str) -> None:
        self.transcript.append(line)

    async def sh(self, host: str, command: str):
        """Run one command line on ``host``; its output joins the transcript."""
        return await run_command(self.by_name, command, out=self.say, host=host)

    async def must(self, host: str, command: str):
        """``sh`` that fails the test, with the command's output, unless it succeeds."""
        res = await self.sh(host, command)
        assert res.status == 0, f"{host}# {command}\n{res.text}"
        return res

    def softc(self, host: str, unit: int = 0):
        return self.by_name[host].alldevs[unit]

    def log_since(self, host: str, start: int) -> list[str]:
        return self.by_name[host].log[start:]

    async def teardown(self) -> None:
        """Destroy every interface; each io-pkt must be back to what it held
        before the mount (mbufs, clusters, callouts, interrupt entries and
        handlers, threads, devices, interfaces, hooks, loaded drivers), and
        every DMA transaction kept the ownership rules (the DMA checkers)."""
        self.check_dma()
        for name, iopkt in self.by_name.items():
            for ifp in list(iopkt.ifnet):
                await self.must(name, f"ifconfig {ifp.if_xname} destroy")
            left = iopkt.live_resources().differs_from(self.before[name])
            assert not left, f"{name} left behind after destroying its interfaces: {left}"
        self.check_dma()

    def diagnosis(self) -> list[str]:
        """Each host's ``iopkt.diagnose()`` (hung interrupt lines), one line per finding, host named."""
        return [f"{name}: {msg}" for name, iopkt in self.by_name.items() for msg in iopkt.diagnose()]

    def wire_vs_receivers(self, folder: Path) -> list[str]:
        """Frames the cable carried to a host, with a good FCS and its station or the broadcast address
        as destination (``wire-a-to-b.pcap``, ``wire-b-to-a.pcap`` in ``folder``, IEEE 802.3 CRC-32 by
        zlib), against the frames its driver received (``if_ipackets``): one line per host whose driver
        got fewer, by more than a frame still on its way, naming where to look next (the receiving
        NIC's counters, nicinfo). Two hosts of one interface each only; [] otherwise, or without pcaps."""
        if set(self.by_name) != {"hostA", "hostB"}:
            return []
        out = []
        for name, wire, other in (("hostB", "wire-a-to-b", "A"), ("hostA", "wire-b-to-a", "B")):
            ifaces = [ifp for ifp in self.by_name[name].ifnet if ifp.if_xname.startswith("nic")]
            path = folder / f"{wire}.pcap"
            if len(ifaces) != 1 or not path.is_file() or path.stat().st_size > 50 << 20:
                continue
            ifp = ifaces[0]
            station = bytes(ifp.if_lladdr) if getattr(ifp, "if_lladdr", None) else None
            good = _good_frames_to(path, station)
            if good is not None and ifp.if_ipackets + 1 < good:
                out.append(f"{name}: the cable from host {other} carried {good} frames with a good FCS to its "
                           f"{ifp.if_xname} ({path.name}), its driver received {ifp.if_ipackets} (if_ipackets): "
                           f"host {name[-1]}'s NIC or driver dropped the rest; its counters say where "
                           f"(nicinfo {ifp.if_xname}, STAT_RX_* registers)")
        return out

    def write_artifacts(self, folder: Path | str, error: BaseException | None = None) -> list[Path]:
        """Write what a person looks at after a run into ``folder`` (made if
        missing): ``events.log`` (the register and interrupt log, when on),
        ``slog.txt`` (each io-pkt's log, ``sloginfo``-style, merged by
        simulated time), and ``diagnosis.txt`` when the test failed
        (``error``) or io-pkt's ``diagnose()`` found something: the findings,
        then the error. Returns the paths written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        if self.event_log is not None:
            written.append(self.event_log.write(folder / "events.log"))
        entries = [e for iopkt in self.by_name.values() for e in iopkt.slog_entries()]
        slog = folder / "slog.txt"
        slog.write_text("".join(line + "\n" for _, line in sorted(entries, key=lambda e: e[0])))
        written.append(slog)
        found = self.diagnosis()
        if found or error is not None:
            text = ["# iopkt.diagnose() of each host at the end of the test"]
            text += found or ["(nothing found)"]
            if error is not None:
                lost = self.wire_vs_receivers(folder)
                if lost:
                    text += ["", "# the cable's pcaps against what each driver received"] + lost
            if error is not None:
                text += ["", f"# the test failed: {type(error).__name__}", str(error)]
            diag = folder / "diagnosis.txt"
            diag.write_text("\n".join(text) + "\n")
            written.append(diag)
        return written

    def check_dma(self) -> None:
        """Every DMA transaction so far against the ownership rules (``DmaChecker.finish``);
        raises ``DmaPermissionError`` for the first breach."""
        for checker in self.checkers.values():
            checker.finish()


async def build_hosts(dut, dma_checker: bool | None = None, event_log: bool | None = None,
                      names: tuple[str, ...] = ("hostA", "hostB")) -> Hosts:
    """Two hosts on ``nic_pair_tb``, out of reset, nothing mounted (``names``: only these of
    ``hostA`` on NIC A and ``hostB`` on NIC B, e.g. host A alone on the TAP bridge). ``dma_checker``:
    a DMA permission checker per host (None: on unless ``NICSIM_DMA_CHECKER=0``);
    ``event_log``: the register and interrupt log of both (``Hosts.event_log``;
    None: on unless ``NICSIM_EVENT_LOG=0``)."""
    await start_clock_and_reset(dut)
    hosts = Hosts({}, {})
    if event_log is None:
        event_log = _event_log.enabled_by_default()
    for side, name, mac, irq in (("a", "hostA", MAC_A, 10), ("b", "hostB", MAC_B, 11)):
        if name not in names:
            continue
        plat = CocotbPlatform(dut, side, mac, irq_number=irq)
        iopkt = IoPkt(plat, name=f"io-pkt@{name}")
        await inet_attach(iopkt)
        hosts.by_name[name] = iopkt
        hosts.platforms[name] = plat
        hosts.before[name] = iopkt.live_resources()
        if event_log:
            if hosts.event_log is None:
                hosts.event_log = EventLog(plat.now_ns)
            hosts.event_log.attach(name, plat, iopkt)
        _coverage.attach(name, plat, iopkt)  # functional coverage, when NICSIM_COVERAGE=1
        checker = attach_dma_checker(plat, iopkt, dma_checker)
        if checker is not None:
            hosts.checkers[name] = checker
    folder = artifacts.folder()
    if folder is not None:
        # the test's artifact folder gets events.log, slog.txt and (on a failure) diagnosis.txt
        artifacts.on_test_end(lambda error: hosts.write_artifacts(folder, error))
    return hosts


async def bring_up_pair(hosts: Hosts, options: dict[str, str] | None = None) -> None:
    """Mount devnp-nic on both hosts (``options[host]`` as ``-o``), bring both
    interfaces up, then give them 10.0.0.1/24 and 10.0.0.2/24: each address
    announces itself (a gratuitous ARP) to a peer already listening, so no
    frame of the set-up is dropped by a receiver that is still down."""
    options = options or {}
    for host in ("hostA", "hostB"):
        opts = options.get(host)
        await hosts.must(host, "mount -T io-pkt " + (f"-o {opts} " if opts else "") + "/lib/dll/devnp-nic.so")
    for host in ("hostA", "hostB"):
        await hosts.must(host, "ifconfig nic0 up")
    for host, addr in (("hostA", "10.0.0.1"), ("hostB", "10.0.0.2")):
        await hosts.must(host, f"ifconfig nic0 {addr}/24")
        await hosts.must(host, "ifconfig nic0")


def ring_ranges(sc) -> tuple[tuple[int, int], tuple[int, int]]:
    """(base, bytes) of a device's TX and RX descriptor rings, for DmaFaults."""
    return (sc.tx_ring, NUM_TX_DESC * R.DESC_SIZE), (sc.rx_ring, NUM_RX_DESC * R.DESC_SIZE)


def inject_dma_error(hosts: Hosts, host: str, kind: str, count: int = 1) -> None:
    """SLVERR on the next ``count`` DMA bursts of ``kind`` (faults.DMA_KINDS) by ``host``'s NIC
    (its ``PortDmaFaults``: checked in C by the host memory slave, once per burst)."""
    tx, rx = ring_ranges(hosts.softc(host))
    cover_fault(hosts, host, kind)
    hosts.platforms[host].dma_faults[0].fail_next(kind, tx, rx, count)


def cover_fault(hosts: Hosts, host: str, kind: str) -> None:
    """Count a fault of ``kind`` (``nicsim.coverage.FAULT_KINDS``) applied to ``host`` in the
    functional coverage, with its driver's state now; nothing when coverage is off."""
    if _coverage.enabled():
        devs = hosts.by_name[host].alldevs
        _coverage.sample_fault(kind, _coverage.driver_state(devs[0] if devs else None))


async def stall_stack(iopkt: IoPkt, ns: int) -> None:
    """Hold the host's stack context for ``ns`` (io-pkt busy elsewhere): its
    interrupts are queued but not processed, and its NIC's RX ring fills."""
    if _coverage.enabled():
        _coverage.sample_fault("rx_stall", _coverage.driver_state(iopkt.alldevs[0] if iopkt.alldevs else None))
    await iopkt.stack_call(iopkt.platform.sleep, ns, proc_name="busy")


async def hold_all_clusters(iopkt: IoPkt, ns: int) -> int:
    """The host's cluster pool empty for ``ns`` of simulated time
    (``MbufPool.withhold_clusters``: each cluster freed meanwhile is kept out
    too, so the driver's refills meet the shortage for all of it), then every
    cluster given back; returns how many were free when it began."""
    if _coverage.enabled():
        _coverage.sample_fault("cluster_exhaustion",
                               _coverage.driver_state(iopkt.alldevs[0] if iopkt.alldevs else None))
    taken = iopkt.mbufs.withhold_clusters()
    try:
        await iopkt.platform.sleep(ns)
    finally:
        iopkt.mbufs.release_clusters()
    return taken


NIC_COUNTERS = {
    "txed_ok": R.REG_STAT_TX_FRAMES,
    "octets_txed_ok": R.REG_STAT_TX_OCTETS,
    "rxed_ok": R.REG_STAT_RX_FRAMES,
    "octets_rxed_ok": R.REG_STAT_RX_OCTETS,
}


async def driver_vs_nic_counters(iopkt: IoPkt) -> dict[str, tuple[int, int]]:
    """Each of the driver's counts beside the NIC's own statistics register,
    after the driver has harvested completed transmissions (as it does before
    reporting statistics)."""
    sc = iopkt.alldevs[0]
    await iopkt.stack_call(nic_harvest, sc)
    out = {}
    for name, reg in NIC_COUNTERS.items():
        out[name] = (getattr(sc.stats, name), await sc.regs.read32(reg))
    return out
