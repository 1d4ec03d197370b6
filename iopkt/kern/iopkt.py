"""One io-pkt process: the stack context, its workers, pools, devices and
interfaces. Several may run in one simulation, one per simulated host."""

from __future__ import annotations

import inspect
import weakref
from dataclasses import dataclass, field

from .callout import Callout
from .dll import DllHandle, find_driver
from .errno import ENXIO, EOK
from .intr import InterruptKernel, Worker
from .mbuf import MbufPool
from .nw_pthread import wait_threads
from .proc import Proc, StackContext
from .shutdown import run_shutdown_hooks

HZ = 119  # io-pkt's tick on QNX 6.x: callouts round up to whole ticks of this


@dataclass
class LiveResources:
    """What an io-pkt still holds for drivers; after a driver's last device is
    destroyed all of it should be back to what it was before the mount."""

    mbufs: int
    clusters: int
    callouts: list = field(default_factory=list)  # pending or running
    interrupt_entries: list = field(default_factory=list)
    interrupt_handlers: list = field(default_factory=list)  # (irq, iid, name)
    threads: list = field(default_factory=list)
    devices: list = field(default_factory=list)
    interfaces: list = field(default_factory=list)
    shutdown_hooks: int = 0
    dlls: list = field(default_factory=list)

    def differs_from(self, base: LiveResources) -> list[str]:
        """What grew since ``base``, one line each (empty: nothing left behind)."""
        out = []
        for name in ("mbufs", "clusters", "shutdown_hooks"):
            if getattr(self, name) > getattr(base, name):
                out.append(f"{name}: {getattr(base, name)} -> {getattr(self, name)}")
        for name in ("callouts", "interrupt_entries", "interrupt_handlers", "threads", "devices", "interfaces",
                     "dlls"):
            extra = [x for x in getattr(self, name) if x not in getattr(base, name)]
            if extra:
                out.append(f"{name}: {extra}")
        return out


class IoPkt:
    def __init__(self, platform, name: str = "io-pkt", hz: int = HZ, nclusters: int = 1024, nmbufs: int = 2048):
        self.platform = platform
        self.name = name
        self.hz = hz
        self.tick_ns = 1_000_000_000 // hz
        self.kernel = InterruptKernel(platform)
        self.ctx = StackContext(platform)
        self.proc0 = Proc("proc0", is_proc0=True)
        self.mbufs = MbufPool(platform.memory, nmbufs=nmbufs, nclusters=nclusters)
        self.alldevs: list = []
        self.ifnet: list = []
        # Weak: a callout lives in its softc and goes with it; a pending one
        # is kept alive by its timer task, which is what a leak check wants.
        self.callouts: weakref.WeakSet[Callout] = weakref.WeakSet()
        self.interrupt_entries: set = set()
        self.sleepers: dict[int, list] = {}
        self.shutdown_hooks: list = []
        self.threads: list = []  # driver threads (nw_pthread_create)
        self._next_tid = 2  # 1 is "io-pkt main"
        self._wtp_init = None
        self._thread_change = platform.event("threads")
        self.dlls: dict[str, DllHandle] = {}
        self._loading_dll: DllHandle | None = None
        self.quiesce_count = 0
        self.protocols: dict = {}  # filled by netinet: ethertype -> input function
        self.ifdetach_hooks: list = []  # fn(ifp): protocols forget an interface going away
        self.inet = None  # netinet's per-instance state (netinet.inet_attach sets it)
        self.log: list[str] = []
        self.log_ns: list[int] = []  # simulated time of each line of log, for sloginfo
        self.workers = [Worker(self, 0)]
        hw = self.kernel.hang_watch
        hw.queued = lambda: any(w.queue or not w.idle for w in self.workers)
        hw.report = self.printf
        hw.devices = lambda: [d for d in getattr(platform, "devices", []) if "irq_pending" in d.props]

    @property
    def curproc(self) -> Proc | None:
        return self.ctx.owner

    def printf(self, msg: str) -> None:
        """io-pkt's slog: kept in memory so tests and utilities can show it
        (``log``, with each line's simulated time in ``log_ns``)."""
        self.log.append(msg)
        self.log_ns.append(self.platform.now_ns())

    def slog_entries(self) -> list[tuple[int, str]]:
        """io-pkt's log as ``sloginfo`` prints it, one (simulated ns, line) per
        message, oldest first; a line reads ``seconds.microseconds name: message``."""
        n = len(self.log)
        times = self.log_ns[:n] + [0] * (n - len(self.log_ns))  # lines appended to log directly: time 0
        return [(t, f"{t // 1_000_000_000:4d}.{t // 1000 % 1_000_000:06d} {self.name}: {m}")
                for t, m in zip(times, self.log, strict=True)]

    def sloginfo(self) -> str:
        """The whole log as text, one line per message (``slog_entries``)."""
        return "".join(line + "\n" for _, line in self.slog_entries())

    async def stack_call(self, fn, *args, proc_name: str = "resmgr"):
        """Run ``fn(*args)`` in stack context as a new pseudo-thread, as io-pkt
        does for a client's message (an ioctl, a socket call, a mount)."""
        proc = Proc(proc_name)
        await self.ctx.acquire(proc)
        try:
            r = fn(*args)
            if inspect.isawaitable(r):
                r = await r
            return r
        finally:
            self.ctx.release(proc)

    # -- drivers ------------------------------------------------------------------
    async def mount(self, driver: str, options: str = "") -> int:
        """``mount -T io-pkt -o options driver``: load the driver and run its entry."""
        return await self.stack_call(self._mount, driver, options, proc_name="mount")

    async def _mount(self, driver: str, options: str) -> int:
        name = driver.rsplit("/", 1)[-1]
        entry = find_driver(name)
        if entry is None:
            return ENXIO
        hdl = self.dlls.get(name) or DllHandle(self, name)
        hdl.open()
        self._loading_dll = hdl
        try:
            err = await entry(hdl, self, options or "")
        finally:
            self._loading_dll = None
        err = EOK if err is None else err
        if err != EOK:
            hdl.close()  # io-pkt dlcloses a driver whose entry failed
        return err

    def device_of(self, ifp):
        """The device behind an interface (its softc, ``sc_dev`` first in C)."""
        for dev in self.alldevs:
            if dev is ifp.if_softc or getattr(dev, "ifp", None) is ifp:
                return dev
        return None

    # -- quiesce --------------------------------------------------------------------
    async def quiesce_all(self) -> None:
        """Park every driver thread in ``quiesce_block`` (nests with a count)."""
        self.quiesce_count += 1
        if self.quiesce_count == 1:
            threads = list(self.threads)
            for t in threads:
                await t.quiesce(die=False)
            await wait_threads(self, threads, lambda t: t.state in ("QUIESCED", "DEAD"), "quiesce_all")

    async def unquiesce_all(self) -> None:
        if self.quiesce_count == 0:
            raise RuntimeError("unquiesce_all without quiesce_all")
        self.quiesce_count -= 1
        if self.quiesce_count == 0:
            for t in self.threads:
                t.unquiesce()

    async def exit(self) -> None:
        """io-pkt exiting: shutdown hooks run last-in first-out, then driver
        threads are told to die (``quiesce_block`` with ``die`` set)."""
        await self.stack_call(self._exit, proc_name="io-pkt main")

    async def _exit(self) -> None:
        await run_shutdown_hooks(self)
        threads = list(self.threads)
        for t in threads:
            await t.quiesce(die=True)
        await wait_threads(self, threads, lambda t: t.state == "DEAD", "io-pkt exit")

    # -- what is left -------------------------------------------------------------------
    def live_resources(self) -> LiveResources:
        return LiveResources(
            mbufs=self.mbufs.mbufs_in_use,
            clusters=self.mbufs.clusters_in_use,
            callouts=[c for c in list(self.callouts) if c.pending or c.running],
            interrupt_entries=sorted(e.name or repr(e) for e in self.interrupt_entries),
            interrupt_handlers=self.kernel.attached,
            threads=[t.name for t in self.threads],
            devices=[d.dv_xname for d in self.alldevs],
            interfaces=[i.if_xname for i in self.ifnet],
            shutdown_hooks=len(self.shutdown_hooks),
            dlls=sorted(self.dlls),
        )

    def diagnose(self) -> list[str]:
        """Symptoms worth a person's attention now: hung interrupt lines so far."""
        self.kernel.hang_watch.sample()
        return list(self.kernel.hang_watch.hangs)
