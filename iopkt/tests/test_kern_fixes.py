"""Regressions for kernel-layer bugs found while building netinet on it."""

from iopkt.kern.callout import Callout, callout_init, callout_msec
from iopkt.kern.iopkt import IoPkt
from iopkt.platform.virtual import VirtualPlatform


def test_resetting_a_callout_whose_timer_waits_for_the_stack_context_does_not_wedge_it():
    p = VirtualPlatform()
    iopkt = IoPkt(p)
    c = Callout()
    fired = []

    async def holder():
        callout_init(c, iopkt)
        callout_msec(c, 10, fired.append, "first")
        await p.sleep(50_000_000)  # still holding the context when the timer expires
        callout_msec(c, 10, fired.append, "second")

    async def main():
        await iopkt.stack_call(holder)
        await p.sleep(100_000_000)
        await iopkt.stack_call(lambda: None)  # the context must still be obtainable
        return fired

    assert p.run(until=main()) == ["second"]


def test_two_callouts_expiring_together_both_run_even_when_the_first_sleeps():
    p = VirtualPlatform()
    iopkt = IoPkt(p)
    c1, c2 = Callout(), Callout()
    fired = []

    async def monitor(arg):
        await p.sleep(1000)  # e.g. a register read in a driver's periodic timer
        fired.append(arg)

    def arm():
        callout_init(c1, iopkt)
        callout_init(c2, iopkt)
        callout_msec(c1, 10, monitor, 1)
        callout_msec(c2, 10, monitor, 2)

    async def main():
        await iopkt.stack_call(arm)
        await p.sleep(100_000_000)
        return fired

    assert p.run(until=main()) == [1, 2]
