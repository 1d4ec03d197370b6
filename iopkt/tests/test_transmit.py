"""The transmit path as io-pkt has it (docs/iopkt-semantics.md, "Transmit path and
locking"): the stack enqueues under the transmit mutex and calls ``if_start``
with it held unless ``IFF_OACTIVE`` is set in ``if_flags_tx``; ``if_start``
releases it on every path; a full ``if_snd`` frees the packet, counts a drop
and returns ``ENOBUFS``; the mutex keeps a critical count, and interrupt
processing waits until that count is back to zero."""

from __future__ import annotations

import pytest

from iopkt.kern.diag import DriverBug
from iopkt.kern.errno import ENOBUFS, EOK
from iopkt.kern.intr import IopktInter, interrupt_entry_init, interrupt_queue
from iopkt.kern.iopkt import IoPkt
from iopkt.kern.mbuf import m_devget, m_freem
from iopkt.kern.proc import Proc
from iopkt.kern.siglock import NW_SIGLOCK_P, NW_SIGUNLOCK_P, NwSigLock
from iopkt.net.if_ import (
    IFF_OACTIVE,
    IFF_RUNNING,
    IFQ_DEQUEUE,
    IFQ_SET_MAXLEN,
    Ifnet,
    if_attach,
    if_transmit,
)
from iopkt.platform.virtual import VirtualPlatform


@pytest.fixture
def env():
    p = VirtualPlatform()
    yield p, IoPkt(p)
    p.close()


def _ifnet(iopkt, start, name="tx0") -> Ifnet:
    ifp = Ifnet()
    ifp.if_xname = name
    ifp.if_flags_tx = IFF_RUNNING
    ifp.if_start = start
    return ifp


def _copying_start(sent):
    """A copy-style start: drain the queue, free each packet, unlock."""
    def start(ifp):
        while (m := IFQ_DEQUEUE(ifp.if_snd)) is not None:
            sent.append(m.m_pkthdr.len)
            m_freem(m)
        NW_SIGUNLOCK_P(ifp.if_snd_ex, ifp.if_iopkt, None)
    return start


def test_critical_count_follows_lock_and_unlock_and_a_second_holder_waits(env):
    p, iopkt = env
    lock = NwSigLock()
    a, b = Proc("a"), Proc("b")
    seen = []

    async def second():
        await NW_SIGLOCK_P(lock, iopkt, b)
        seen.append(("b has it", p.now_ns(), lock.critical))
        NW_SIGUNLOCK_P(lock, iopkt, b)

    async def main():
        assert lock.critical == 0 and not lock.locked
        await NW_SIGLOCK_P(lock, iopkt, a)
        assert lock.critical == 1 and lock.owner is a
        t = p.spawn(second())
        await p.sleep(5_000)
        assert not seen  # b is blocked behind a
        seen.append(("a releases", p.now_ns(), lock.critical))
        NW_SIGUNLOCK_P(lock, iopkt, a)
        await t.join()
        assert lock.critical == 0 and not lock.locked

    p.run(main())
    assert seen == [("a releases", 5_000, 1), ("b has it", 5_000, 1)]


def test_relocking_a_held_mutex_is_a_self_deadlock_and_unlocking_a_free_one_a_bug(env):
    p, iopkt = env
    lock = NwSigLock()
    a = Proc("a")

    async def relock():
        await NW_SIGLOCK_P(lock, iopkt, a)
        await NW_SIGLOCK_P(lock, iopkt, a)

    with pytest.raises(RuntimeError) as exc:
        p.run(relock())
    assert isinstance(exc.value.__cause__, DriverBug) and "self-deadlock" in str(exc.value)
    with pytest.raises(DriverBug, match="not held"):
        NW_SIGUNLOCK_P(NwSigLock(), iopkt, a)


def test_if_start_is_called_with_the_mutex_held_and_releases_it(env):
    p, iopkt = env
    held_in_start = []
    sent = []

    def start(ifp):
        held_in_start.append((ifp.if_snd_ex.locked, ifp.if_snd_ex.critical))
        _copying_start(sent)(ifp)

    ifp = _ifnet(iopkt, start)

    async def main():
        if_attach(iopkt, ifp)
        return await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * 60))

    assert p.run(iopkt.stack_call(main)) == EOK
    assert held_in_start == [(True, 1)] and sent == [60]
    assert not ifp.if_snd_ex.locked and ifp.if_snd_ex.critical == 0
    iopkt.mbufs.check_no_leaks()


def test_oactive_keeps_the_stack_from_calling_start_until_the_driver_restarts_it(env):
    p, iopkt = env
    sent = []
    calls = []

    def start(ifp):
        calls.append(1)
        _copying_start(sent)(ifp)

    ifp = _ifnet(iopkt, start)
    ifp.if_flags_tx |= IFF_OACTIVE  # out of descriptors

    async def main():
        if_attach(iopkt, ifp)
        for n in (60, 61):
            assert await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * n)) == EOK
        assert calls == [] and ifp.if_snd.ifq_len == 2 and not ifp.if_snd_ex.locked
        # Transmit completion: the driver clears OACTIVE and calls start under the lock.
        await NW_SIGLOCK_P(ifp.if_snd_ex, iopkt, None)
        ifp.if_flags_tx &= ~IFF_OACTIVE
        start(ifp)

    p.run(iopkt.stack_call(main))
    assert calls == [1] and sent == [60, 61] and not ifp.if_snd_ex.locked
    iopkt.mbufs.check_no_leaks()


def test_a_full_send_queue_frees_the_packet_counts_a_drop_and_is_enobufs(env):
    p, iopkt = env
    ifp = _ifnet(iopkt, None)
    ifp.if_flags_tx |= IFF_OACTIVE  # nothing drains the queue
    IFQ_SET_MAXLEN(ifp.if_snd, 2)

    async def main():
        if_attach(iopkt, ifp)
        return [await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * 60)) for _ in range(3)]

    assert p.run(iopkt.stack_call(main)) == [EOK, EOK, ENOBUFS]
    assert ifp.if_snd.ifq_drops == 1 and ifp.if_snd.ifq_len == 2
    assert iopkt.mbufs.mbufs_in_use == 2  # the third packet was freed, not leaked
    assert not ifp.if_snd_ex.locked  # the failed enqueue released the mutex too


def test_a_start_that_keeps_the_mutex_on_one_path_only_is_named(env):
    """Every exit path must unlock: here only the 'out of resources' one forgets."""
    p, iopkt = env
    sent = []

    def start(ifp):
        if ifp.if_snd.ifq_len > 1:  # pretend the ring is full
            ifp.if_flags_tx |= IFF_OACTIVE
            return  # the bug: no NW_SIGUNLOCK_P on this path
        _copying_start(sent)(ifp)

    ifp = _ifnet(iopkt, start, name="oops0")

    async def main():
        if_attach(iopkt, ifp)
        assert await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * 60)) == EOK  # the good path
        ifp.if_flags_tx |= IFF_OACTIVE
        await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * 60))
        ifp.if_flags_tx &= ~IFF_OACTIVE
        await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * 60))  # two queued: the bad path

    with pytest.raises(RuntimeError) as exc:
        p.run(iopkt.stack_call(main))
    assert isinstance(exc.value.__cause__, DriverBug)
    assert "oops0" in str(exc.value) and "NW_SIGUNLOCK_P" in str(exc.value)


def test_interrupt_processing_queued_under_the_mutex_runs_once_the_critical_count_is_zero(env):
    """io-pkt defers interrupt work while the stack is in the transmit critical
    section and runs it when the count drops to zero; here it runs when the
    start function has unlocked and the stack context is free."""
    p, iopkt = env
    trace = []
    ient = IopktInter(name="rx0")

    def func(arg, wtp):
        trace.append(("process", p.now_ns(), ifp.if_snd_ex.critical, ifp.if_snd_ex.locked))
        return 1

    ient.func, ient.enable = func, lambda arg: 1

    async def slow_start(ifp):
        trace.append(("start", p.now_ns(), ifp.if_snd_ex.critical))
        await p.sleep(10_000)  # writing descriptors and a doorbell, mutex held
        m_freem(IFQ_DEQUEUE(ifp.if_snd))
        NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, None)
        trace.append(("unlocked", p.now_ns(), ifp.if_snd_ex.critical))

    ifp = _ifnet(iopkt, slow_start)

    async def isr_during_start():
        await p.sleep(2_000)
        ev = interrupt_queue(iopkt, ient)  # what an ISR does; the worker is idle
        assert ev is not None
        ev.set()

    async def main():
        if_attach(iopkt, ifp)
        interrupt_entry_init(iopkt, ient)
        p.spawn(isr_during_start())
        await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * 60))

    async def top():
        await iopkt.stack_call(main)
        await p.sleep(1_000)

    p.run(top())
    assert trace == [("start", 0, 1), ("unlocked", 10_000, 0), ("process", 10_000, 0, False)]
