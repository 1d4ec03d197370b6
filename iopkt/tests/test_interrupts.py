"""Interrupt handling as io-pkt and the QNX kernel do it: both masking styles,
shared level-triggered lines, the return-0 fairness between interfaces, and
the symptoms of getting it wrong (a storm; a hang, now reported)."""

from __future__ import annotations

import pytest

from iopkt.kern.diag import DriverBug, InterruptStorm
from iopkt.kern.intr import (
    HANG_NS,
    InterruptAttach,
    InterruptDetach,
    InterruptMask,
    InterruptUnmask,
    IopktInter,
    interrupt_entry_init,
    interrupt_queue,
)
from iopkt.kern.iopkt import IoPkt
from iopkt.platform.base import PlatformDevice
from iopkt.platform.virtual import VirtualIrqLine, VirtualPlatform

IRQ = 9


class Dev:
    """A device with a cause register and an interrupt mask (set/clear), on a
    line it may share with others (wired-OR, level-triggered)."""

    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.cause = 0
        self.mask = 0
        self.others: list[Dev] = []
        self.served = []

    def update(self):
        self.line.set(any(d.cause & d.mask for d in [self, *self.others]))

    def raise_cause(self, bit=1):
        self.cause |= bit
        self.update()

    def pending_masked(self):
        return bool(self.cause) and not self.cause & self.mask


@pytest.fixture
def env():
    p = VirtualPlatform()
    line = VirtualIrqLine()
    a, b = Dev("a", line), Dev("b", line)
    a.others, b.others = [b], [a]
    p.devices.append(PlatformDevice("dev@a", None, line, IRQ, props={"irq_pending": a.pending_masked}))
    iopkt = IoPkt(p)
    yield p, iopkt, a, b
    p.close()


def kernel_mask_driver(iopkt, dev, served_log, work=1):
    """sam.c's default style: InterruptMask in the ISR, InterruptUnmask in enable()."""
    ient = IopktInter(name=dev.name, arg=dev)
    state = {"iid": None, "left": 0}

    def isr(area, iid):
        InterruptMask(iopkt, IRQ, iid)
        return interrupt_queue(iopkt, ient)

    def func(arg, wtp):
        if state["left"] == 0:
            state["left"] = work
        state["left"] -= 1
        served_log.append(dev.name)
        if state["left"]:
            return 0  # more to do: let the others run first
        dev.cause = 0
        dev.update()
        return 1

    def enable(arg):
        InterruptUnmask(iopkt, IRQ, state["iid"])
        return 1

    ient.func, ient.enable = func, enable

    async def attach():
        interrupt_entry_init(iopkt, ient, 0, None)
        state["iid"] = InterruptAttach(iopkt, IRQ, isr, dev)
        dev.mask = 1
        dev.update()

    return ient, state, attach


def hw_mask_driver(iopkt, dev, served_log, read_cause_in_isr=True, forget_unmask=False):
    """e1000's style: the ISR writes the mask-clear register; enable() the mask-set one.
    On a shared line the ISR reads the cause first and claims only its own."""
    ient = IopktInter(name=dev.name, arg=dev)
    state = {"iid": None, "not_mine": 0}

    def isr(area, iid):
        if read_cause_in_isr and ient.on_list == 0 and not dev.cause & dev.mask:
            state["not_mine"] += 1
            return None  # not ours: the other device on the line
        dev.mask = 0  # IMC: mask whether or not already queued
        dev.update()
        return interrupt_queue(iopkt, ient)

    def func(arg, wtp):
        served_log.append(dev.name)
        dev.cause = 0
        return 1

    def enable(arg):
        if not forget_unmask:
            dev.mask = 1  # IMS
            dev.update()
        return 1

    ient.func, ient.enable = func, enable

    async def attach():
        interrupt_entry_init(iopkt, ient, 0, None)
        state["iid"] = InterruptAttach(iopkt, IRQ, isr, dev)
        dev.mask = 1
        dev.update()

    return ient, state, attach


def test_kernel_mask_style_masks_in_the_isr_and_unmasks_after_a_nonzero_return(env):
    p, iopkt, a, _ = env
    log = []
    ient, state, attach = kernel_mask_driver(iopkt, a, log)

    async def main():
        await iopkt.stack_call(attach)
        a.raise_cause()
        await p.sleep(1_000)
        assert iopkt.kernel.lines[IRQ].mask_count == 0 and log == ["a"]
        a.raise_cause()
        await p.sleep(1_000)

    p.run(main())
    assert log == ["a", "a"] and ient.on_list == 0


def test_unmask_without_mask_is_reported_and_detach_undoes_tracked_masks(env):
    p, iopkt, a, _ = env

    async def main():
        iid = InterruptAttach(iopkt, IRQ, lambda area, iid: None, a)
        with pytest.raises(InterruptStorm, match="unbalanced unmask"):
            InterruptUnmask(iopkt, IRQ, iid)
        other = InterruptAttach(iopkt, IRQ, lambda area, iid: None, a)
        InterruptMask(iopkt, IRQ, iid)
        InterruptMask(iopkt, IRQ, iid)
        assert iopkt.kernel.lines[IRQ].mask_count == 2
        InterruptDetach(iopkt, iid)  # _NTO_INTR_FLAGS_TRK_MSK: its masks go with it
        assert iopkt.kernel.lines[IRQ].mask_count == 0
        InterruptDetach(iopkt, other)
        assert IRQ not in iopkt.kernel.lines

    p.run(main())


def test_shared_line_two_devices_hardware_masking_each_claims_its_own(env):
    p, iopkt, a, b = env
    log = []
    _, sa, attach_a = hw_mask_driver(iopkt, a, log)
    _, sb, attach_b = hw_mask_driver(iopkt, b, log)

    async def main():
        await iopkt.stack_call(attach_a)
        await iopkt.stack_call(attach_b)
        b.raise_cause()
        await p.sleep(2_000)
        a.raise_cause()
        b.raise_cause()
        await p.sleep(2_000)

    p.run(main())
    assert sorted(log) == ["a", "b", "b"]
    assert sa["not_mine"] == 1  # a's ISR saw b's interrupt and let it pass
    assert not a.line.level and a.mask == b.mask == 1


def test_one_isr_queues_one_of_several_process_functions(env):
    """Several hardware functions behind one interrupt: the ISR picks the entry."""
    p, iopkt, a, _ = env
    log = []
    rx = IopktInter(name="rx", func=lambda arg, w: (log.append("rx"), 1)[1])
    tx = IopktInter(name="tx", func=lambda arg, w: (log.append("tx"), 1)[1])
    for ient in (rx, tx):
        ient.enable = lambda arg: (setattr(a, "mask", a.mask | 3), a.update(), 1)[2]

    def isr(area, iid):
        cause = a.cause & a.mask
        a.mask &= ~cause
        a.cause &= ~cause
        a.update()
        events = [interrupt_queue(iopkt, ient) for bit, ient in ((1, rx), (2, tx)) if cause & bit]
        return next((e for e in events if e is not None), None)

    async def main():
        async def attach():
            interrupt_entry_init(iopkt, rx)
            interrupt_entry_init(iopkt, tx)
            InterruptAttach(iopkt, IRQ, isr, a)
            a.mask = 3
        await iopkt.stack_call(attach)
        a.raise_cause(2)
        await p.sleep(2_000)
        a.raise_cause(3)
        await p.sleep(2_000)

    p.run(main())
    assert log == ["tx", "rx", "tx"]


def test_returning_0_lets_the_other_interface_run_first(env):
    """io-pkt's fairness: a process function that returns 0 goes to the tail of
    the run queue, and its enable is not called until it returns 1."""
    p, iopkt, a, b = env
    log = []
    _, _, attach_a = kernel_mask_driver(iopkt, a, log, work=3)
    _, sb, attach_b = hw_mask_driver(iopkt, b, log, read_cause_in_isr=True)
    masks_seen = []
    orig = iopkt.workers[0]

    async def main():
        await iopkt.stack_call(attach_a)
        await iopkt.stack_call(attach_b)
        a.raise_cause()
        b.raise_cause()  # same instant, same line: both ISRs queue their entries
        await p.sleep(5_000)
        masks_seen.append(iopkt.kernel.lines[IRQ].mask_count)

    p.run(main())
    assert log == ["a", "b", "a", "a"]
    assert masks_seen == [0] and orig.passes == 4


def test_isr_that_masks_nothing_on_a_level_line_storms(env):
    p, iopkt, a, _ = env

    async def main():
        ient = IopktInter(name="a", func=lambda arg, w: 1, enable=lambda arg: 1)
        await iopkt.stack_call(lambda: interrupt_entry_init(iopkt, ient))
        InterruptAttach(iopkt, IRQ, lambda area, iid: interrupt_queue(iopkt, ient), a)
        a.mask = 1
        a.raise_cause()
        await p.sleep(10**9)

    with pytest.raises(RuntimeError) as exc:
        p.run(main())
    assert isinstance(exc.value.__cause__, InterruptStorm) and f"irq {IRQ}" in str(exc.value)


def test_missed_kernel_unmask_is_reported_as_a_hang(env):
    p, iopkt, a, _ = env
    log = []
    ient, state, attach = kernel_mask_driver(iopkt, a, log)
    ient.enable = lambda arg: 1  # the bug: enable() forgets InterruptUnmask

    async def main():
        await iopkt.stack_call(attach)
        a.raise_cause()
        await p.sleep(1_000)
        a.raise_cause()  # the next interrupt never gets in
        await p.sleep(HANG_NS + 100_000_000)

    p.run(main())
    assert log == ["a"]
    hangs = iopkt.diagnose()
    assert len(hangs) == 1 and hangs[0].startswith(f"irq {IRQ} (a): interrupt pending but masked in the kernel")
    assert hangs[0] in iopkt.log


def test_missed_hardware_unmask_is_reported_as_a_hang(env):
    p, iopkt, a, _ = env
    log = []
    _, _, attach = hw_mask_driver(iopkt, a, log, forget_unmask=True)

    async def main():
        await iopkt.stack_call(attach)
        a.raise_cause()
        await p.sleep(1_000)
        a.raise_cause()
        await p.sleep(HANG_NS + 100_000_000)

    p.run(main())
    assert log == ["a"] and not a.line.level
    assert [h for h in iopkt.diagnose() if "masked in dev@a's interrupt mask register" in h]


def test_idle_masked_lines_are_not_reported(env):
    p, iopkt, a, _ = env
    log = []
    _, _, attach = hw_mask_driver(iopkt, a, log)

    async def main():
        await iopkt.stack_call(attach)
        a.mask = 0  # masked, but nothing pending: an interface that is down
        a.update()
        await p.sleep(3 * HANG_NS)

    p.run(main())
    assert iopkt.diagnose() == []


def test_interrupt_queue_before_entry_init_is_a_driver_bug(env):
    _, iopkt, _, _ = env
    with pytest.raises(DriverBug, match="before interrupt_entry_init"):
        interrupt_queue(iopkt, IopktInter(name="early"))


def test_interrupt_entry_init_is_stack_context_only(env):
    _, iopkt, _, _ = env
    from iopkt.kern.diag import StackContextError

    with pytest.raises(StackContextError, match="interrupt_entry_init"):
        interrupt_entry_init(iopkt, IopktInter(name="x"))


def test_interrupt_queue_wakes_an_idle_worker_only_and_counts_spurious_requeues(env):
    """on_list == 0: the entry is queued and the wake-up returned if the worker
    is idle; already on the list: spurious++ and nothing returned."""
    p, iopkt, _, _ = env
    log = []
    first = IopktInter(name="first", enable=lambda arg: 1)
    second = IopktInter(name="second", func=lambda arg, w: (log.append("second"), 1)[1], enable=lambda arg: 1)
    got = {}

    async def slow(arg, wtp):
        log.append("first")
        await p.sleep(1_000)  # the worker is busy: a new entry needs no wake-up
        got["busy"] = interrupt_queue(iopkt, second)
        return 1

    first.func = slow

    async def main():
        await iopkt.stack_call(lambda: (interrupt_entry_init(iopkt, first), interrupt_entry_init(iopkt, second)))
        ev = interrupt_queue(iopkt, first)
        got["idle"] = ev
        got["again"] = interrupt_queue(iopkt, first)  # before it ran: still on the list
        ev.set()
        await p.sleep(5_000)

    p.run(main())
    assert got["idle"] is iopkt.workers[0].wake and got["again"] is None and got["busy"] is None
    assert first.spurious == 1 and second.spurious == 0
    assert log == ["first", "second"]  # the busy worker picked the second entry up in the same pass
    assert first.on_list == second.on_list == 0


def test_enable_is_called_only_after_a_nonzero_return_and_on_list_is_cleared_first(env):
    p, iopkt, _, _ = env
    trace = []
    ient = IopktInter(name="e")
    left = [3]

    def func(arg, wtp):
        left[0] -= 1
        trace.append(("func", left[0] == 0))
        return 1 if left[0] == 0 else 0

    def enable(arg):
        trace.append(("enable", ient.on_list))
        return 1

    ient.func, ient.enable = func, enable

    async def main():
        await iopkt.stack_call(lambda: interrupt_entry_init(iopkt, ient))
        interrupt_queue(iopkt, ient).set()
        await p.sleep(1_000)

    p.run(main())
    assert trace == [("func", False), ("func", False), ("func", True), ("enable", 0)]


def _platform_with(**settings):
    p = VirtualPlatform()
    for name, value in settings.items():
        setattr(p, name, value)
    line = VirtualIrqLine()
    a = Dev("a", line)
    seen = []

    def probe():
        seen.append(p.now_ns())
        return "CAUSE = 1, MASK = 0" if a.pending_masked() else ""

    p.devices.append(PlatformDevice("dev@a", None, line, IRQ, props={"irq_pending": probe}))
    return p, IoPkt(p), a, seen


def test_platform_thresholds_and_a_fatal_hang():
    """A platform's own hang threshold and poll period replace io-pkt's 100 ms and 25 ms; with hang_fatal
    the missed unmask raises DriverBug from the watch, its message in the log, with the probe's words."""
    p, iopkt, a, seen = _platform_with(hang_ns=200_000, hang_poll_ns=50_000, hang_fatal=True)
    _, _, attach = hw_mask_driver(iopkt, a, [], forget_unmask=True)

    async def main():
        await iopkt.stack_call(attach)
        a.raise_cause()
        await p.sleep(1_000)
        a.raise_cause()
        await p.sleep(10_000_000)

    with pytest.raises(RuntimeError) as exc:
        p.run(main())
    err = exc.value.__cause__
    assert isinstance(err, DriverBug), repr(exc.value)
    assert "masked in dev@a's interrupt mask register (CAUSE = 1, MASK = 0) for 200 us" in str(err)
    assert str(err) in iopkt.log
    assert seen[0] == 50_000 and all(b - a_ == 50_000 for a_, b in zip(seen, seen[1:], strict=False))
    assert p.now_ns() < 1_000_000


def test_platform_storm_threshold():
    p, iopkt, a, _ = _platform_with(storm_entries=50)
    """A platform's own storm threshold replaces io-pkt's 2000 entries."""
    _, _, attach = hw_mask_driver(iopkt, a, [])

    async def main():
        await iopkt.stack_call(attach)
        for h in iopkt.kernel.lines[IRQ].handlers:
            h.isr = lambda area, iid: None  # masks nothing, queues nothing
        a.raise_cause()
        await p.sleep(10**9)

    with pytest.raises(RuntimeError) as exc:
        p.run(main())
    assert isinstance(exc.value.__cause__, InterruptStorm) and "51 ISR entries" in str(exc.value.__cause__)


def test_observers_see_the_interrupt_path_in_order(env):
    """kernel.observers: ISR entry, InterruptMask from the ISR, the pass and its return, enable(), its
    InterruptUnmask, in that order, named by irq and interrupt entry."""
    p, iopkt, a, _ = env
    events = []
    iopkt.kernel.observers.append(lambda event, irq, name: events.append((event, irq, name)))
    ient, _, attach = kernel_mask_driver(iopkt, a, [])

    async def main():
        await iopkt.stack_call(attach)
        a.raise_cause()
        await p.sleep(10_000)

    p.run(main())
    assert events == [("isr", IRQ, "a"), ("mask", IRQ, "a"), ("process", -1, "a returned 1"), ("enable", -1, "a"),
                      ("unmask", IRQ, "a")]


def test_slog_entries_carry_simulated_time(env):
    p, iopkt, _, _ = env

    async def main():
        await p.sleep(1_234_567)
        iopkt.printf("nic0: link up")

    p.run(main())
    assert iopkt.slog_entries() == [(1_234_567, f"   0.001234 {iopkt.name}: nic0: link up")]
    assert iopkt.sloginfo() == f"   0.001234 {iopkt.name}: nic0: link up\n"
