"""The soak: seeded random traffic both ways between the two hosts of
``nic_pair_tb``, wire errors and faults at random simulated times, a
scoreboard for every frame, and one exact accounting line per host.

``run_soak(dut, cfg)`` is the whole run (a cocotb coroutine): both hosts up
(``two_hosts.bring_up_pair``), each ARP entry resolved, a snapshot of every
counter a frame can end in, then until the wall budget (``cfg.seconds``) or
the frame budget (``cfg.frames``) is spent, per direction:

- the next frame of ``traffic.Generator`` (seeded by ``cfg.seed`` and the
  direction): a UDP datagram through a socket, an ICMP echo request or a raw
  frame through BPF (``iopkt.net.bpf.bpf_write``: the sender's real driver);
- now and then a wire error armed on that direction's injector (one signal
  write: ``wire_ab_fault`` / ``wire_ba_fault`` of ``nic_pair_tb``);

and a fault scheduler (``cfg.faults``) that, at random simulated times,
fires one fault of ``FAULTS`` on a random host and lets it restore itself.

Then the traffic stops, every fault has ended, the hosts settle, and both
interfaces must work without help: a ping and ten UDP datagrams each way all
arrive. The end: per host ``offered = delivered + each named drop counter``
(``accounting.offered_line``: offered is every frame the other host's send
queue took, from its BPF output tap; delivered every frame this host's driver
handed to ``ether_input``, from its BPF input tap), the scoreboard's checks
(``nicsim.scoreboard``), every armed wire error applied, and each host's
``live_resources()`` back to what it held after bring-up.

Determinism: everything the run does follows from the seed, except where a
wall budget stops it. Progress lines read only Python state (no register
access), so printing them does not change the simulation; a failure names
the frame count at which the run stopped, and ``make soak SEED=s FRAMES=n``
replays it exactly.

The scoreboard's events (``Scoreboard.events`` and ``cfg.listeners``) are
the hook a coverage model samples; their shapes are in ``nicsim.scoreboard``.
"""

from __future__ import annotations

import os
import random
import shlex
import signal
import struct
import time
import zlib
from dataclasses import dataclass, field, replace

from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether

import devnp_sam  # noqa: F401 (registers devnp-sam.so: the second interface the soak mounts)
from devnp_nic.receive import _whole_frame
from devnp_nic.softc import nic_hw_count
from devnp_nic.transmit import nic_harvest
from iopkt.kern.errno import EMSGSIZE, ENETDOWN, ENOBUFS, EOK
from iopkt.net.bpf import bpf_attach_tap, bpf_write
from iopkt.net.if_ import IFF_PROMISC, SIOCADDMULTI, SIOCDELMULTI, ifpromisc
from iopkt.netinet import udp_socket
from nicdef import regs as R
from nicsim import artifacts, lifeline, testing
from nicsim import coverage as fcov
from nicsim.accounting import RECEIVER_LINK_DROPS, SENDER_LINK_DROPS, link_counters, offered_line
from nicsim.faults import DMA_KINDS
from nicsim.scoreboard import DIRS, ICMP_ID, Scoreboard
from nicsim.traffic import GROUPS, WIRE_ERROR_NAMES, Generator, RxState, raw_frame
from nicsim.two_hosts import (
    MAC_A,
    MAC_B,
    Hosts,
    bring_up_pair,
    build_hosts,
    cover_fault,
    hold_all_clusters,
    inject_dma_error,
    stall_stack,
)
from nicsim.udp_flow import ADDR, HEADER, check_payload, payload

ENDS = {"A->B": ("hostA", "hostB"), "B->A": ("hostB", "hostA")}
HOSTS = ("hostA", "hostB")
MAC = {"hostA": MAC_A, "hostB": MAC_B}
WIRE = {"A->B": "wire_ab", "B->A": "wire_ba"}
UDP_PORT = {"A->B": 7301, "B->A": 7302}
ALLMULTI_RANGE = (bytes.fromhex("01005e000000"), bytes.fromhex("01005e7fffff"))
POLL_NS = 10_000
STUCK_NS = 50_000_000  # a send queue full for this long (simulated) is a stuck transmit path
SETTLE_LIMIT_NS = 20_000_000
RECOVERY_DATAGRAMS = 10
DEFAULT_WIRE_RATE = 0.03
DEFAULT_FAULT_GAP_NS = (30_000, 300_000)
FAULT_GAP_LIMIT_NS = 100_000_000  # a gap longer than 100 ms simulated would leave a soak of seconds without faults
# a jumbo frame spans this many bytes of cluster or more: several receive buffers (nicdef: RX_BUF_SIZE 2048)
MULTI_BUFFER_MTU = 9000


@dataclass
class SoakConfig:
    """One soak. ``seed``: every random choice; ``seconds``: wall budget of the
    traffic phase; ``frames``: stop once this many of the soak's own frames
    were offered (both directions; None: the wall budget alone); ``faults``:
    run the fault scheduler; ``wire_error_rate``: chance per frame of arming
    a wire error; ``fault_gap_ns``: (min, max) simulated time between
    faults; ``progress_s``: wall seconds between progress lines (0: none);
    ``listeners``: callables given each scoreboard event (dict)."""

    seed: int
    seconds: float = 60.0
    frames: int | None = None
    faults: bool = True
    wire_error_rate: float = DEFAULT_WIRE_RATE
    fault_gap_ns: tuple[int, int] = DEFAULT_FAULT_GAP_NS
    progress_s: float = 5.0
    listeners: list = field(default_factory=list)
    fault_names: list = field(default_factory=list)  # the faults to pick from (empty: all of FAULTS)
    fault_tour: bool = False  # each fault in each driver state once, then stop (``Soak.tour``)
    ctrl_c: bool = False  # SIGINT or SIGTERM stops the traffic as a spent budget would (``Soak.on_sigint``)


@dataclass
class SoakResult:
    """What a finished soak did: frames the generators chose (refused ones
    included: the frame budget), frames offered and delivered per direction,
    faults fired (name, host, driver state; the fault tour's own ``ifconfig down/up`` that takes a fault
    to the stopping state is not one of them: ``tour_down_ups`` counts those), wire errors armed per direction,
    the accounting lines, simulated ns and wall seconds; the soak's own
    frames the senders' stacks took (``sent``) and refused, and whether
    Ctrl-C (or SIGTERM: ``stopped_by``) stopped the traffic."""

    generated: int
    offered: dict
    delivered: dict
    faults: list
    wire_errors: dict
    lines: list
    sim_ns: int
    wall_s: float
    sent: int = 0
    refused: int = 0
    interrupted: bool = False
    stopped_by: str = "Ctrl-C"
    tour_down_ups: int = 0


def rx_state(iopkt) -> RxState:
    """A host's receive configuration as its user set it (ifnet: address,
    MTU, IFF_PROMISC, joined groups; a joined range means all multicast)."""
    ifp = iopkt.ifnet[0]
    singles = frozenset(e.enm_addrlo for e in ifp.ec.ec_multi if e.enm_addrlo == e.enm_addrhi)
    ranged = any(e.enm_addrlo != e.enm_addrhi for e in ifp.ec.ec_multi)
    return RxState(bytes(ifp.if_lladdr), ifp.if_mtu, bool(ifp.if_flags & IFF_PROMISC), ranged, singles)


class Soak:
    def __init__(self, dut, hosts: Hosts, cfg: SoakConfig):
        self.dut, self.hosts, self.cfg = dut, hosts, cfg
        self.plat = hosts.platforms["hostA"]
        self.board = Scoreboard(listeners=list(cfg.listeners))
        self.gens = {d: Generator(cfg.seed * 2 + i, MAC[ENDS[d][1]]) for i, d in enumerate(DIRS)}
        self.fault_rng = random.Random(cfg.seed * 2 + 1_000_003)
        self.stop = False
        self.draining = False
        self.ours = 0  # the soak's own frames offered, both directions
        self.generated = 0  # frames the generators chose, refused ones included: the frame budget counts these
        self.seq = {d: 0 for d in DIRS}
        self.out_tap = {"hostA": 0, "hostB": 0}  # frames each host's send queue took (BPF output tap)
        self.in_tap = {"hostA": 0, "hostB": 0}  # frames each host's driver handed up (BPF input tap)
        self.draining_done = False
        self.wire_armed = {d: 0 for d in DIRS}
        self.wire_toggle = {d: 0 for d in DIRS}
        self.last_arm_ns = {d: -1_000 for d in DIRS}
        self.fired: list[tuple[str, str, str]] = []
        self.tour_down_ups = 0  # the tour's ifconfig down/up that take a fault to the stopping state
        self.refused: dict[int, int] = {}
        self.t0 = time.perf_counter()
        self.last_progress = self.t0
        self.socks: list = []
        # each host's receive configuration over simulated time: (ns, RxState), the state a change
        # will make noted when it starts (the NIC may take it any time before the change returns)
        self.history = {h: [(0, rx_state(io))] for h, io in hosts.by_name.items()}
        self.fault_log: list[str] = []
        self.paused = False  # the senders wait (the fault tour's idle state)
        self.tour_done = False
        self.interrupted = False  # Ctrl-C or SIGTERM: the senders stop at their next frame (``on_sigint``)
        self.stopped_by = "Ctrl-C"  # which of them
        self.late_signal = False  # a first Ctrl-C, SIGTERM or SIGHUP came after the traffic had ended
        self.lines: list[str] = []  # the accounting lines that held so far
        self.finished = False  # every check done (the teardown may follow)
        self.before: dict = {}  # each direction's counters when the traffic began (``link_counters``)

    # ------------------------------------------------------------ helpers
    def ifp(self, host: str):
        return self.hosts.by_name[host].ifnet[0]

    def note_state(self, host: str, state: RxState | None = None) -> None:
        """``host``'s receive configuration is (or is about to be) ``state`` (None: as its ifnet says now)."""
        self.history[host].append((self.plat.now_ns(), state or rx_state(self.hosts.by_name[host])))

    def states_since(self, host: str, t_ns: int) -> list[RxState]:
        """Every receive configuration ``host`` had from ``t_ns`` until now."""
        hist = self.history[host]
        out = [hist[0][1]]
        for t, st in hist:
            if t <= t_ns:
                out[0] = st
            else:
                out.append(st)
        return out

    def replay(self) -> str:
        """The command that replays this run up to now exactly: the frame budget
        at which the traffic stopped, or one past the frames chosen so far."""
        # once stopped (or asked to stop: the senders generate no further frame) the count is final
        frames = self.generated if self.stop or self.interrupted else self.generated + 1
        return replay_command(self.cfg, frames, os.environ.get("SIM", "verilator"))

    def failed(self, msg: str) -> AssertionError:
        # the replay command is in replay.txt and the end of nicsim soak's output, not in every traceback
        return AssertionError(f"soak seed {self.cfg.seed} failed after {self.ours} frames sent, "
                              f"{self.generated} generated: {msg}")

    def on_end(self, error: BaseException | None) -> None:
        """Test-end hook: on any failure (a DMA checker's, a driver bug io-pkt
        caught, the soak's own), the replay command joins the artifacts
        (``replay.txt``) and the console; after Ctrl-C, ``replay.txt`` alone
        (``nicsim soak`` prints it)."""
        folder = artifacts.folder()
        if folder is not None:  # the faults fired, passed or failed: what a run covered
            (folder / "soak-faults.txt").write_text("".join(f + "\n" for f in self.fault_log))
        if error is None:
            if self.interrupted and folder is not None and self.generated:
                (folder / "replay.txt").write_text(f"replay: {self.replay()}\n")
            return
        if folder is not None:
            (folder / "replay.txt").write_text(f"replay: {self.replay()}\n")
        print(f"soak seed {self.cfg.seed} failed at {self.plat.now_ns()} ns after {self.ours} frames sent, "
              f"{self.generated} generated; the accounting as far as it got:", flush=True)
        for line in self.lines:  # the hosts whose final line was computed before the failure
            print(line, flush=True)
        if len(self.lines) < len(ENDS):
            self.progress(force=True)  # the rest from Python state: the terms known without a register read

    def check_board(self) -> None:
        if self.board.errors:
            raise self.failed("; ".join(self.board.errors[:5]))

    def driver_counted(self, d: str) -> dict[str, int]:
        """Direction ``d``'s counters of the final accounting line (``accounting``'s link tables, the
        same names) that the drivers keep in their softc, moved since the traffic began: read with no
        register access. The NIC's own counters (CRC errors, runts, framing, oversize, missed,
        filtered, no carrier) are registers, read only at the end."""
        out = {}
        for host, table in zip(ENDS[d], (SENDER_LINK_DROPS, RECEIVER_LINK_DROPS), strict=True):
            io, sc = self.hosts.by_name[host], self.hosts.softc(host)
            for name, read in table.items():
                key = f"{host} {name}"
                try:
                    moved = read(io, sc, None, None) - self.before[d][key]  # a NIC register's reader needs them
                except (AttributeError, TypeError, KeyError):
                    continue
                if moved:
                    out[key] = moved
        return out

    def progress(self, force: bool = False) -> None:
        """One progress line, from Python state alone (printing it does not change the run): frames
        generated and sent, faults, wire errors, and per receiving host the final accounting's terms
        known so far, the rest being the NIC's counters or frames still in flight."""
        now = time.perf_counter()
        if not force and (not self.cfg.progress_s or now - self.last_progress < self.cfg.progress_s):
            return
        self.last_progress = now
        parts = []
        for d, (src, dst) in ENDS.items():
            counted = self.driver_counted(d)
            rest = self.out_tap[src] - self.in_tap[dst] - sum(counted.values())
            parts.append(f"{dst}: offered {self.out_tap[src]} = delivered {self.in_tap[dst]}"
                         + "".join(f" + {k} {v}" for k, v in counted.items())
                         + f" + NIC counters or in flight {rest}")
        print(f"soak seed {self.cfg.seed}: {now - self.t0:6.1f} s wall, {self.plat.now_ns() / 1e6:8.3f} ms sim; "
              f"frames {self.generated} generated, {self.ours} sent; {plural(len(self.fired), 'fault')}, "
              f"{plural(sum(self.wire_armed.values()), 'wire error')} | " + " | ".join(parts), flush=True)

    def on_sigint(self, signum=None, frame=None) -> None:
        """Ctrl-C, SIGTERM or SIGHUP (``STOP_SIGNALS``, with ``cfg.ctrl_c``; a CI timeout sends SIGTERM,
        a closed terminal SIGHUP): the first stops the traffic at the next frame, as a frame budget would,
        and the run ends as usual (settle, recovery, accounting, summary); the replay command goes to
        ``replay.txt`` at once, in case the run is killed before its end. One that comes after the traffic
        ended (its budget spent) changes nothing: the run finishes as it was. A second Ctrl-C stops at
        once, exit status 130: the progress line so far, unless every check had already been done
        (the accounting printed stands). A second SIGTERM or SIGHUP changes nothing (one sent to the
        process group and passed on by ``nicsim soak`` arrives twice); ``nicsim soak`` kills the
        simulator if the end takes too long."""
        if not self.interrupted and not self.late_signal and self.stop:
            # the traffic had already ended (its budget spent): the run is finishing as it would have
            self.late_signal = True
            print(f"soak seed {self.cfg.seed}: {signal_word(signum)} {LATE_SIGNAL}", flush=True)
            return
        if not self.interrupted and not self.late_signal:
            self.interrupted = True
            self.stopped_by = signal_word(signum)
            again = "" if signum != signal.SIGINT else " (Ctrl-C again to stop at once)"
            print(f"soak seed {self.cfg.seed}: {self.stopped_by} after {self.generated} frames generated: the "
                  f"traffic stops, the hosts settle, then the accounting{again}", flush=True)
            folder = artifacts.folder()
            try:
                if folder is not None and self.generated:
                    (folder / "replay.txt").write_text(f"replay: {self.replay()}\n")
            except OSError:
                pass  # a handler runs inside whatever the simulation was doing: nothing may raise from here
            return
        if signum != signal.SIGINT:
            return
        # a handler runs inside whatever the simulation was doing: nothing may raise from here
        try:
            self.stop = True
            if not self.finished:
                self.progress(force=True)
            folder = artifacts.folder()
            if folder is not None and self.generated:
                (folder / "replay.txt").write_text(f"replay: {self.replay()}\n")
            print(f"soak seed {self.cfg.seed}: stopped at once by a second {signal_word(signum)}"
                  + ("" if self.finished else ", with no accounting"), flush=True)
        finally:
            os._exit(130)  # mid-callback in the simulator: nothing can unwind the simulation cleanly from here

    def budget_spent(self) -> bool:
        if self.interrupted:
            return True
        if self.cfg.fault_tour:
            return self.tour_done
        if self.cfg.frames is not None:
            return self.generated >= self.cfg.frames
        return time.perf_counter() - self.t0 >= self.cfg.seconds

    # ------------------------------------------------------------ traffic
    def _tap_out(self, host: str):
        def tap(_frame: bytes) -> None:
            self.out_tap[host] += 1
        return tap

    def _tap_in(self, host: str, d: str):
        iopkt = self.hosts.by_name[host]

        def tap(frame: bytes) -> None:
            self.in_tap[host] += 1
            self.board.on_rx(d, frame, rx_state(iopkt), lambda t: self.states_since(host, t))
        return tap

    async def _send_one(self, d: str, spec, sock) -> int:
        src, dst = ENDS[d]
        iopkt = self.hosts.by_name[src]
        seq = self.seq[d]
        state = rx_state(self.hosts.by_name[dst])
        if spec.proto == "udp":
            size = max(spec.length - 42, 8)
            spec.length = 42 + size
            try:
                await sock.sendto(payload(seq, size), (ADDR[dst], UDP_PORT[d]))
            except OSError as e:
                return e.errno
            self.board.offered_udp(d, seq, spec, state)
            return EOK
        if spec.proto == "icmp":
            data = bytes((seq + k) & 0xFF for k in range(max(spec.length - 42, 0)))
            frame = bytes(Ether(dst=MAC[dst].hex(":"), src=MAC[src].hex(":"))
                          / IP(src=ADDR[src], dst=ADDR[dst]) / ICMP(type=8, id=ICMP_ID[d], seq=seq & 0xFFFF) / data)
        else:
            frame = raw_frame(MAC[src], spec, DIRS.index(d), seq)
        t_sent = self.plat.now_ns()
        err = await iopkt.stack_call(bpf_write, self.ifp(src), frame, proc_name="bpf-write")
        if err == EOK:
            if spec.proto == "icmp":
                self.board.offered_icmp(d, seq & 0xFFFF, frame, spec, state)
            else:
                self.board.offered_raw(d, seq, frame, spec, state, t_sent)
        return err

    def _arm_wire_error(self, d: str) -> None:
        choice = self.gens[d].wire_error(self.cfg.wire_error_rate)
        now = self.plat.now_ns()
        # the injector shows an arm a clock after the write: two arms in one clock would undo each other
        if choice is None or now - self.last_arm_ns[d] < 40 or int(getattr(self.dut, f"{WIRE[d]}_fault_armed").value):
            return
        self.last_arm_ns[d] = now
        kind, pos = choice
        self.wire_toggle[d] ^= 1
        getattr(self.dut, f"{WIRE[d]}_fault").value = (self.wire_toggle[d] << 17) | (kind << 14) | pos
        self.wire_armed[d] += 1
        self.board.emit({"event": "wire_error", "dir": d, "kind": WIRE_ERROR_NAMES[kind], "pos": pos})

    async def sender(self, d: str, sock) -> None:
        src, dst = ENDS[d]
        gen = self.gens[d]
        while not self.stop:
            if self.budget_spent():
                self.stop = True
                break
            if self.paused:
                await self.plat.sleep(POLL_NS)
                continue
            self.generated += 1
            spec = gen.next(self.ifp(src).if_mtu, self.ifp(dst).if_mtu)
            waited = 0
            while True:
                err = await self._send_one(d, spec, sock)
                if err != ENOBUFS:
                    break
                if waited >= STUCK_NS:
                    raise self.failed(f"{d}: the send queue of {src} stayed full for {STUCK_NS // 1_000_000} ms")
                await self.plat.sleep(20_000)
                waited += 20_000
            if err == EOK:
                self.seq[d] += 1
                self.ours += 1
            else:
                self.refused[err] = self.refused.get(err, 0) + 1
                if err not in (EMSGSIZE, ENETDOWN):
                    raise self.failed(f"{d}: sending a {spec.proto} frame of {spec.length} bytes failed: errno {err}")
            if self.cfg.wire_error_rate:
                self._arm_wire_error(d)
            self.check_board()
            self.progress()
            if spec.gap_ns:
                await self.plat.sleep(spec.gap_ns)

    async def receiver(self, d: str, sock) -> None:
        dst = ENDS[d][1]
        while not self.stop or not self.draining_done:
            try:
                data, _ = await sock.recvfrom(timeout_ns=POLL_NS)
            except TimeoutError:
                continue
            try:
                seq = check_payload(data)
            except (AssertionError, Exception) as e:  # noqa: BLE001 (a damaged datagram of any shape)
                self.board.fail(f"{d}: a UDP datagram arrived damaged ({e}): {self.damage(data)}")
                continue
            self.board.udp_delivered(d, seq, rx_state(self.hosts.by_name[dst]))

    @staticmethod
    def damage(data: bytes) -> str:
        """How a datagram differs from the one its header names: lengths and the bytes that differ."""
        if len(data) < HEADER.size:
            return f"{len(data)} bytes, shorter than its header"
        seq, size = HEADER.unpack_from(data)
        want = payload(seq, max(size, HEADER.size)) if size < 65536 else b""
        diffs = [i for i in range(min(len(data), len(want))) if data[i] != want[i]]
        spans = f"bytes {diffs[0]}..{diffs[-1]} ({len(diffs)} differ)" if diffs else "no byte differs"
        return (f"#{seq}: {len(data)} bytes, its header says {size}; {spans}; "
                f"got {data[diffs[0]:diffs[0] + 16].hex() if diffs else ''} "
                f"want {want[diffs[0]:diffs[0] + 16].hex() if diffs else ''}")

    # ------------------------------------------------------------ faults
    def driver_state(self, host: str) -> str:
        """``host``'s driver as the coverage model sees it (``coverage.driver_state``: stopping while
        IFF_RUNNING is clear, mid-burst with frames outstanding or a ring tail just moved), and mid-burst
        too while its send queue holds frames; stopping while the soak drains."""
        if self.draining:
            return "stopping"
        state = fcov.driver_state(self.hosts.softc(host))
        return "mid_burst" if state == "idle" and self.ifp(host).if_snd.ifq_len else state

    async def _ioctl(self, host: str, cmd: int, data) -> int:
        ifp = self.ifp(host)
        return await self.hosts.by_name[host].stack_call(ifp.if_ioctl, ifp, cmd, data, proc_name="soak-ioctl")

    async def fire(self, name: str, host: str, inner: str | None = None, tour_means: bool = False) -> None:
        """Note one fault of ``FAULTS`` on ``host`` (the fault log, the scoreboard's event, the coverage
        model's bin of its kind and the driver's state now), fire it and wait until it has ended.
        ``inner``: for ``down_up``, a fault to fire while the interface is stopping (None: by chance).
        ``tour_means``: the fault tour's own ``down_up`` around ``inner`` (its way to the stopping state),
        counted apart from the faults fired (``tour_down_ups``), so a tour of other faults names none it
        was not given."""
        state = self.driver_state(host)
        if tour_means:
            self.tour_down_ups += 1
        else:
            self.fired.append((name, host, state))
        self.fault_log.append(f"{self.plat.now_ns()} ns: {name} on {host} ({state}), after {self.ours} frames"
                              + (" (the tour's way to the stopping state)" if tour_means else ""))
        self.board.emit({"event": "fault", "name": name, "host": host, "driver_state": state,
                         "time_ns": self.plat.now_ns()})
        if name not in SELF_COUNTED:
            cover_fault(self.hosts, host, COVERAGE_KIND[name])
        self.paused = False  # the tour's idle moment is this one: the traffic goes on around the fault
        await self.fault(name, host, inner)

    async def fault(self, name: str, host: str, inner: str | None = None) -> None:
        """Fire one fault of ``FAULTS`` on ``host`` and wait until it has ended."""
        r = self.fault_rng
        hosts, dut = self.hosts, self.dut
        side = host[-1].lower()
        io = hosts.by_name[host]
        if name.startswith("dma:"):
            inject_dma_error(hosts, host, name[4:])
            await self.plat.sleep(r.randint(5_000, 40_000))
            hosts.platforms[host].dma_faults[0].clear()  # an access that never came does not fire later
        elif name == "cable_pull":
            dut.cable_pull.value = 1
            await self.plat.sleep(r.randint(10_000, 80_000))
            dut.cable_pull.value = 0
        elif name == "renegotiate":
            getattr(dut, f"phy_{side}_adv_withhold").value = 0b100 if r.random() < 0.75 else 0b110
            await self.plat.sleep(r.randint(200_000, 600_000))
            getattr(dut, f"phy_{side}_adv_withhold").value = 0
        elif name == "rx_ring_exhaustion":
            await stall_stack(hosts.by_name[host], r.randint(50_000, 400_000))
        elif name == "cluster_exhaustion":
            # with both hosts at a jumbo MTU, long enough for a few frames of several receive buffers each
            # (9 kB takes 72 us at 1 Gb/s) to arrive into the shortage: the driver must give each of their
            # buffers back to the ring, not the first alone
            jumbo = all(self.ifp(h).if_mtu >= MULTI_BUFFER_MTU for h in HOSTS)
            await hold_all_clusters(hosts.by_name[host], r.randint(100_000, 250_000) if jumbo
                                    else r.randint(20_000, 150_000))
            await self.rx_ring_whole(host)
        elif name == "down_up":
            # now and then a second fault while the driver's stop waits (the NIC draining its transmit
            # path) or while the interface is down: the driver in its stopping state
            if inner is None and r.random() < 0.4:
                inner = r.choice(self.cfg.fault_names or FAULTS)
            down = self.plat.spawn(hosts.must(host, "ifconfig nic0 down"), "soak-down")
            if inner is not None:
                # the stop clears IFF_RUNNING first thing; once the down returned the interface is down
                while self.driver_state(host) != "stopping" and not down.done():
                    await self.plat.sleep(100)
                await self.fire(inner, host)
            await down.join()
            await self.plat.sleep(r.randint(5_000, 40_000))
            await hosts.must(host, "ifconfig nic0 up")
        elif name == "mtu":
            mtu = r.choice((1000, 4000, 9000))
            self.note_state(host, replace(rx_state(io), mtu=mtu))
            await hosts.must(host, f"ifconfig nic0 mtu {mtu}")
            self.note_state(host)
            if mtu == MULTI_BUFFER_MTU and "cluster_exhaustion" in (self.cfg.fault_names or FAULTS) \
                    and r.random() < 0.5:
                # as on a real host taking jumbo frames, now and then its clusters run out meanwhile: the other
                # host raised to 9000 too sends frames of several receive buffers into the shortage
                await self.jumbo_window((self.other(host),), self.fire("cluster_exhaustion", host))
            await self.plat.sleep(r.randint(100_000, 400_000))
            self.note_state(host, replace(rx_state(io), mtu=1500))
            await hosts.must(host, "ifconfig nic0 mtu 1500")
            self.note_state(host)
        elif name == "media":
            media = r.choice(("100baseTX mediaopt full-duplex", "10baseT mediaopt full-duplex"))
            await hosts.must(host, f"ifconfig nic0 media {media}")
            await self.plat.sleep(r.randint(100_000, 400_000))
            await hosts.must(host, "ifconfig nic0 media autoselect")
        elif name == "multicast" and (self.cfg.fault_tour or r.random() < 0.4):
            # every group left for a while (the multicast application gone), then joined again: the
            # receiver's filter back to station and broadcast alone
            st = rx_state(io)
            joined = sorted(st.groups)
            self.note_state(host, replace(st, groups=frozenset()))
            for group in joined:
                assert await self._ioctl(host, SIOCDELMULTI, group) == 0
            self.note_state(host)
            await self.plat.sleep(r.randint(50_000, 300_000))
            self.note_state(host, replace(rx_state(io), groups=rx_state(io).groups | frozenset(joined)))
            for group in joined:
                assert await self._ioctl(host, SIOCADDMULTI, group) == 0
            self.note_state(host)
        elif name == "multicast":
            group = GROUPS[r.randrange(2)]
            st = rx_state(io)
            joined = group in st.groups
            self.note_state(host, replace(st, groups=st.groups - {group} if joined else st.groups | {group}))
            assert await self._ioctl(host, SIOCDELMULTI if joined else SIOCADDMULTI, group) == 0
            self.note_state(host)
        elif name == "promisc":
            self.note_state(host, replace(rx_state(io), promisc=True))
            # IFF_PROMISC is not the user's to set with SIOCSIFFLAGS: a promiscuous listener asks for it
            assert await io.stack_call(ifpromisc, self.ifp(host), True, proc_name="soak-promisc") == 0
            self.note_state(host)
            await self.plat.sleep(r.randint(50_000, 300_000))
            self.note_state(host, replace(rx_state(io), promisc=False))
            assert await io.stack_call(ifpromisc, self.ifp(host), False, proc_name="soak-promisc") == 0
            self.note_state(host)
        elif name == "allmulti":
            self.note_state(host, replace(rx_state(io), allmulti=True))
            assert await self._ioctl(host, SIOCADDMULTI, ALLMULTI_RANGE) == 0
            self.note_state(host)
            await self.plat.sleep(r.randint(50_000, 300_000))
            self.note_state(host, replace(rx_state(io), allmulti=False))
            assert await self._ioctl(host, SIOCDELMULTI, ALLMULTI_RANGE) == 0
            self.note_state(host)
        elif name == "second_interface":
            await self.second_interface(host, r.randint(50_000, 300_000))
        else:
            raise ValueError(f"no fault named {name!r}")

    async def rx_ring_whole(self, host: str) -> None:
        """After a cluster shortage on a running ``host``: the senders paused and the hosts settled, its NIC
        owns every receive descriptor but the one a driver keeps unused (datasheet: HEAD..TAIL, LEN - 1 of
        them), so no frame dropped for want of a cluster cost the ring a buffer. Checked now, not only at the
        soak's end: a later ``ifconfig down/up`` reloads the ring and would hide the loss. Skipped while the
        driver is stopping (its ring is being torn down)."""
        if self.driver_state(host) == "stopping":
            return
        paused, self.paused = self.paused, True
        await self.settle()
        sc = self.hosts.softc(host)

        async def read():
            return [await sc.regs.read32(reg) for reg in (R.REG_RX_HEAD, R.REG_RX_TAIL, R.REG_RX_LEN)]

        head, tail, length = await self.hosts.by_name[host].stack_call(read, proc_name="ring-check")
        owned = (tail - head) % length if length else 0
        self.fault_log.append(f"{self.plat.now_ns()} ns: {host}'s NIC owns {owned} of {length} receive "
                              f"descriptors after the cluster shortage")
        if owned != length - 1:
            raise self.failed(f"{host}'s NIC owns {owned} receive descriptors after a cluster shortage, not "
                              f"{length - 1} (RX_HEAD {head}, RX_TAIL {tail}, RX_LEN {length}): frames dropped "
                              f"for want of a cluster cost the ring its buffers")
        self.paused = paused

    async def second_interface(self, host: str, ns: int) -> None:
        """devnp-sam (the guide's hardware-independent sample, on the host's system clock interrupt)
        mounted beside nic0, up for ``ns`` of simulated time, then destroyed: nic0's traffic and
        accounting go on, and the host's resources come back (checked at the soak's end)."""
        io = self.hosts.by_name[host]
        before = {ifp.if_xname for ifp in io.ifnet}
        await self.hosts.must(host, "mount -T io-pkt /lib/dll/devnp-sam.so")
        new = [ifp.if_xname for ifp in io.ifnet if ifp.if_xname not in before]
        if len(new) != 1:
            raise self.failed(f"{host}: mounting devnp-sam made interfaces {new}, not one")
        await self.hosts.must(host, f"ifconfig {new[0]} up")
        await self.plat.sleep(ns)
        await self.hosts.must(host, f"ifconfig {new[0]} destroy")
        if self.ifp(host).if_xname != "nic0":
            raise self.failed(f"{host}: after {new[0]} was destroyed its first interface is "
                              f"{self.ifp(host).if_xname}")

    async def scheduler(self) -> None:
        if self.cfg.fault_tour:
            await self.tour()
            return
        r = self.fault_rng
        while not self.stop:
            await self.plat.sleep(r.randint(*self.cfg.fault_gap_ns))
            if self.stop:
                break
            await self.fire(r.choice(self.cfg.fault_names or FAULTS), r.choice(("hostA", "hostB")))

    async def tour(self) -> None:
        """Each fault (``cfg.fault_names`` or ``FAULTS``) once in each driver state, on a random host,
        with the traffic running around it: mid-burst when the driver is seen with frames outstanding,
        idle after the senders paused and the driver reaped its sent frames, stopping inside an
        ``ifconfig down`` (``down_up`` with the fault as its second one). A state that does not come
        within its wait is skipped (the fault log and the coverage say which); then the traffic stops."""
        r = self.fault_rng
        for name in self.cfg.fault_names or FAULTS:
            for want in ("idle", "mid_burst", "stopping"):
                await self.plat.sleep(r.randint(*self.cfg.fault_gap_ns))
                host = r.choice(("hostA", "hostB"))
                if name in FILTER_FAULTS:
                    # the other host sends jumbo frames meanwhile (its MTU raised, a fault on each host at
                    # once), so frames of every size class meet the receiver in each filter mode
                    await self.jumbo_window((self.other(host),), self.tour_step(name, host, want))
                elif name == "cluster_exhaustion" and want == "mid_burst":
                    # both hosts at 9000: frames of several receive buffers arrive while the pool is empty (mid-burst
                    # alone: the traffic flows into the shortage at once, and each jumbo window costs the time its
                    # queued frames take to drain, on Icarus seconds of wall time)
                    await self.jumbo_window(HOSTS,
                                            self.tour_step(name, host, want))
                else:
                    await self.tour_step(name, host, want)
        self.tour_done = True

    @staticmethod
    def other(host: str) -> str:
        return "hostB" if host == "hostA" else "hostA"

    async def jumbo_window(self, raised: tuple[str, ...], step) -> None:
        """Run ``step`` (a coroutine) with each host of ``raised`` at MTU 9000, then each back at 1500."""
        for h in raised:
            self.note_state(h, replace(rx_state(self.hosts.by_name[h]), mtu=MULTI_BUFFER_MTU))
            await self.hosts.must(h, f"ifconfig nic0 mtu {MULTI_BUFFER_MTU}")
            self.note_state(h)
        await step
        for h in raised:
            self.note_state(h, replace(rx_state(self.hosts.by_name[h]), mtu=1500))
            await self.hosts.must(h, "ifconfig nic0 mtu 1500")
            self.note_state(h)

    async def tour_step(self, name: str, host: str, want: str) -> None:
        """Fire ``name`` on ``host`` once its driver is in state ``want`` (``tour``)."""
        if want == "stopping":
            self.fault_log.append(f"{self.plat.now_ns()} ns: tour: {name} inside a down_up on {host}")
            await self.fire("down_up", host, inner=name, tour_means=True)
            return
        self.paused = want == "idle"
        sc = self.hosts.softc(host)
        # (a send queue of jumbo frames, queued while the MTU was 9000, takes milliseconds to drain)
        for _ in range(400):
            if want == "idle":
                await self.plat.sleep(fcov.BURST_WINDOW_NS // 2)
                await self.hosts.by_name[host].stack_call(nic_harvest, sc, proc_name="tour")
            else:
                await self.plat.sleep(1_000)
            if self.driver_state(host) == want:
                await self.fire(name, host)
                break
        else:
            sc = self.hosts.softc(host)
            self.fault_log.append(f"{self.plat.now_ns()} ns: tour: {host} never {want} for {name} (TX outstanding "
                                  f"{len(sc.tx_pkts)}, send queue {self.ifp(host).if_snd.ifq_len}, state "
                                  f"{fcov.driver_state(sc)})")
        self.paused = False

    # ------------------------------------------------------------ the end
    async def nic_census(self, d: str) -> str:
        """The receiving NIC's own view since attach: every carrier burst the wire's pcap holds, against
        the frames it wrote to memory plus each frame it counted dropped (all banked across resets)."""
        src, dst = ENDS[d]
        folder = artifacts.folder()
        path = folder / f"wire-{d[0].lower()}-to-{d[-1].lower()}.pcap" if folder else None
        if path is None or not path.is_file():
            return ""
        data, off, bursts = path.read_bytes(), 24, 0
        while off + 16 <= len(data):
            off += 16 + struct.unpack_from("<IIII", data, off)[2]
            bursts += 1
        sc = self.hosts.softc(dst)
        regs = {"frames": R.REG_STAT_RX_FRAMES, "FCS": R.REG_STAT_RX_FCS_ERR, "runt": R.REG_STAT_RX_RUNT,
                "framing": R.REG_STAT_RX_FRAMING, "toolong": R.REG_STAT_RX_TOOLONG,
                "missed": R.REG_STAT_RX_MISSED, "filtered": R.REG_STAT_RX_FILTERED}

        async def read():
            return {k: await nic_hw_count(sc, reg) for k, reg in regs.items()}

        got = await self.hosts.by_name[dst].stack_call(read, proc_name="census")
        return (f"{dst}'s NIC since attach: the wire carried {bursts} bursts; it counted {sum(got.values())} "
                f"({', '.join(f'{k} {v}' for k, v in got.items())}); its driver delivered "
                f"{sc.stats.rxed_ok}, rx DMA errors {sc.stats.rx_dma_errors}, stopped {sc.stats.rx_stopped}, "
                f"no cluster {sc.stats.rx_failed_allocs}")

    def where_lost(self, d: str, before: dict, after: dict) -> str:
        """An accounting line that does not hold, split at the cable: what the
        sender's send queue took less its driver's and NIC's counted drops,
        against the carrier bursts the wire's pcap holds since the soak began
        (``wire-a-to-b.pcap`` / ``wire-b-to-a.pcap``), against what the
        receiver delivered and counted."""
        src, dst = ENDS[d]
        folder = artifacts.folder()
        path = folder / f"wire-{d[0].lower()}-to-{d[-1].lower()}.pcap" if folder else None
        if path is None or not path.is_file():
            return "(no pcap of the wire to split the difference at the cable)"
        bursts = good = 0
        data = path.read_bytes()
        off = 24
        while off + 16 <= len(data):
            sec, nsec, incl, _ = struct.unpack_from("<IIII", data, off)
            rec = data[off + 16:off + 16 + incl]
            off += 16 + incl
            if sec * 1_000_000_000 + nsec < self.t_start_ns:
                continue
            bursts += 1
            good += len(rec) >= 64 and rec[-4:] == zlib.crc32(rec[:-4]).to_bytes(4, "little")
        moved = {k: after[k] - before[k] for k in after}
        sent_drops = sum(v for k, v in moved.items() if k.startswith(src))
        recv_drops = sum(v for k, v in moved.items() if k.startswith(dst))
        return (f"where: {src}'s send queue took {self.out_tap[src]}, its driver and NIC counted {sent_drops} "
                f"dropped: {self.out_tap[src] - sent_drops} for the wire; the wire carried {bursts} bursts "
                f"({good} with a good FCS) since {self.t_start_ns} ns; {dst} delivered {self.in_tap[dst]} and "
                f"counted {recv_drops}: {self.in_tap[dst] + recv_drops} off the wire")

    async def settled(self, memo: dict) -> bool:
        for src, dst in ENDS.values():
            sc_s, sc_d = self.hosts.softc(src), self.hosts.softc(dst)
            await self.hosts.by_name[src].stack_call(nic_harvest, sc_s)
            if self.ifp(src).if_snd.ifq_len or sc_s.tx_pkts:
                return False
            if await sc_s.regs.read32(R.REG_STATUS) & (R.STATUS_TX_BUSY | R.STATUS_TX_PENDING):
                return False
            if sc_d.running and _whole_frame(sc_d)[0] is not None:
                return False
        snap = (dict(self.out_tap), dict(self.in_tap),
                [await link_counters(self.hosts.by_name[s], self.hosts.by_name[r]) for s, r in ENDS.values()])
        moved = snap != memo.get("snap")
        memo["snap"] = snap
        return not moved

    async def settle(self) -> None:
        memo: dict = {}
        waited = quiet = 0
        while quiet < 3:
            await self.plat.sleep(POLL_NS)
            waited += POLL_NS
            quiet = quiet + 1 if await self.settled(memo) else 0
            if waited >= SETTLE_LIMIT_NS:
                raise self.failed(f"the hosts did not settle within {SETTLE_LIMIT_NS // 1_000_000} ms of the "
                                  f"traffic's end: {self.out_tap} offered, {self.in_tap} delivered")

    async def recovery(self, socks: dict) -> None:
        """Both interfaces work without help: a ping each way, then ten UDP datagrams each way all arrive."""
        for src, dst in ENDS.values():
            res = await self.hosts.sh(src, f"ping -c 3 -i 0.0001 -W 0.005 {ADDR[dst]}")
            if res.value.received == 0:
                raise self.failed(f"{src} cannot ping {dst} after the soak's faults:\n{res.text}")
        want = {}
        for d in DIRS:
            want[d] = []
            for _ in range(RECOVERY_DATAGRAMS):
                seq = self.seq[d]
                spec = self.gens[d].next(1500, 1500)
                spec.proto, spec.size_class, spec.addr_class, spec.length = "udp", "recovery", "station", 42 + 300
                assert await self._send_one(d, spec, socks[d]) == EOK
                want[d].append(seq)
                self.seq[d] += 1
                await self.plat.sleep(2_000)
        for _ in range(500):
            if all(self.board.last.get((d, "udp"), -1) >= want[d][-1] for d in DIRS):
                break
            await self.plat.sleep(POLL_NS)
        for d in DIRS:
            if self.board.last.get((d, "udp"), -1) < want[d][-1]:
                raise self.failed(f"{d}: the datagrams sent after the faults did not all arrive "
                                  f"(last delivered #{self.board.last.get((d, 'udp'))}, sent up to #{want[d][-1]})")

    async def run(self) -> SoakResult:
        hosts = self.hosts
        if self.interrupted:  # stopped during the bring-up: nothing ran, nothing to account for or replay
            return SoakResult(0, {}, {}, [], {d: 0 for d in DIRS}, [], self.plat.now_ns(),
                              time.perf_counter() - self.t0, interrupted=True, stopped_by=self.stopped_by)
        for src, dst in ENDS.values():
            res = await hosts.sh(src, f"ping -c 1 -W 0.005 {ADDR[dst]}")  # ARP resolved before the traffic
            assert res.value.received == 1, res.text
        for host in ("hostA", "hostB"):
            for group in GROUPS[:2]:
                assert await self._ioctl(host, SIOCADDMULTI, group) == 0
        await self.settle()  # every frame of the set-up landed and every sent one harvested (the driver reaps lazily)
        for host in hosts.by_name:
            self.note_state(host)  # the groups joined
        start_res = {h: io.live_resources() for h, io in hosts.by_name.items()}
        before = {d: await link_counters(hosts.by_name[s], hosts.by_name[r], (s, r)) for d, (s, r) in ENDS.items()}
        self.before = before
        ipackets = {h: self.ifp(h).if_ipackets for h in hosts.by_name}
        self.t_start_ns = self.plat.now_ns()
        for d, (src, dst) in ENDS.items():
            bpf_attach_tap(self.ifp(src), self._tap_out(src), "out")
            bpf_attach_tap(self.ifp(dst), self._tap_in(dst, d), "in")
        rx_socks, tx_socks = {}, {}
        for d, (src, dst) in ENDS.items():
            rx = await udp_socket(hosts.by_name[dst])
            rx.bind(UDP_PORT[d])
            rx_socks[d] = rx
            tx_socks[d] = await udp_socket(hosts.by_name[src])
        receivers = [self.plat.spawn(self.receiver(d, rx_socks[d]), f"soak-recv:{d}") for d in DIRS]
        senders = [self.plat.spawn(self.sender(d, tx_socks[d]), f"soak-send:{d}") for d in DIRS]
        sched = [self.plat.spawn(self.scheduler(), "soak-faults")] if self.cfg.faults else []
        for task in senders:
            await task.join()
        self.draining = True
        for task in sched:
            await task.join()
        await self.settle()
        await self.recovery(tx_socks)
        await self.settle()
        self.draining_done = True
        for task in receivers:
            await task.join()
        for sock in list(rx_socks.values()) + list(tx_socks.values()):
            sock.close()
        self.check_board()
        lines = []
        for d, (src, dst) in ENDS.items():
            after = await link_counters(hosts.by_name[src], hosts.by_name[dst], (src, dst))
            got = self.ifp(dst).if_ipackets - ipackets[dst]
            if got != self.in_tap[dst]:
                raise self.failed(f"{dst}: its driver counted {got} frames received (if_ipackets) but "
                                  f"ether_input saw {self.in_tap[dst]}")
            try:
                line = offered_line(dst, self.out_tap[src], self.in_tap[dst], before[d], after)
            except AssertionError as e:
                raise self.failed(f"{e}\n{self.where_lost(d, before[d], after)}\n{await self.nic_census(d)}") from None
            lines.append(line)
            self.lines.append(line)
            hosts.say(line)
            for k in after:
                if after[k] != before[d][k]:
                    self.board.emit({"event": "counted", "host": dst, "counter": k, "count": after[k] - before[d][k]})
        for d in DIRS:
            fired = int(getattr(self.dut, f"{WIRE[d]}_fault_fired").value)
            if fired != self.wire_armed[d] & 0xFFFF or int(getattr(self.dut, f"{WIRE[d]}_fault_armed").value):
                raise self.failed(f"{d}: {self.wire_armed[d]} wire errors armed, the injector applied {fired}")
        for h, io in hosts.by_name.items():
            now = io.live_resources()
            left = now.differs_from(start_res[h])
            if left:
                raise self.failed(f"{h} holds more than before the soak: {left}")
            # fewer is as wrong as more: each ring holds a full set of buffers again once the hosts settled
            for name in ("mbufs", "clusters"):
                if getattr(now, name) != getattr(start_res[h], name):
                    raise self.failed(f"{h} holds {getattr(now, name)} {name} after the soak, "
                                      f"{getattr(start_res[h], name)} before it: its rings are not whole")
        self.finished = True
        return SoakResult(self.generated, dict(self.board.offered), dict(self.board.delivered), list(self.fired),
                          dict(self.wire_armed), lines, self.plat.now_ns(), time.perf_counter() - self.t0,
                          sent=self.ours, refused=sum(self.refused.values()), interrupted=self.interrupted,
                          stopped_by=self.stopped_by, tour_down_ups=self.tour_down_ups)


# The faults the scheduler picks from, each on one host (``Soak.fault``): a DMA
# error on each kind of access, cable pull and re-plug, the PHY renegotiating
# to 100 or 10 Mb/s, the stack stalled (RX ring exhaustion), every cluster
# taken, ifconfig down/up, an MTU change and back, a media change and back, a
# multicast join or leave, promiscuous and all-multicast filter modes, and a
# second interface (devnp-sam) mounted and destroyed beside nic0.
FAULTS = [f"dma:{k}" for k in DMA_KINDS] + ["cable_pull", "renegotiate", "rx_ring_exhaustion", "cluster_exhaustion",
                                            "down_up", "mtu", "media", "multicast", "promisc", "allmulti",
                                            "second_interface"]
FILTER_FAULTS = ("multicast", "promisc", "allmulti")
# the coverage model's kind (nicsim.coverage.FAULT_KINDS) of each fault of FAULTS: the soak counts each fault
# under it, and the coverage report names a fault hole's SOAK_FAULT_NAMES from it (coverage_report.fault_reach)
COVERAGE_KIND = {**{f"dma:{k}": k for k in DMA_KINDS}, "cable_pull": "cable_pull", "renegotiate": "renegotiate",
                 "rx_ring_exhaustion": "rx_stall", "cluster_exhaustion": "cluster_exhaustion", "down_up": "down_up",
                 "mtu": "mtu_change", "media": "media_change", "multicast": "filter_change",
                 "promisc": "filter_change", "allmulti": "filter_change", "second_interface": "second_interface"}
# the faults whose helpers count themselves (inject_dma_error, stall_stack, hold_all_clusters: the hand-written
# scenarios call them too), so the soak does not count them a second time
SELF_COUNTED = {*(f"dma:{k}" for k in DMA_KINDS), "rx_ring_exhaustion", "cluster_exhaustion"}


async def run_soak(dut, cfg: SoakConfig) -> SoakResult:
    """Build both hosts on ``dut`` (``nic_pair_tb``), run one soak, tear down
    (every interface destroyed, each io-pkt back to what it held before the
    mount). Returns the ``SoakResult``; AssertionError with the seed and the
    replay command on any failure."""
    early: list[int] = []

    def note_early() -> None:  # a Ctrl-C or SIGTERM during the bring-up: the soak stops before its first frame
        for sig in STOP_SIGNALS:
            signal.signal(sig, lambda signum, frame: early.append(signum))

    if cfg.ctrl_c:
        note_early()
    hosts = await build_hosts(dut)
    if cfg.ctrl_c:
        note_early()  # again: Icarus's vvp puts its own handlers in (a signal ends the run) once time runs
    await bring_up_pair(hosts)
    soak = Soak(dut, hosts, cfg)
    artifacts.on_test_end(soak.on_end)
    if cfg.ctrl_c:
        if early:
            soak.interrupted, soak.stopped_by = True, signal_word(early[0])
        for sig in STOP_SIGNALS:
            signal.signal(sig, soak.on_sigint)
    result = await soak.run()
    await hosts.teardown()
    return result


# what the soak prints after a signal that came once the traffic had ended (``nicsim soak`` looks for it)
LATE_SIGNAL = "after the traffic ended: the run finishes as it was"
# the signals that stop the traffic and end the soak with its accounting: Ctrl-C, a CI timeout's SIGTERM,
# and SIGHUP (the terminal closed, the ssh session dropped)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def fault_names(text: str) -> list[str]:
    """``SOAK_FAULT_NAMES``: comma-separated names of ``FAULTS`` (empty: all of them) as a list;
    ValueError naming the unknown ones and listing the valid names, or for an empty entry
    (``mtu,,media``, ``,``: a name lost in editing would silently widen or narrow the run)."""
    if not text.strip():
        return []
    names = [f.strip() for f in text.split(",")]
    if not all(names):
        raise ValueError(f"an empty name in {text!r}: give names separated by single commas, or nothing for all "
                         f"of them")
    unknown = [f for f in names if f not in FAULTS]
    if unknown:
        raise ValueError(f"no fault named {', '.join(map(repr, unknown))}; the faults: {', '.join(FAULTS)}")
    return names


WIRE_RATE_MEANING = ("a chance, after each frame a direction generates, of arming a wire error for the next frame "
                     "to start on that wire; the injector takes one arm at a time, so 1 damages as many frames "
                     "as it can take, not every frame")


def wire_rate(text: str) -> float:
    """``SOAK_WIRE_RATE``: the chance, after each frame generated, of arming a wire error for the next
    frame on that direction's wire, 0 (none) to 1 (an arm whenever the injector is free: it holds one
    until a frame starts, so not every frame); ValueError outside that range or not a number."""
    try:
        rate = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not 0 <= rate <= 1:  # also refuses nan
        raise ValueError(f"{text} is not a chance: give 0 (no wire errors) to 1 (an arm whenever the injector "
                         f"is free)")
    return rate


def fault_gap(text: str) -> tuple[int, int]:
    """``SOAK_FAULT_GAP``: ``"MIN,MAX"``, the simulated nanoseconds between one fault's end and the
    next one's start, drawn evenly from MIN..MAX, 1 <= MIN <= MAX <= ``FAULT_GAP_LIMIT_NS``; returns
    (MIN, MAX); ValueError for anything else."""
    parts = text.split(",")
    try:
        lo, hi = (int(p.strip()) for p in parts)
    except ValueError:
        raise ValueError(f"SOAK_FAULT_GAP must be MIN,MAX in whole simulated nanoseconds, not {text!r}") from None
    if not 1 <= lo <= hi <= FAULT_GAP_LIMIT_NS:
        raise ValueError(f"SOAK_FAULT_GAP must have 1 <= MIN <= MAX <= {FAULT_GAP_LIMIT_NS} ns, not {text}")
    return lo, hi


# the SoakConfig fields that do not change what a run does, so a replay need not name them: the wall budget
# (a replay names the frames it reached instead), progress lines (Python state only), event listeners
# (they only watch) and whether a signal stops the traffic
RUN_NEUTRAL_FIELDS = frozenset({"seconds", "progress_s", "listeners", "ctrl_c"})


def replay_env(cfg: SoakConfig) -> str:
    """The ``SOAK_*=...`` words before ``make soak`` that make a run as ``cfg``'s: each field that changes
    the run (all but ``RUN_NEUTRAL_FIELDS``; seed and frames are make variables) and is not its default,
    each word followed by a space; quoted for the shell."""
    default = SoakConfig(seed=cfg.seed)
    words = []
    if cfg.fault_names:
        words.append(f"SOAK_FAULT_NAMES={shlex.quote(','.join(cfg.fault_names))}")
    if cfg.wire_error_rate != default.wire_error_rate:
        words.append(f"SOAK_WIRE_RATE={cfg.wire_error_rate!r}")
    if tuple(cfg.fault_gap_ns) != tuple(default.fault_gap_ns):
        words.append(f"SOAK_FAULT_GAP={cfg.fault_gap_ns[0]},{cfg.fault_gap_ns[1]}")
    if not cfg.faults:
        words.append("SOAK_FAULTS=0")
    if cfg.fault_tour:
        words.append("SOAK_FAULT_TOUR=1")
    return "".join(w + " " for w in words)


def replay_command(cfg: SoakConfig, frames: int | None, sim: str) -> str:
    """The command that replays a run of ``cfg`` on ``sim`` to its ``frames``-th generated frame
    (``make soak SEED=... FRAMES=... SIM=...``, ``replay_env``'s words first; a fault tour names no
    frames: it ends with its last fault)."""
    budget = "" if cfg.fault_tour or frames is None else f" FRAMES={frames}"
    return f"{replay_env(cfg)}make soak SEED={cfg.seed}{budget} SIM={sim}"


def switch(text: str, name: str) -> bool:
    """``SOAK_FAULTS`` or ``SOAK_FAULT_TOUR`` (``name``): exactly ``"0"`` or ``"1"``;
    ValueError for anything else (``no``, ``true``: a guess at what was meant would be silent)."""
    if text not in ("0", "1"):
        raise ValueError(f"{name} must be 0 or 1 (or empty for the default), not {text!r}")
    return text == "1"


def progress_seconds(text: str) -> float:
    """``SOAK_PROGRESS``: wall seconds between progress lines, 0 (none) to 3600; ValueError otherwise."""
    try:
        s = float(text)
    except ValueError:
        raise ValueError(f"SOAK_PROGRESS must be a number of wall seconds, not {text!r}") from None
    if not 0 <= s <= 3600:  # also refuses nan
        raise ValueError(f"SOAK_PROGRESS must be 0 (no progress lines) to 3600 seconds, not {text}")
    return s


DEFAULTS = {"SOAK_SEED": "1", "SOAK_SECONDS": "60", "SOAK_FRAMES": "", "SOAK_FAULTS": "1",
            "SOAK_WIRE_RATE": repr(DEFAULT_WIRE_RATE), "SOAK_FAULT_NAMES": "", "SOAK_PROGRESS": "5",
            "SOAK_FAULT_TOUR": "0", "SOAK_FAULT_GAP": ",".join(map(str, DEFAULT_FAULT_GAP_NS))}


def config_from_env(env=os.environ) -> SoakConfig:
    """The ``DEFAULTS``' variables as a ``SoakConfig`` that Ctrl-C and SIGTERM stop (``ctrl_c``):
    ``SOAK_SEED``, ``SOAK_SECONDS``, ``SOAK_FRAMES`` (none: the wall budget), ``SOAK_FAULTS`` (0: no
    scheduler), ``SOAK_WIRE_RATE`` (``wire_rate``), ``SOAK_FAULT_NAMES`` (``fault_names``),
    ``SOAK_PROGRESS`` (wall seconds), ``SOAK_FAULT_TOUR`` (1: each fault in each driver state, then
    stop), ``SOAK_FAULT_GAP`` (``fault_gap``). Unset or empty: the default. ValueError for a value the
    command side would have refused
    (``nicsim soak`` passes each one, validated)."""
    def get(name: str) -> str:
        return env.get(name) or DEFAULTS[name]

    frames = get("SOAK_FRAMES")
    return SoakConfig(seed=int(get("SOAK_SEED")), seconds=float(get("SOAK_SECONDS")),
                      frames=int(frames) if frames else None, faults=switch(get("SOAK_FAULTS"), "SOAK_FAULTS"),
                      wire_error_rate=wire_rate(get("SOAK_WIRE_RATE")),
                      fault_names=fault_names(get("SOAK_FAULT_NAMES")),
                      fault_tour=switch(get("SOAK_FAULT_TOUR"), "SOAK_FAULT_TOUR"),
                      fault_gap_ns=fault_gap(get("SOAK_FAULT_GAP")),
                      progress_s=progress_seconds(get("SOAK_PROGRESS")), ctrl_c=True)


def signal_word(signum: int | None) -> str:
    """How the soak's lines name the signal that stopped it: ``"SIGTERM"``, ``"SIGHUP"``, else ``"Ctrl-C"``."""
    return {signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}.get(signum, "Ctrl-C")


def plural(n: int, word: str) -> str:
    """``"1 fault"``, ``"2 faults"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(cfg: SoakConfig, res: SoakResult) -> str:
    """The closing lines of a soak: which frames (generated, sent; the scoreboard's own count of the
    soak's frames with the recovery datagrams, and how many of those it saw arrive), faults, wire
    errors, time, and each host's accounting line (offered there: every frame the other host's send
    queue took, ARP and replies included, so not the scoreboard's count). Empty for a soak stopped
    before its first frame (``nicsim soak`` says so in one line)."""
    if res.interrupted and not res.generated:
        return ""
    faults: dict[str, int] = {}
    for name, _, _ in res.faults:
        faults[name] = faults.get(name, 0) + 1
    recovery = sum(res.offered.values()) - res.sent
    head = [f"soak seed {cfg.seed}: interrupted by {res.stopped_by} after {res.generated} frames generated; "
            f"what follows is the run up to there"] if res.interrupted else []
    return "\n".join([
        *head,
        f"soak seed {cfg.seed}: frames {res.generated} generated, {res.sent} sent ({res.refused} refused by the "
        f"sender's stack); scoreboard: {sum(res.offered.values())} soak frames tracked with the {recovery} "
        f"recovery datagrams ({', '.join(f'{d} {n}' for d, n in res.offered.items())}), "
        f"{sum(res.delivered.values())} of them seen to arrive; "
        f"{plural(len(res.faults), 'fault')}, {plural(sum(res.wire_errors.values()), 'wire error')}; "
        f"{res.sim_ns / 1e6:.3f} ms simulated in {res.wall_s:.1f} s",
        "faults: " + (", ".join(f"{k} {v}" for k, v in sorted(faults.items())) or "none")
        + (f"; the tour's own ifconfig down/up to reach the stopping state: {res.tour_down_ups}"
           if res.tour_down_ups else ""),
        "accounting per receiving host, every frame on the link (offered: every frame the other host's send "
        "queue took, ARP, pings, replies and recovery datagrams included; not the scoreboard's count):",
        *res.lines,
    ]) + "\n"


@testing.test()
async def soak_job(dut):
    """``nicsim soak`` / ``make soak``: one soak configured by the environment (``config_from_env``)."""
    # `nicsim soak` gone (killed, even SIGKILL): so is this simulator, at once (SIGKILL: SIGTERM is the soak's
    # own signal to stop the traffic and end with the accounting, as Ctrl-C)
    lifeline.die_with_runner(signal.SIGKILL)
    cfg = config_from_env()
    result = await run_soak(dut, cfg)
    print(summary(cfg, result), end="", flush=True)
