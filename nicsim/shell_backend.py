"""The simulation side of ``nicsim shell``: a cocotb test that builds the
hosts, then runs the commands the terminal side (:mod:`nicsim.shell`) sends
over its socket (:mod:`nicsim.shell_wire`) until it says ``exit``.

While it waits for a command it blocks in the socket read, inside the
simulator's Python: simulated time stands still while the person types
(``run_while_idle`` in the configuration lets it run instead, polling the
socket every ``POLL_NS`` of simulated time, for a bench whose peer lives
outside the simulation). A command runs as a cocotb task until it ends;
meanwhile the socket is looked at every ``POLL_NS`` of simulated time (one
``Timer``, never per clock) for a Ctrl-C, which raises the command's
``SigInt`` (ping stops and prints its statistics), and io-pkt's new slog
lines are sent on as they appear.

A bench is a toplevel and a coroutine that makes the session on it
(``BENCHES``): ``pair`` is ``nic_pair_tb``'s two hosts, devnp-nic mounted
and 10.0.0.1/24, 10.0.0.2/24 configured (``bare`` in the configuration: nothing mounted);
``tap`` is host A alone, its NIC's cable bridged to a Linux TAP in a network
namespace (:mod:`nicsim.tap`), simulated time running at the prompt so Linux
is answered, and a ``linux`` command that runs a Linux command in the
namespace. Another bench adds an entry there, and its own commands with
``Session.add_command``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import cocotb
from cocotb.triggers import Event, First, Timer

from iopkt.kern.sig import SigInt
from iopkt.sbin.shell import COMMANDS as UTILITIES
from iopkt.sbin.shell import run_command
from nicsim import artifacts, lifeline, tap, testing
from nicsim.faults import DMA_KINDS
from nicsim.shell_wire import CONFIG_ENV, SOCKET_ENV, Channel
from nicsim.two_hosts import Hosts, bring_up_pair, build_hosts, inject_dma_error

# how often a running command (or an idle bench that runs) looks at the socket: 12,500 clocks of 8 ns
POLL_NS = 100_000
# sleep's limit without -f: 100 ms of simulated time is already a minute or more of wall time on Icarus
MAX_SLEEP_NS = 100_000_000
MAX_FORCED_SLEEP_NS = 60_000_000_000
WARN_WALL_S = 10  # sleep says what it will cost when its estimate is longer than this
# wall seconds per simulated second before a session has measured its own (nic_pair_tb, a 2-core machine)
TYPICAL_WALL_PER_SIM_S = {"verilator": 1_000, "icarus": 10_000}
CABLE_SETTLE_NS = 100_000  # after a pull or plug: time for both PHYs to see it and their drivers to log it
_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}

# what the utilities of io-pkt do, for `help` (their own usage lines are theirs)
UTILITY_HELP = {
    "ifconfig": "configure or show interfaces (ifconfig -a, ifconfig nic0 10.0.0.1/24, ifconfig nic0 down)",
    "ping": "ICMP echo: ping [-c count] [-i interval] [-s size] [-W wait] host (Ctrl-C stops it)",
    "arp": "the ARP table (arp -a)",
    "netstat": "protocol statistics and the routing table (netstat -s, netstat -rn)",
    "nicinfo": "the driver's and NIC's statistics (nicinfo nic0)",
    "pidin": "io-pkt's threads (pidin thread)",
    "mount": "load a driver: mount -T io-pkt [-o options] /lib/dll/devnp-nic.so",
    "umount": "detach an interface: umount /dev/io-net/nic0",
    "udpsend": "send one UDP datagram: udpsend [-n] HOST PORT TEXT... (this simulation's own, not a QNX utility)",
    "udprecv": "print UDP datagrams arriving on a port: udprecv [-c COUNT] PORT (Ctrl-C stops it; "
               "this simulation's own)",
}


def parse_duration(text: str, limit_ns: int = MAX_SLEEP_NS) -> int:
    """``"10ms"``, ``"250us"``, ``"1.5s"``, ``"800ns"`` (a unit is required) as nanoseconds,
    1 ns to ``limit_ns``; ValueError naming the problem otherwise."""
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|ms|s)?", text.strip())
    if not m:
        raise ValueError(f"not a duration: {text!r} (say 10ms, 250us, 1s)")
    if not m.group(2):
        raise ValueError(f"{text}: give a unit (ns, us, ms, s): simulated time costs far more wall time")
    ns = round(float(m.group(1)) * _UNITS[m.group(2)])
    if not 1 <= ns <= limit_ns:
        raise ValueError(f"{text} is out of range 1ns..{_human_ns(limit_ns)}")
    return ns


def _human_ns(ns: int) -> str:
    for unit in ("s", "ms", "us"):
        if ns >= _UNITS[unit]:
            return f"{ns / _UNITS[unit]:g}{unit}"
    return f"{ns}ns"


def _human_s(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_ns(ns: int) -> str:
    """Simulated nanoseconds as seconds with nine decimals, as sloginfo's clock reads."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d} s"


@dataclass
class SimCommand:
    """A command of the simulation itself: ``run(session, host, argv, out, intr) -> status``."""

    run: Callable[..., Awaitable[int]]
    usage: str
    help: str


class Session:
    """The hosts of one bench and the commands the shell offers on them.
    ``hosts``: a ``two_hosts.Hosts`` (or anything with its ``by_name`` and
    ``platforms``); ``dut``: the toplevel; ``run_while_idle``: simulated time
    runs while no command does."""

    def __init__(self, dut, hosts: Hosts, run_while_idle: bool = False, banner: str = ""):
        self.dut = dut
        self.banner = banner
        self.hosts = hosts
        self.run_while_idle = run_while_idle
        self.commands: dict[str, SimCommand] = {}
        self.chan: Channel | None = None
        self._slog_seen = {name: 0 for name in hosts.by_name}  # the bring-up's lines come with the ready message
        self.capture: str | None = str(artifacts.folder()) if artifacts.folder() else None
        self._captures = 0
        self.cable_pulled = False
        self._on_end: list[Callable[[], None]] = []
        self.terminal_gone = False
        self.cwd = os.getcwd()  # where the person started the shell: relative paths are theirs
        self._sim_ns = 0  # simulated time and wall time spent in commands so far: sleep's estimate
        self._wall_s = 0.0
        for name, cmd in BUILTIN.items():
            self.add_command(name, cmd)

    def add_command(self, name: str, cmd: SimCommand) -> None:
        self.commands[name] = cmd

    def on_end(self, callback: Callable[[], None]) -> None:
        """``callback()`` once the session ends, after the teardown, whether or not it passed
        (a bench's own clean-up: close a device, remove a namespace); last added, first called."""
        self._on_end.append(callback)

    def now_ns(self) -> int:
        return next(iter(self.hosts.platforms.values())).now_ns()

    def wall_per_sim_s(self) -> float | None:
        """Wall seconds one simulated second has cost in the commands so far (the simulator's typical
        figure until a millisecond has run; None for an unknown simulator)."""
        if self._sim_ns >= 1_000_000:
            return self._wall_s / (self._sim_ns / 1e9)
        return TYPICAL_WALL_PER_SIM_S.get(os.environ.get("SIM", "icarus"))

    # ------------------------------------------------------------ serving
    async def serve(self, chan: Channel) -> None:
        """Answer the terminal side until it says ``exit`` or goes away; then tear
        every interface down (``Hosts.teardown``: nothing leaked) and say so."""
        self.chan = chan
        try:
            await self._serve(chan)
        finally:
            for callback in reversed(self._on_end):
                callback()

    async def _serve(self, chan: Channel) -> None:
        help_lines = {name: UTILITY_HELP.get(name, "") for name in UTILITIES}
        help_lines.update({name: f"{c.usage}: {c.help}" for name, c in self.commands.items()})
        self.send({"op": "ready", "hosts": list(self.hosts.by_name), "commands": help_lines,
                   "artifacts": str(artifacts.folder() or ""), "sim": os.environ.get("SIM", "icarus"),
                   "banner": self.banner, "run_while_idle": self.run_while_idle, "log": self.new_slog(),
                   "now_ns": self.now_ns()})
        while True:
            try:
                msg = await self._next_message()
            except (EOFError, OSError):
                break  # the terminal side went away: end as for exit
            if msg["op"] == "exit":
                break
            if msg["op"] == "run":
                status = await self.run(msg["host"], msg["line"])
                self.flush_slog()
                self.send({"op": "done", "status": status})
                if self.terminal_gone:
                    break
            # an "intr" with no command running is the prompt's Ctrl-C: nothing to stop
        lines = []
        teardown = getattr(self.hosts, "teardown", None)
        if teardown is not None:
            transcript = len(self.hosts.transcript)
            try:
                await teardown()
                lines.append("every interface destroyed, nothing left allocated")
            except AssertionError as e:
                lines += self.hosts.transcript[transcript:] + [f"teardown: {e}"]
        self.flush_slog()
        self.send({"op": "bye", "lines": lines, "now_ns": self.now_ns()})

    async def _next_message(self) -> dict:
        if not self.run_while_idle:
            return self.chan.recv()  # blocks the simulator: simulated time stands still at the prompt
        while (msg := self.chan.recv(timeout=0)) is None:
            await Timer(POLL_NS, "ns")
            self.flush_slog()
        return msg

    async def run(self, host: str, line: str) -> int:
        """Run one command line on ``host`` to its end, its output sent line by line;
        returns its exit status (1 and a message if it raised)."""
        intr = SigInt()
        ns0, wall0 = self.now_ns(), time.perf_counter()
        task = cocotb.start_soon(self._execute(host, line, intr))
        while not task.done():
            await First(task.complete, Timer(POLL_NS, "ns"))
            self.flush_slog()
            try:
                msg = self.chan.recv(timeout=0)
            except (EOFError, OSError):
                self.terminal_gone = True
                msg = {"op": "intr"}  # the terminal went away: stop what can be stopped
            if msg is not None and msg["op"] == "intr":
                intr.raise_()
        self._sim_ns += self.now_ns() - ns0
        self._wall_s += time.perf_counter() - wall0
        try:
            return task.result()
        except OSError as e:  # a file the command was given: the system's words, as a utility prints them
            self.out(f"{line.split()[0]}: {e.filename + ': ' if e.filename else ''}{(e.strerror or str(e)).lower()}")
            return 1
        except Exception as e:  # noqa: BLE001 - a failing command is reported, the session goes on
            self.out(f"{line.split()[0]}: {type(e).__name__}: {e}")
            return 1

    async def _execute(self, host: str, line: str, intr: SigInt) -> int:
        try:
            argv = shlex.split(line)  # quoting as sh reads it, as io-pkt's own utilities get it
        except ValueError as e:
            self.out(f"sh: syntax error: {e}")
            return 2
        cmd = self.commands.get(argv[0]) if argv else None
        if cmd is not None:
            return await cmd.run(self, host, argv, self.out, intr)
        echoed = []
        iopkt = self.hosts.by_name[host]
        # mount prints what the driver logged; here the slog lines stream already: show them once
        logged_before = len(iopkt.log) if argv and argv[0] == "mount" else None

        def out(text: str) -> None:
            if not echoed:
                echoed.append(text)  # run_command's own echo of the prompt: the terminal shows its own
            elif logged_before is None or text not in iopkt.log[logged_before:]:
                self.out(text)

        res = await run_command(self.hosts.by_name, line, out=out, host=host, intr=intr)
        if res.status == 127:
            self.out("(help lists the commands)")
        return res.status

    def out(self, line: str) -> None:
        self.flush_slog()  # what io-pkt logged before this line is printed before it, as on a console
        self.send({"op": "out", "line": line})

    def send(self, msg: dict) -> None:
        """To the terminal, if it is still there: one that went away (killed, its window closed)
        ends the session after the running command, as for ``exit``."""
        if self.terminal_gone:
            return
        try:
            self.chan.send(msg)
        except OSError:
            self.terminal_gone = True

    def new_slog(self) -> list[str]:
        """The io-pkt log lines of every host written since the last look, oldest first, as sloginfo prints them."""
        new = []
        for name, iopkt in self.hosts.by_name.items():
            seen = self._slog_seen.get(name, 0)
            if len(iopkt.log) > seen:
                new += iopkt.slog_entries()[seen:]
                self._slog_seen[name] = len(iopkt.log)
        return [line for _, line in sorted(new, key=lambda e: e[0])]

    def flush_slog(self) -> None:
        """Send ``new_slog()`` to the terminal."""
        for line in self.new_slog():
            self.send({"op": "log", "line": line})


# ------------------------------------------------------------ the simulation's commands

SLEEP_USAGE = f"usage: sleep [-f] DURATION   (10ms, 250us; up to {_human_ns(MAX_SLEEP_NS)}, -f: up to " \
              f"{_human_ns(MAX_FORCED_SLEEP_NS)})"


async def _sleep(session: Session, host, argv, out, intr: SigInt) -> int:
    forced = len(argv) == 3 and argv[1] == "-f"
    if len(argv) != 2 and not forced:
        out(SLEEP_USAGE)
        return 1
    try:
        ns = parse_duration(argv[-1], MAX_FORCED_SLEEP_NS if forced else MAX_SLEEP_NS)
    except ValueError as e:
        out(f"sleep: {e}" + ("" if forced or "range" not in str(e) else
                             " (-f allows more: 1 s of simulated time is minutes to hours of wall time)"))
        return 1
    rate = session.wall_per_sim_s()
    if rate is not None and ns / 1e9 * rate > WARN_WALL_S:
        out(f"sleep: {_human_ns(ns)} of simulated time takes about {_human_s(ns / 1e9 * rate)} of wall time "
            f"here (Ctrl-C stops it)")
    woken = Event()
    intr.watch(woken)
    try:
        await First(Timer(ns, "ns"), woken.wait())
    finally:
        intr.unwatch(woken)
    if intr.raised:
        out("")  # the terminal's ^C stays on its own line, as ping leaves it
        return 130  # as sh reports a command SIGINT ended
    return 0


async def _time(session: Session, host, argv, out, intr) -> int:
    if len(argv) != 1:
        out("usage: time")
        return 1
    out(f"simulated time {format_ns(session.now_ns())}")
    return 0


async def _cable(session: Session, host, argv, out, intr) -> int:
    dut = session.dut
    if len(argv) == 1 or argv[1:] == ["status"]:
        out("cable " + ("pulled" if session.cable_pulled else "in"))
        return 0
    if len(argv) != 2 or argv[1] not in ("pull", "plug"):
        out("usage: cable [pull | plug | status]")
        return 1
    session.cable_pulled = argv[1] == "pull"
    dut.cable_pull.value = int(session.cable_pulled)
    await Timer(CABLE_SETTLE_NS, "ns")
    out(f"cable {'pulled' if argv[1] == 'pull' else 'plugged in'} ({CABLE_SETTLE_NS // 1000} us of simulated time "
        f"let pass for the PHYs to see it)")
    return 0


async def _dmaerr(session: Session, host, argv, out, intr) -> int:
    usage = f"usage: dmaerr KIND [COUNT]   KIND one of {', '.join(DMA_KINDS)}; COUNT 1..1000 (default 1)"
    if len(argv) not in (2, 3) or argv[1] not in DMA_KINDS or (len(argv) == 3 and not argv[2].isdigit()):
        out(usage)
        return 1
    count = int(argv[2]) if len(argv) == 3 else 1
    if not 1 <= count <= 1000:
        out(usage)
        return 1
    if not session.hosts.by_name[host].alldevs:
        out(f"dmaerr: {host} has no NIC driver mounted")
        return 1
    inject_dma_error(session.hosts, host, argv[1], count)
    out(f"{host}'s NIC gets SLVERR on its next {f'{count} {argv[1]} bursts' if count > 1 else argv[1] + ' burst'}")
    return 0


async def _log(session: Session, host, argv, out, intr) -> int:
    log = session.hosts.event_log
    if log is None:
        out("log: the register and interrupt log is off (NICSIM_EVENT_LOG=0)")
        return 1
    if len(argv) > 2 or (len(argv) == 2 and (not argv[1].isdigit() or int(argv[1]) == 0)):
        out("usage: log [N]   (the last N events, N >= 1, default 20)")
        return 1
    n = int(argv[1]) if len(argv) == 2 else 20
    out(f"{'time_ns':>12} {'host':<6} {'device':<11} {'event':<7} detail   (legend: events.log in the session's files)")
    for line in [line for line in log.lines() if not line.startswith("#")][-n:]:
        out(line)
    return 0


async def _sloginfo(session: Session, host, argv, out, intr) -> int:
    if len(argv) != 1:
        out("usage: sloginfo")
        return 1
    for line in session.hosts.by_name[host].sloginfo().splitlines():
        out(line)
    return 0


async def _pcap(session: Session, host, argv, out, intr) -> int:
    from nicsim.pcap import HDL_WIRES, retarget_hdl_wires

    if len(argv) == 1:
        out(f"capturing to {session.capture} ({', '.join(w + '.pcap' for w in HDL_WIRES)})"
            if session.capture else "not capturing (pcap on starts)")
        return 0
    if argv[1] not in ("on", "off") or len(argv) > 3 or (argv[1] == "off" and len(argv) == 3):
        out("usage: pcap [on [FOLDER] | off]")
        return 1
    if argv[1] == "off":
        retarget_hdl_wires(None)
        out(f"capture stopped; the files stay in {session.capture}" if session.capture else "not capturing")
        session.capture = None
        return 0
    made = ""
    if len(argv) == 3:
        # ~ as a shell expands it; a relative path from the folder the shell was started in
        folder = Path(session.cwd, os.path.expanduser(argv[2])).resolve()
        if folder.exists() and not folder.is_dir():
            out(f"pcap: {folder}: not a directory")
            return 1
        if not folder.exists():
            made = " (folder created)"
    else:  # a new folder each time: the captures already written are never overwritten
        session._captures += 1
        folder = Path(artifacts.folder() or ".").absolute() / f"capture-{session._captures}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        retarget_hdl_wires(folder)
    except OSError as e:
        out(f"pcap: {e.filename or folder}: {(e.strerror or str(e)).lower()}")
        return 1
    session.capture = str(folder)
    out(f"capturing to {folder}{made} ({', '.join(w + '.pcap' for w in HDL_WIRES)})")
    return 0


async def _waves(session: Session, host, argv, out, intr) -> int:
    folder = artifacts.folder()
    if os.environ.get("WAVES", "0") not in ("", "0"):
        out(f"recording the whole session to {folder}/waves.fst (started with WAVES=1)")
    else:
        out("not recording waves: start the shell with WAVES=1 (make shell WAVES=1) to record the whole session")
    out("waves cannot be started or stopped mid-session: the dump is opened when the simulator starts "
        "(Icarus: cocotb's $dumpvars module; Verilator: the trace compiled into the model) and cocotb "
        "offers no $dumpon/$dumpoff")
    return 0


BUILTIN = {
    "sleep": SimCommand(_sleep, "sleep [-f] DURATION",
                        f"let simulated time pass (10ms, 250us; a unit is required; up to {_human_ns(MAX_SLEEP_NS)}, "
                        f"-f up to {_human_ns(MAX_FORCED_SLEEP_NS)}: 1 ms costs about a second of wall time on "
                        f"Verilator, ten on Icarus; Ctrl-C stops it)"),
    "time": SimCommand(_time, "time", "the simulated time"),
    "cable": SimCommand(_cable, "cable [pull | plug | status]", "pull or plug the cable between the two NICs"),
    "dmaerr": SimCommand(_dmaerr, "dmaerr KIND [COUNT]",
                         "SLVERR on this host's NIC's next DMA burst(s) of KIND (" + ", ".join(DMA_KINDS) + ")"),
    "log": SimCommand(_log, "log [N]", "the last N entries of the register and interrupt log (both hosts)"),
    "sloginfo": SimCommand(_sloginfo, "sloginfo", "this host's io-pkt log (slog)"),
    "pcap": SimCommand(_pcap, "pcap [on [FOLDER] | off]",
                       "where the cable's pcaps go; stop or restart them (FOLDER: ~ expanded, relative to the "
                       "folder the shell started in, made if missing)"),
    "waves": SimCommand(_waves, "waves", "whether waves are being recorded (make shell WAVES=1)"),
}


# ------------------------------------------------------------ benches

async def start_pair(dut, config: dict) -> Session:
    """``nic_pair_tb``: two hosts, devnp-nic mounted and addressed unless ``config["bare"]``."""
    hosts = await build_hosts(dut)
    if config.get("bare"):
        banner = "hostA and hostB on nic_pair_tb's two NICs, one cable; no driver mounted"
    else:
        await bring_up_pair(hosts)
        banner = "hostA 10.0.0.1 and hostB 10.0.0.2, devnp-nic's nic0 on each, the two RTL NICs on one cable"
    return Session(dut, hosts, run_while_idle=bool(config.get("run_while_idle")), banner=banner)


async def _linux(ns: tap.TapNamespace, argv, out, intr: SigInt) -> int:
    """``linux COMMAND...``: run it in ``ns`` (no input, stderr with stdout), its lines sent as they come,
    simulated time running until it ends; the command's SIGINT raises SIGINT in it. Returns its status
    (128 + N for a signal, as sh reports it)."""
    if len(argv) < 2:
        out("usage: linux COMMAND [ARG...]   (e.g. linux ping -c 3 10.0.0.1; no input; Ctrl-C sends it SIGINT)")
        return 1
    try:
        proc = ns.popen(argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=False)
    except OSError as e:
        out(f"linux: {argv[1]}: {e.strerror}")
        return 127
    os.set_blocking(proc.stdout.fileno(), False)
    pending = b""
    signalled = False
    while True:
        ended = proc.poll() is not None
        while chunk := proc.stdout.read(65536) or b"":
            pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            out(line.decode(errors="replace"))
        if ended:
            break
        if intr.raised and not signalled:
            proc.send_signal(signal.SIGINT)  # `ip netns exec` has exec'd the command: this is its pid
            signalled = True
        await Timer(POLL_NS, "ns")  # simulated time runs while Linux works, one wake-up per step
    if pending:
        out(pending.decode(errors="replace"))
    proc.stdout.close()
    if signalled and proc.returncode == -signal.SIGINT:
        out("")  # the terminal's ^C stays on its own line
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


async def start_tap(dut, config: dict) -> Session:
    """``nic_pair_tb`` with the TAP bridge: host A, devnp-nic mounted, 10.0.0.1/24, its cable to a TAP
    in a namespace of its own (:class:`nicsim.tap.TapNamespace`, removed when the session ends)."""
    ns = tap.TapNamespace().create()
    try:
        hosts = await tap.build_tap_host(dut, ns)
    except BaseException:
        tap.detach()
        ns.remove()
        raise
    session = Session(dut, hosts, run_while_idle=True, banner=tap.instructions(ns).replace(
        "Ctrl-C ends the simulation and removes the namespace.",
        "Or from this prompt: linux ping 10.0.0.1. Ending the session removes the namespace."))
    session.on_end(ns.remove)
    session.on_end(tap.detach)  # last added, first run: the simulator lets go of the TAP, then it goes
    session.commands["cable"] = SimCommand(_cable, "cable [pull | plug | status]",
                                           f"pull or plug the cable between host A's NIC and Linux's {ns.ifname}")
    session.add_command("linux", SimCommand(lambda _session, _host, argv, out, intr: _linux(ns, argv, out, intr),
                                            "linux COMMAND [ARG...]",
                                            f"run a Linux command in the namespace of {ns.ifname}, the peer of "
                                            f"host A (simulated time runs meanwhile; Ctrl-C sends it SIGINT)"))
    return session


@dataclass
class Bench:
    """A toplevel (built with ``parameters``) and the coroutine that makes the session on it."""

    toplevel: str
    start: Callable[[object, dict], Awaitable[Session]]
    parameters: dict = field(default_factory=dict)


BENCHES = {"pair": Bench("nic_pair_tb", start_pair), "tap": Bench("nic_pair_tb", start_tap, tap.PARAMETERS)}


@testing.test()  # its test-end hook writes events.log and slog.txt beside the session's pcaps
async def shell_session(dut):
    """``nicsim shell``'s simulation: the bench named in ``NICSIM_SHELL_CONFIG``, served
    on the socket named in ``NICSIM_SHELL_SOCKET`` until the terminal side says exit."""
    lifeline.die_with_runner()  # the backend process gone (its terminal side killed): so is the simulator
    config = json.loads(os.environ.get(CONFIG_ENV) or "{}")
    chan = Channel.connect(os.environ[SOCKET_ENV])
    try:
        session = await BENCHES[config.get("bench", "pair")].start(dut, config)
        session.cwd = config.get("cwd") or session.cwd
        await session.serve(chan)
    finally:
        chan.close()
