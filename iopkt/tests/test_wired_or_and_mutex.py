"""Two platform pieces drivers lean on: devices that share an interrupt number
share one wired-OR line (asserted while any device asserts its output), and
``pthread_mutex`` serialises a driver thread and stack code."""

from __future__ import annotations

import pytest

from iopkt.kern.intr import InterruptAttach, InterruptDetach
from iopkt.kern.iopkt import IoPkt
from iopkt.kern.nw_pthread import PthreadMutex, pthread_mutex_lock, pthread_mutex_unlock
from iopkt.platform.base import PlatformDevice, WiredOrIrqLine
from iopkt.platform.virtual import VirtualIrqLine, VirtualPlatform

IRQ = 7


@pytest.fixture
def plat():
    p = VirtualPlatform()
    yield p
    p.close()


def test_devices_on_one_number_share_a_wired_or_line(plat):
    a, b, c = VirtualIrqLine(), VirtualIrqLine(), VirtualIrqLine()
    plat.devices += [PlatformDevice("a", None, a, IRQ), PlatformDevice("b", None, b, IRQ),
                     PlatformDevice("c", None, c, IRQ + 1)]
    line = plat.interrupt_line(IRQ)
    assert isinstance(line, WiredOrIrqLine) and line is plat.interrupt_line(IRQ)
    assert plat.interrupt_line(IRQ + 1) is c  # a line of its own stays itself
    rises = []
    line.on_rise(lambda: rises.append(line.level))
    assert not line.level
    a.set(True)
    assert line.level and rises == [True]
    b.set(True)
    a.set(False)
    assert line.level  # b still holds it
    b.set(False)
    assert not line.level


def test_both_isrs_run_while_either_device_asserts(plat):
    a, b = VirtualIrqLine(), VirtualIrqLine()
    plat.devices += [PlatformDevice("a", None, a, IRQ), PlatformDevice("b", None, b, IRQ)]
    iopkt = IoPkt(plat)
    seen = []

    def isr_for(name, line):
        def isr(area, iid):
            seen.append(name)
            line.set(False)  # acknowledge its own device only
        return isr

    async def main():
        await iopkt.ctx.acquire(iopkt.proc0)
        ia = InterruptAttach(iopkt, IRQ, isr_for("a", a), None)
        ib = InterruptAttach(iopkt, IRQ, isr_for("b", b), None)
        iopkt.ctx.release(iopkt.proc0)
        b.set(True)  # only b interrupts: the kernel enters every handler on the line
        await plat.sleep(10_000)
        InterruptDetach(iopkt, ia)
        InterruptDetach(iopkt, ib)

    plat.run(main())
    assert seen == ["a", "b"]


def test_pthread_mutex_serialises_and_survives_a_cancelled_waiter(plat):
    m = PthreadMutex(plat, "mii")
    order = []

    async def user(name, hold_ns):
        await pthread_mutex_lock(m)
        order.append(f"{name}+")
        await plat.sleep(hold_ns)
        order.append(f"{name}-")
        pthread_mutex_unlock(m)

    async def main():
        t1 = plat.spawn(user("thread", 1000), "t1")
        await plat.sleep(1)
        doomed = plat.spawn(user("doomed", 10), "t2")
        t3 = plat.spawn(user("stack", 10), "t3")
        await plat.sleep(1)
        doomed.cancel()  # gives up while waiting: the next waiter still gets the mutex
        await t1.join()
        await t3.join()

    plat.run(main())
    assert order == ["thread+", "thread-", "stack+", "stack-"]
    with pytest.raises(Exception, match="not locked"):
        pthread_mutex_unlock(m)
