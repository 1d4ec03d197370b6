"""One io-pkt process: the stack context, its workers, pools, devices and
interfaces. Several may run in one simulation, one per simulated host."""

from __future__ import annotations

import inspect

from .callout import Callout
from .dll import DllHandle, find_driver
from .errno import ENXIO, EOK
from .intr import InterruptKernel, Worker
from .mbuf import MbufPool
from .proc import Proc, StackContext
from .shutdown import run_shutdown_hooks

HZ = 119  # io-pkt's tick on QNX 6.x: callouts round up to whole ticks of this


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
        self.callouts: set[Callout] = set()
        self.interrupt_entries: set = set()
        self.sleepers: dict[int, list] = {}
        self.shutdown_hooks: list = []
        self.threads: list = []
        self.dlls: dict[str, DllHandle] = {}
        self.quiesce_count = 0
        self.protocols: dict = {}  # filled by netinet: ethertype -> input function
        self.inet = None  # netinet's per-instance state (netinet.inet_attach sets it)
        self.log: list[str] = []
        self.workers = [Worker(self, 0)]

    @property
    def curproc(self) -> Proc | None:
        return self.ctx.owner

    def printf(self, msg: str) -> None:
        """io-pkt's slog: kept in memory so tests and utilities can show it."""
        self.log.append(msg)

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
        """``mount -T io-pkt driver options``: load the driver and run its entry."""
        return await self.stack_call(self._mount, driver, options, proc_name="mount")

    async def _mount(self, driver: str, options: str) -> int:
        entry = find_driver(driver)
        if entry is None:
            return ENXIO
        hdl = self.dlls.get(driver) or DllHandle(self, driver)
        self.dlls[driver] = hdl
        err = await entry(hdl, self, options)
        if not hdl.devices:
            hdl.unload()
        return err if err is not None else EOK

    # -- quiesce --------------------------------------------------------------------
    async def quiesce_all(self) -> None:
        self.quiesce_count += 1
        if self.quiesce_count == 1:
            for t in self.threads:
                await t.quiesce(die=False)

    async def unquiesce_all(self) -> None:
        self.quiesce_count -= 1
        if self.quiesce_count == 0:
            for t in self.threads:
                t.unquiesce()

    async def exit(self) -> None:
        """io-pkt exiting: shutdown hooks run last-in first-out."""
        await self.stack_call(run_shutdown_hooks, self, proc_name="io-pkt main")
