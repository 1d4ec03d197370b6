"""Callouts and sleeping as the guide describes them ("Periodic timers",
"Delays") and docs/iopkt-semantics.md ("Timers, sleeping, threads, shutdown")."""

from __future__ import annotations

import pytest

from iopkt.kern import synch
from iopkt.kern.callout import Callout, callout_init, callout_msec, callout_stop
from iopkt.kern.errno import EOK
from iopkt.kern.intr import IopktInter, interrupt_entry_init, interrupt_queue
from iopkt.kern.iopkt import IoPkt
from iopkt.kern.synch import delay, ltsleep, nic_delay
from iopkt.platform.virtual import VirtualPlatform

MS = 1_000_000


@pytest.fixture
def env():
    p = VirtualPlatform()
    yield p, IoPkt(p)
    p.close()


def _init(iopkt, *callouts):
    async def go():
        for c in callouts:
            callout_init(c, iopkt)
    return iopkt.stack_call(go)


# -- callout_msec: tick rounding, start/reset, callout_stop --------------------------------

# hz = 119 (QNX 6.x): a tick is 8.403 ms and callout_msec rounds up to whole ticks.
@pytest.mark.parametrize("ms, ticks", [(0, 1), (1, 1), (8, 1), (9, 2), (16, 2), (17, 3), (100, 12), (500, 60),
                                       (1000, 119), (2000, 238)])
def test_callout_msec_rounds_up_to_whole_ticks_of_hz_119(env, ms, ticks):
    p, iopkt = env
    assert iopkt.hz == 119
    c = Callout()
    fired = []

    async def main():
        await _init(iopkt, c)
        await iopkt.stack_call(lambda: callout_msec(c, ms, lambda arg: fired.append(p.now_ns()), None))
        await p.sleep(ticks * iopkt.tick_ns + 20 * MS)

    p.run(main())
    assert fired == [ticks * (1_000_000_000 // 119)]


def test_callout_msec_on_a_pending_callout_moves_its_deadline(env):
    p, iopkt = env
    c = Callout()
    fired = []

    async def main():
        await _init(iopkt, c)
        await iopkt.stack_call(lambda: callout_msec(c, 100, lambda arg: fired.append(("old", p.now_ns())), None))
        await p.sleep(50 * MS)
        # reset while pending: one firing, at the new deadline, of the new function
        await iopkt.stack_call(lambda: callout_msec(c, 100, lambda arg: fired.append(("new", p.now_ns())), None))
        await p.sleep(300 * MS)

    p.run(main())
    assert fired == [("new", 50 * MS + 12 * iopkt.tick_ns)]


def test_callout_msec_on_a_stopped_or_expired_callout_starts_it(env):
    p, iopkt = env
    c = Callout()
    fired = []

    def fn(arg):
        fired.append((arg, p.now_ns()))

    async def main():
        await _init(iopkt, c)
        await iopkt.stack_call(lambda: callout_msec(c, 10, fn, "stopped"))
        await iopkt.stack_call(lambda: callout_stop(c))
        await p.sleep(100 * MS)
        assert fired == []
        await iopkt.stack_call(lambda: callout_msec(c, 10, fn, "restarted"))  # a stopped one starts
        await p.sleep(100 * MS)
        await iopkt.stack_call(lambda: callout_msec(c, 10, fn, "again"))  # one that has fired starts too
        await p.sleep(100 * MS)

    p.run(main())
    assert fired == [("restarted", 100 * MS + 2 * iopkt.tick_ns), ("again", 200 * MS + 2 * iopkt.tick_ns)]


def test_callout_stop_on_a_stopped_callout_is_harmless(env):
    p, iopkt = env
    c = Callout()

    async def main():
        callout_init(c, iopkt)
        results = [callout_stop(c)]  # never started
        callout_msec(c, 10, lambda arg: None, None)
        results += [callout_stop(c), callout_stop(c), callout_stop(c)]
        return results

    assert p.run(iopkt.stack_call(main)) == [False, True, False, False]
    p.run(for_ns=100 * MS)
    assert c.fired == 0 and not c.pending


class _Softc:
    def __init__(self):
        self.mii_callout = Callout()
        self.run_timer = False
        self.runs: list[int] = []


def _monitor_driver(p, sc: _Softc, guarded: bool):
    async def dev_monitor(arg):
        sc.runs.append(p.now_ns())
        await p.sleep(1 * MS)  # slow work inside the callout (e.g. MII reads)
        if not guarded or sc.run_timer:
            callout_msec(sc.mii_callout, 10, dev_monitor, arg)

    def init():
        sc.run_timer = True
        callout_msec(sc.mii_callout, 10, dev_monitor, sc)

    def stop():
        sc.run_timer = False  # the guide's flag...
        callout_stop(sc.mii_callout)  # ...as well as callout_stop

    return init, stop


@pytest.mark.parametrize("guarded, more_runs", [(False, True), (True, False)])
def test_run_timer_flag_closes_the_stop_race_that_callout_stop_alone_leaves(env, guarded, more_runs):
    """callout_stop does not wait for a running callout, so a monitor that is
    mid-run re-arms itself; the guide's run_timer flag prevents that."""
    p, iopkt = env
    sc = _Softc()
    init, stop = _monitor_driver(p, sc, guarded)

    async def main():
        await _init(iopkt, sc.mii_callout)
        await iopkt.stack_call(init)
        await p.sleep(2 * iopkt.tick_ns + MS // 2)  # the first run is mid-way
        assert sc.mii_callout.running and len(sc.runs) == 1
        stop()  # from another thread (e.g. if_stop), while the callout runs
        await p.sleep(20 * iopkt.tick_ns)

    p.run(main())
    assert (len(sc.runs) > 1) is more_runs
    assert sc.mii_callout.pending is more_runs


def test_callouts_run_in_stack_context_as_proc0(env):
    p, iopkt = env
    c = Callout()
    seen = []

    async def main():
        await _init(iopkt, c)
        await iopkt.stack_call(lambda: callout_msec(c, 1, lambda arg: seen.append(iopkt.curproc), None))
        await p.sleep(20 * MS)

    p.run(main())
    assert seen == [iopkt.proc0] and iopkt.proc0.is_proc0


# -- ltsleep from a callout, delay vs nic_delay -------------------------------------------

def test_ltsleep_from_a_callout_returns_at_once_without_sleeping(env):
    p, iopkt = env
    c = Callout()
    seen = []

    async def cb(arg):
        t0 = p.now_ns()
        r = await ltsleep(iopkt, object(), 0, "in callout", 10)
        seen.append((r, p.now_ns() - t0, iopkt.curproc))

    async def main():
        await _init(iopkt, c)
        await iopkt.stack_call(lambda: callout_msec(c, 1, cb, None))
        await p.sleep(50 * MS)

    p.run(main())
    assert seen == [(EOK, 0, iopkt.proc0)]
    assert iopkt.sleepers == {}


class _OtherInterface:
    """Another interface's work that should be able to run meanwhile: a
    callout due after one tick, and a process function queued by its ISR at 1 ms."""

    def __init__(self, p, iopkt):
        self.p, self.iopkt = p, iopkt
        self.callout = Callout()
        self.ient = IopktInter(name="other0", func=self._process, enable=lambda arg: 1)
        self.ran: dict[str, int] = {}

    def _process(self, arg, wtp):
        self.ran["process"] = self.p.now_ns()
        return 1

    async def arm(self):
        def go():
            callout_init(self.callout, self.iopkt)
            interrupt_entry_init(self.iopkt, self.ient)
            callout_msec(self.callout, 1, lambda arg: self.ran.setdefault("callout", self.p.now_ns()), None)
        await self.iopkt.stack_call(go)
        self.p.spawn(self._isr_at_1ms())

    async def _isr_at_1ms(self):
        await self.p.sleep(1 * MS)
        ev = interrupt_queue(self.iopkt, self.ient)
        if ev is not None:
            ev.set()


def test_blocking_delay_in_stack_context_holds_up_every_other_interface(env):
    p, iopkt = env
    other = _OtherInterface(p, iopkt)
    done = {}

    async def detach_with_busy_delay():
        await delay(iopkt, 50)  # e.g. a reset wait written as a plain delay
        done["delay"] = p.now_ns()

    async def main():
        await other.arm()
        await iopkt.stack_call(detach_with_busy_delay)
        await p.sleep(20 * MS)

    p.run(main())
    assert done["delay"] == 50 * MS
    # both were due long before (1 ms, 8.4 ms) and ran only once the delay ended
    assert other.ran["process"] >= 50 * MS and other.ran["callout"] >= 50 * MS


def test_nic_delay_in_a_stack_thread_ltsleeps_and_lets_other_interfaces_run(env):
    p, iopkt = env
    other = _OtherInterface(p, iopkt)
    done = {}

    async def detach_with_nic_delay():
        t0 = p.now_ns()
        assert await nic_delay(iopkt, 50) == EOK
        done["delay"] = p.now_ns() - t0

    async def main():
        await other.arm()
        await iopkt.stack_call(detach_with_nic_delay)
        await p.sleep(20 * MS)

    p.run(main())
    assert done["delay"] >= 50 * MS  # it did wait (rounded up to ticks)...
    assert other.ran["process"] < 2 * MS  # ...while the others ran on time
    assert other.ran["callout"] == iopkt.tick_ns


def test_nic_delay_from_a_callout_does_not_ltsleep_but_delays_in_place(env, monkeypatch):
    """The guide: a timer callback cannot sleep (ltsleep would return at
    once); nic_delay there is a plain delay that keeps the stack context."""
    p, iopkt = env
    c = Callout()
    other = _OtherInterface(p, iopkt)
    calls, seen = [], []
    real_ltsleep = synch.ltsleep

    async def spy(*args, **kw):
        calls.append(iopkt.curproc)
        return await real_ltsleep(*args, **kw)

    monkeypatch.setattr(synch, "ltsleep", spy)

    async def cb(arg):
        t0 = p.now_ns()
        await nic_delay(iopkt, 30)
        seen.append((p.now_ns() - t0, iopkt.curproc))

    async def main():
        await iopkt.stack_call(lambda: callout_init(c, iopkt))
        await iopkt.stack_call(lambda: callout_msec(c, 0, cb, None))  # fires after one tick
        await p.sleep(MS)
        await other.arm()  # its callout is due at 1 ms + one tick, inside the delay
        await p.sleep(100 * MS)

    p.run(main())
    assert calls == []  # never went through ltsleep
    assert seen == [(30 * MS, iopkt.proc0)]
    assert other.ran["callout"] >= iopkt.tick_ns + 30 * MS  # held up: the context was kept
