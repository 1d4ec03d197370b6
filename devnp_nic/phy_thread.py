"""The optional PHY thread (``phythread=USEC``): a driver thread made the way
the guide insists (``nw_pthread_create``, a name, a quiesce callout) that
polls the PHY's BMSR every USEC microseconds.

BMSR's link bit latches low, so a poll sees a link flap too short for the
interrupt path to notice. The thread never touches io-pkt state: on a change
it raises the NIC's LINK cause through INT_CAUSE_SET, and the process
function handles the link in stack context as for the hardware LINK
interrupt. MDIO has two users then, so each transaction holds
``sc.mii_lock`` (``mii.py``).

Quiesce: the callout sets a flag and wakes the thread; the thread parks in
``quiesce_block`` at its next check and ends there when ``die`` is set
(detach reaps it, with ``DVF_QUIESCESELF``; see ``detect.py``).
"""

from __future__ import annotations

from iopkt.kern.device import Ref
from iopkt.kern.errno import EOK
from iopkt.kern.nw_pthread import (
    WTP,
    PthreadMutex,
    nw_pthread_create,
    nw_pthread_reap,
    pthread_setname_np,
    quiesce_block,
)
from nicdef import regs as R

from .mii import BMSR_LINK, MII_BMSR, MiiError, mii_read
from .softc import NicDev


async def nic_phy_thread_start(sc: NicDev) -> int:
    """From attach (stack context): the MII lock, then the thread."""
    sc.mii_lock = PthreadMutex(sc.iopkt.platform, f"{sc.dv_xname} mii")
    sc.thread_wake = sc.iopkt.platform.event(f"{sc.dv_xname} mii wake")
    tid = Ref()
    err = await nw_pthread_create(sc.iopkt, tid, None, nic_phy_thread, sc, 0, nic_phy_thread_init, sc)
    if err != EOK:
        sc.mii_lock = None
        return err
    sc.sc_thread = tid.value
    return EOK


async def nic_phy_thread_stop(sc: NicDev) -> None:
    """From detach, inside quiesce_all: the thread is parked; let it die."""
    if sc.sc_thread is not None:
        await nw_pthread_reap(sc.iopkt, sc.sc_thread)
        sc.sc_thread = None
    sc.mii_lock = None


def nic_phy_thread_init(sc: NicDev) -> int:
    """The init function nw_pthread_create requires: name and quiesce callout."""
    wtp = WTP(sc.iopkt)
    pthread_setname_np(wtp, f"{sc.dv_xname} mii")
    wtp.quiesce_callout = nic_phy_thread_quiesce
    wtp.quiesce_arg = sc
    sc.sc_thread = wtp
    return EOK


def nic_phy_thread_quiesce(sc: NicDev, die: int) -> None:
    """Called from an io-pkt thread: tell the PHY thread to park (or die)."""
    sc.thread_quiesce = True
    sc.thread_die = bool(die)
    sc.thread_wake.set()


async def _nap(sc: NicDev, ns: int) -> None:
    """Sleep ``ns``, or less if the quiesce callout wakes the thread."""
    plat = sc.iopkt.platform
    sc.thread_wake.clear()
    if sc.thread_quiesce:
        return

    async def alarm():
        await plat.sleep(ns)
        sc.thread_wake.set()

    timer = plat.spawn(alarm(), f"{sc.dv_xname} mii nap")
    await sc.thread_wake.wait()
    timer.cancel()


async def nic_phy_thread(sc: NicDev) -> None:
    wtp = sc.sc_thread
    last = None
    while True:
        if sc.thread_quiesce:
            sc.thread_quiesce = False
            sc.thread_parks += 1
            await quiesce_block(wtp, int(sc.thread_die))  # ends the thread when die
            last = None  # the link may have changed while parked
        try:
            link = bool(await mii_read(sc, sc.phy, MII_BMSR) & BMSR_LINK)
        except MiiError as e:
            sc.iopkt.printf(str(e))
            link = last
        sc.phy_polls += 1
        if not link:
            sc.phy_dropped = True  # this read cleared BMSR's latch: keep what it said for nic_link_update
        if last is not None and link != last:
            sc.phy_thread_events += 1
            await sc.regs.write32(R.REG_INT_CAUSE_SET, R.INT_LINK)
        last = link
        await _nap(sc, sc.phy_poll_us * 1000)
