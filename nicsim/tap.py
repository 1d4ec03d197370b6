"""The TAP bridge: real Linux as the link partner of a simulated io-pkt host.

``nic_pair_tb`` built with ``TAP_BRIDGE=1`` (:data:`PARAMETERS`) sends NIC
A's cable to a Linux TAP interface (``rtl/tb/gmii_tap.v`` and its C side):
frames the Linux kernel sends enter the RTL MAC, frames the NIC sends appear
on the TAP. The TAP lives in a network namespace of its own
(:class:`TapNamespace`), so no frame of the simulation ever reaches a real
network, and everything it holds goes with it.

The pieces, for a bench or a command of one's own:

- :func:`unavailable` — why the bridge cannot run here (not root, no
  ``/dev/net/tun``, no ``ip``, a Linux tool missing), or None;
- :class:`TapNamespace` — make the namespace with the TAP in it, addressed
  and up (``create``), and remove it (``remove``; also at exit, and by a
  reaper process if this one dies), run Linux commands in it (``argv``,
  ``popen``); :func:`clean_stale` removes what a killed run left;
- inside the simulation: :func:`attach` (the simulator opens the TAP),
  :func:`build_tap_host` (host A's io-pkt with devnp-nic mounted, ``nic0``
  addressed), :func:`wait_process` (simulated time keeps running while a
  Linux command works), :func:`tap_counters`;
- :func:`run_tap` — ``nicsim tap`` (``make tap``): the bridged host, until Ctrl-C (or SIGTERM, SIGHUP);
  the simulation dies with the command however the command dies.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

PARAMETERS = {"TAP_BRIDGE": 1}  # nic_pair_tb's parameter set with the bridge
NETNS_PREFIX = "nicsim-tap-"    # + the owning process's pid (+ "-n" for a second one in that process)
IFNAME = "tap0"
LINUX_ADDR = "10.0.0.254"       # the TAP's address, the Linux side
HOST_ADDR = "10.0.0.1"          # the simulated host's (host A's nic0)
PREFIX_LEN = 24
# the Linux tools a person (and the tests) point at the simulated host: command -> Debian package
TOOLS = {"ping": "iputils-ping", "arping": "iputils-arping", "nc": "netcat-openbsd", "tcpdump": "tcpdump"}

_names = itertools.count()


class TapError(RuntimeError):
    """The bridge cannot be set up: the message says what is missing or what failed."""


def unavailable(tools: tuple[str, ...] | list[str] = ()) -> str | None:
    """Why the bridge cannot run on this machine, or None if it can: not root, no ``/dev/net/tun``
    (or it cannot be opened), no ``ip`` (iproute2), no right to make a network namespace, or a command
    of ``tools`` (names in :data:`TOOLS`) missing, with the ``apt-get`` line that installs it."""
    if os.geteuid() != 0:
        return "the TAP bridge needs root (it makes a network namespace and a TAP device); run as root"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun (the tun module is not loaded, or the container has no access to it)"
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR))
    except OSError as e:
        return f"cannot open /dev/net/tun: {e.strerror}"
    if shutil.which("ip") is None:
        return "no `ip` command: apt-get install -y iproute2"
    # root without CAP_SYS_ADMIN (an unprivileged container) cannot make a namespace: ask once, leaving nothing
    if shutil.which("unshare") is not None:
        probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            return f"cannot make a network namespace (unshare --net: {probe.stderr.strip()}); a container " \
                   "without CAP_SYS_ADMIN?"
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        return (f"missing {', '.join(missing)}: apt-get install -y {' '.join(TOOLS[t] for t in missing)}"
                " (or `make tools` as root)")
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise TapError(f"ip {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def namespaces() -> list[str]:
    """The names of the network namespaces this module's bridges made that exist now."""
    out = _ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(NETNS_PREFIX)]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delete(name: str) -> None:
    """Kill what runs in namespace ``name`` (processes this bridge's users started there), then delete it:
    the TAP and every other device in it go with it."""
    pids = _ip("netns", "pids", name, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    _ip("netns", "del", name, check=False)


def clean_stale() -> list[str]:
    """Delete the namespaces of bridges whose owning process is gone (a run killed before it could
    clean up); returns their names. Those of live processes (another run) are left alone."""
    removed = []
    for name in namespaces():
        m = re.fullmatch(re.escape(NETNS_PREFIX) + r"(\d+)(?:-\d+)?", name)
        if m and not _pid_alive(int(m.group(1))):
            _delete(name)
            removed.append(name)
    return removed


# Deletes the namespace when its owner is gone however it went (exit, Ctrl-C, a crash, SIGKILL): the
# owner holds the write end of this shell's stdin, so `read` returns when the owner's process ends. In
# a session of its own, so the Ctrl-C of the owner's terminal does not stop it first.
_REAPER = 'read _ignored; for p in $(ip netns pids "$1" 2>/dev/null); do kill -9 "$p"; done; ' \
          'ip netns del "$1" 2>/dev/null; exit 0'


@dataclass
class TapNamespace:
    """A network namespace holding a TAP device ``ifname`` at ``address``/``prefix_len``, up, IPv6 off
    (so Linux sends only what it is asked to: no router solicitations or MLD reports on the wire).

    ``create()`` makes it (raises :class:`TapError` saying what is missing or what failed; a namespace
    a killed run left is removed first), ``remove()`` deletes it with everything running in it
    (idempotent). Also removed at this process's exit (atexit, SIGTERM, SIGHUP) and, if the process
    dies without running those, by a reaper process that waits for its end. A context manager too::

        with TapNamespace() as ns:
            subprocess.run(ns.argv(["ping", "-c", "1", HOST_ADDR]))
    """

    ifname: str = IFNAME
    address: str = LINUX_ADDR
    prefix_len: int = PREFIX_LEN
    name: str = ""
    _reaper: subprocess.Popen | None = field(default=None, repr=False)

    def create(self) -> TapNamespace:
        reason = unavailable()
        if reason:
            raise TapError(reason)
        clean_stale()
        n = next(_names)
        self.name = f"{NETNS_PREFIX}{os.getpid()}" + (f"-{n}" if n else "")
        _remove_at_exit()
        _ip("netns", "add", self.name)
        _live[self.name] = self
        self._reaper = subprocess.Popen(["sh", "-c", _REAPER, "nicsim-tap-reaper", self.name],
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _ip("-n", self.name, "tuntap", "add", "dev", self.ifname, "mode", "tap")
            for key in (f"net.ipv6.conf.{self.ifname}.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"):
                subprocess.run(self.argv(["sysctl", "-qw", f"{key}=1"]), capture_output=True, check=False)
            _ip("-n", self.name, "addr", "add", f"{self.address}/{self.prefix_len}", "dev", self.ifname)
            _ip("-n", self.name, "link", "set", self.ifname, "up")
            _ip("-n", self.name, "link", "set", "lo", "up")
        except BaseException:
            self.remove()
            raise
        return self

    def remove(self) -> None:
        if not self.name:
            return
        _delete(self.name)
        _live.pop(self.name, None)
        if self._reaper is not None:
            self._reaper.stdin.close()  # the reaper finds the namespace gone and exits
            try:
                self._reaper.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._reaper.kill()
            self._reaper = None

    def argv(self, command: list[str]) -> list[str]:
        """``command`` run inside the namespace (``ip netns exec``)."""
        return ["ip", "netns", "exec", self.name, *command]

    def popen(self, command: list[str], **kwargs) -> subprocess.Popen:
        """Start ``command`` inside the namespace (``subprocess.Popen`` keywords; output captured as text
        unless given). Killed by ``remove()`` if still running."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("text", True)
        return subprocess.Popen(self.argv(command), **kwargs)

    def __enter__(self) -> TapNamespace:
        return self.create()

    def __exit__(self, *exc) -> None:
        self.remove()


_live: dict[str, TapNamespace] = {}


def _remove_all() -> None:
    for ns in list(_live.values()):
        ns.remove()


def _on_signal(signum, frame) -> None:
    _remove_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _remove_at_exit() -> None:
    """Once per process, at the first namespace: remove every live one at exit and at SIGTERM or
    SIGHUP (where those still have their default action; the signal then acts as it would have)."""
    if getattr(_remove_at_exit, "done", False):
        return
    _remove_at_exit.done = True
    atexit.register(_remove_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # not the main thread, or a host program that keeps its signals
            pass


# ------------------------------------------------------------------ inside the simulation

def _lib() -> ctypes.CDLL:
    from nicsim import host_mem

    c = host_mem.lib()
    if not getattr(c, "_tap_typed", False):
        c.gt_attach.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        c.gt_attach.restype = ctypes.c_int
        c.gt_error.restype = ctypes.c_char_p
        c.gt_counters.argtypes = [ctypes.POINTER(ctypes.c_uint64)]
        c._tap_typed = True
    return c


def attach(ns: TapNamespace) -> None:
    """Connect the running bench's bridge (``nic_pair_tb`` with :data:`PARAMETERS`) to ``ns``'s TAP:
    the simulator's C side opens it from inside the namespace. Raises :class:`TapError`."""
    c = _lib()
    if c.gt_attach(ns.name.encode(), ns.ifname.encode()) != 0:
        raise TapError(f"the simulator could not open TAP {ns.ifname} in {ns.name}: {c.gt_error().decode()}")


def detach() -> None:
    """Close the simulator's end of the TAP (frames the NIC sends are then dropped at the far end)."""
    _lib().gt_detach()


def tap_counters() -> dict[str, int]:
    """The bridge's counts: ``to_linux`` (frames written to the TAP), ``from_linux`` (frames read from it),
    ``dropped`` (bursts from the NIC with tx_er, no SFD, a bad FCS, under 64 bytes), ``write_errors``."""
    out = (ctypes.c_uint64 * 4)()
    _lib().gt_counters(out)
    return dict(zip(("to_linux", "from_linux", "dropped", "write_errors"), out, strict=True))


async def build_tap_host(dut, ns: TapNamespace, address: str = HOST_ADDR, prefix_len: int = PREFIX_LEN,
                         options: str | None = None, dma_checker: bool | None = None,
                         event_log: bool | None = None):
    """Host A (``nicsim.two_hosts.Hosts`` with ``hostA`` only) on ``nic_pair_tb`` built with
    :data:`PARAMETERS`, its NIC's cable bridged to ``ns``'s TAP: out of reset, the TAP attached,
    devnp-nic mounted (``options`` as ``-o``), ``nic0`` up at ``address``/``prefix_len`` (its gratuitous
    ARP goes to Linux). ``dma_checker``, ``event_log`` as for ``build_hosts``. End with
    ``hosts.teardown()``, then ``detach()``."""
    from nicsim.two_hosts import build_hosts

    hosts = await build_hosts(dut, dma_checker=dma_checker, event_log=event_log, names=("hostA",))
    attach(ns)
    await hosts.must("hostA", "mount -T io-pkt " + (f"-o {options} " if options else "") + "/lib/dll/devnp-nic.so")
    await hosts.must("hostA", "ifconfig nic0 up")
    await hosts.must("hostA", f"ifconfig nic0 {address}/{prefix_len}")
    return hosts


@contextlib.asynccontextmanager
async def tap_session(dut, ns: TapNamespace | None = None, **host_options):
    """``async with tap_session(dut) as (ns, hosts):`` the whole bridged bench: a :class:`TapNamespace`
    (made here unless ``ns`` is given, e.g. with a capture already listening in it), host A built and
    up (:func:`build_tap_host`, ``host_options`` passed on). At the end, when the body succeeded,
    ``hosts.teardown()`` (every interface destroyed, nothing left in io-pkt); then, whatever happened,
    the TAP is detached and the namespace removed with everything running in it."""
    ns = ns if ns is not None else TapNamespace().create()
    try:
        hosts = await build_tap_host(dut, ns, **host_options)
        yield ns, hosts
        await hosts.teardown()
    finally:
        detach()
        ns.remove()


async def wait_process(proc: subprocess.Popen, timeout_s: float = 30.0, step_us: int = 20) -> tuple[str, str]:
    """Let the simulation run while ``proc`` (a Linux command talking to the simulated host) works:
    simulated time advances ``step_us`` at a time (one Python wake-up per step, none per clock) until
    it exits; returns its (stdout, stderr). Kills it and raises ``TimeoutError`` after ``timeout_s``
    of wall time."""
    from cocotb.triggers import Timer

    deadline = time.monotonic() + timeout_s
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            raise TimeoutError(f"{' '.join(proc.args)} still running after {timeout_s} s of wall time:\n{out}{err}")
        await Timer(step_us, "us")
    out, err = proc.communicate()
    return out or "", err or ""


async def run_for_wall(seconds: float, step_us: int = 20, stop=None) -> None:
    """Keep the simulation running for ``seconds`` of wall time (the Linux side's timers run in wall time),
    or until ``stop()`` (looked at every ``step_us`` of simulated time) returns True."""
    from cocotb.triggers import Timer

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop is not None and stop()):
        await Timer(step_us, "us")


# ------------------------------------------------------------------ the command

def instructions(ns: TapNamespace, host_addr: str = HOST_ADDR) -> str:
    """What a person types to reach the bridged host, as ``nicsim tap`` prints it."""
    x = f"ip netns exec {ns.name}"
    return "\n".join([
        f"The simulated host A (io-pkt, devnp-nic, the RTL NIC) is {host_addr}; Linux is {ns.address} on "
        f"{ns.ifname} in network namespace {ns.name}. From another shell, as root:",
        f"  {x} ping {host_addr}",
        f"  {x} arping -I {ns.ifname} {host_addr}",
        f"  {x} nc -u {host_addr} 7000       # shown by `udprecv 7000` at a nicsim shell --tap prompt",
        f"  {x} tcpdump -n -e -i {ns.ifname}",
        f"  {x} tcpdump -U -w - -i {ns.ifname} | wireshark -k -i -     # or: {x} wireshark -k -i {ns.ifname}",
        "Ctrl-C ends the simulation and removes the namespace.",
    ])


LIFELINE_ENV = "NICSIM_TAP_LIFELINE"  # set: the simulation's stdin is a pipe whose end means "stop"
STOP_TIMEOUT_S = 60  # for the simulation to tear down and remove its namespace once told to stop


def lifeline_cut() -> bool:
    """Inside ``nicsim tap``'s simulation: whether the command asked it to stop or died (its pipe, the
    simulation's stdin, is at end of file). False when not run by ``nicsim tap`` (:data:`LIFELINE_ENV`)."""
    import select

    if not os.environ.get(LIFELINE_ENV):
        return False
    while select.select([0], [], [], 0)[0]:
        if not os.read(0, 4096):
            return True
    return False


def _tap_backend(seconds: str) -> int:
    """The child of :func:`run_tap`: run the bridged bench to its end (the simulation watches its stdin,
    the command's pipe, and dies with this process)."""
    from nicsim import lifeline
    from nicsim.runner import CocotbTestFailed, SimulatorKilled, run_cocotb

    try:
        run_cocotb("nicsim.jobs", "nic_pair_tb", parameters=PARAMETERS, testcase="tap_bridge_session",
                   console=True, folder_suffix=f"-{os.getpid()}",
                   extra_env={"COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR", "NICSIM_TAP_SECONDS": seconds,
                              LIFELINE_ENV: "1", lifeline.PARENT_ENV: str(os.getpid())})
    except (CocotbTestFailed, SimulatorKilled) as e:
        print(e, file=sys.stderr)
        return 1
    return 0


def run_tap(sim: str = "icarus", seconds: float | None = None) -> int:
    """``nicsim tap``: the bridged bench on ``sim`` with host A up at :data:`HOST_ADDR`, the
    namespace's TAP at :data:`LINUX_ADDR`, until Ctrl-C, SIGTERM or SIGHUP (or ``seconds`` of wall time);
    the commands to reach it are printed once the host is up. Returns an exit status (0 at Ctrl-C or
    the time's end; 128 + N after signal N (SIGTERM, SIGHUP); 1: the session failed, with the report;
    2: the bridge cannot run here, with the reason).

    The simulation runs in a child process of its own session (the terminal's Ctrl-C reaches this
    process only, never the simulator), whose stdin is a pipe from here: closing it, or this process
    dying however it dies (SIGKILL too), ends the simulation, which removes the namespace; both the
    child and the simulator also get SIGTERM from the kernel when their parent dies
    (:mod:`nicsim.lifeline`)."""
    from nicsim import lifeline
    from nicsim.runner import check_simulator

    reason = unavailable()
    if reason:
        print(f"nicsim tap: {reason}", file=sys.stderr)
        return 2
    check_simulator(sim)  # SimulatorMissing here, with the line that installs it, not in the child
    print(f"nicsim tap: building and starting nic_pair_tb with the TAP bridge on {sim} ...", flush=True)
    read_end, write_end = os.pipe()
    stopped: list[int] = []

    def stop(signum, frame) -> None:
        if not stopped:
            stopped.append(signum)
            os.close(write_end)  # the simulation sees end of file, tears down and ends

    handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    lifeline.die_with_make()  # `make tap` killed: SIGTERM here, handled as above
    try:
        backend = "import sys; from nicsim.tap import _tap_backend; sys.exit(_tap_backend(sys.argv[1]))"
        child = subprocess.Popen(
            [sys.executable, "-c", backend, str(seconds or "")],
            env={**os.environ, "SIM": sim}, stdin=read_end, start_new_session=True, preexec_fn=lifeline.preexec())
        os.close(read_end)
        status = child.wait()
        if stopped:
            try:
                status = child.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, sig)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        child.wait(timeout=5)
                        break
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if not stopped:
            os.close(write_end)
        # the simulator is gone: its namespace went with its clean-up or its reaper; if neither has
        # finished, this removes it
        clean_stale()
    if stopped:
        name = signal.Signals(stopped[0]).name
        print(f"\nnicsim tap: stopped ({name}); the simulation ended and its namespace is removed", file=sys.stderr)
        return 0 if stopped[0] == signal.SIGINT else 128 + stopped[0]
    if status == 0 and seconds:
        print(f"nicsim tap: {seconds:g} s of wall time passed; the simulation ended and its namespace is removed")
    return status
