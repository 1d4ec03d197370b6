"""The kernel layer against io-pkt's documented behaviour (docs/iopkt-semantics.md)."""

from __future__ import annotations

import pytest

from iopkt.kern.callout import Callout, callout_init, callout_msec, callout_stop
from iopkt.kern.device import CFATTACH_DECL, Device, Ref, dev_attach, dev_detach
from iopkt.kern.diag import DriverBug, InterruptStorm, MbufError, StackContextError
from iopkt.kern.errno import EALREADY, EOK, EWOULDBLOCK
from iopkt.kern.intr import IopktInter, interrupt_entry_init, interrupt_queue
from iopkt.kern.iopkt import IoPkt
from iopkt.kern.mbuf import (
    M_DONTWAIT,
    M_PKTHDR,
    MCLBYTES,
    MT_DATA,
    m_adj,
    m_copydata,
    m_devget,
    m_dup,
    m_free,
    m_freem,
    m_getcl,
    m_gethdr,
    m_length,
    m_prepend,
    m_pullup,
)
from iopkt.kern.synch import ltsleep, wakeup
from iopkt.net.if_ import IFF_RUNNING, IFQ_DEQUEUE, IFQ_ENQUEUE, Ifnet, IfQueue, if_attach, if_transmit
from iopkt.platform.virtual import VirtualIrqLine, VirtualPlatform


@pytest.fixture
def env():
    p = VirtualPlatform()
    yield p, IoPkt(p)
    p.close()


def test_stack_context_hands_off_in_fifo_order(env):
    p, iopkt = env
    order = []

    async def job(name):
        await iopkt.stack_call(lambda: order.append(name), proc_name=name)

    async def main():
        tasks = [p.spawn(job(n)) for n in "abc"]
        for t in tasks:
            await t.join()

    p.run(main())
    assert order == ["a", "b", "c"]


def test_mbuf_pool_accounts_exactly_and_names_double_free(env):
    _, iopkt = env
    pool = iopkt.mbufs
    m = m_getcl(pool, M_DONTWAIT, MT_DATA, M_PKTHDR)
    assert pool.clusters_in_use == 1 and pool.mbufs_in_use == 1
    with pytest.raises(MbufError, match="leak"):
        pool.check_no_leaks("test")
    m_freem(m)
    pool.check_no_leaks()
    with pytest.raises(MbufError, match="double free"):
        m_free(m)


def test_withheld_clusters_stay_out_of_the_pool_until_released(env):
    """A cluster shortage: every allocation of a cluster fails for all of it, even just after a cluster
    was freed (a single free must not end it), while plain mbufs are still to be had; released, every
    cluster is back and can be taken again."""
    _, iopkt = env
    pool = iopkt.mbufs
    held = m_getcl(pool, M_DONTWAIT, MT_DATA, M_PKTHDR)
    assert pool.withhold_clusters() == pool.nclusters - 1
    with pytest.raises(ValueError):
        pool.withhold_clusters()
    m_freem(held)
    assert m_getcl(pool, M_DONTWAIT, MT_DATA, M_PKTHDR) is None
    plain = m_gethdr(pool, M_DONTWAIT, MT_DATA)
    assert plain is not None and pool.clusters_in_use == 0
    m_freem(plain)
    assert pool.release_clusters() == pool.nclusters
    with pytest.raises(ValueError):
        pool.release_clusters()
    taken = [m_getcl(pool, M_DONTWAIT, MT_DATA, M_PKTHDR) for _ in range(pool.nclusters)]
    assert None not in taken and len({m.ext_buf for m in taken}) == pool.nclusters
    for m in taken:
        m_freem(m)
    pool.check_no_leaks()


def test_mbuf_chain_operations_keep_bytes(env):
    _, iopkt = env
    data = bytes(range(256)) * 12  # 3072 bytes: two clusters
    m = m_devget(iopkt.mbufs, data)
    assert m_length(m) == len(data) == m.m_pkthdr.len
    assert m.m_len == MCLBYTES and m_copydata(m, 0, len(data)) == data
    m = m_prepend(m, 14)
    iopkt.mbufs.memory.write(m.m_data, b"H" * 14)
    assert m_copydata(m, 0, 20) == b"H" * 14 + data[:6]
    m = m_pullup(m, 100)
    assert m.m_len >= 100 and m_copydata(m, 0, 20) == b"H" * 14 + data[:6]
    m_adj(m, 14)
    m_adj(m, -72)
    assert m_copydata(m, 0, m_length(m)) == data[:-72] and m.m_pkthdr.len == len(data) - 72
    d = m_dup(m)
    assert m_copydata(d, 0, m_length(d)) == data[:-72]
    m_freem(m)
    m_freem(d)
    iopkt.mbufs.check_no_leaks()


def test_ifq_full_queue_drops_and_frees(env):
    _, iopkt = env
    q = IfQueue(maxlen=2)
    ms = [m_devget(iopkt.mbufs, b"x" * 60) for _ in range(3)]
    assert IFQ_ENQUEUE(q, ms[0]) == EOK and IFQ_ENQUEUE(q, ms[1]) == EOK
    assert IFQ_ENQUEUE(q, ms[2]) != EOK and q.ifq_drops == 1
    assert iopkt.mbufs.mbufs_in_use == 2  # the dropped packet was freed
    m_freem(IFQ_DEQUEUE(q))
    m_freem(IFQ_DEQUEUE(q))
    iopkt.mbufs.check_no_leaks()


def test_dev_attach_units_and_ealready(env):
    p, iopkt = env

    class Soft(Device):
        pass

    ca = CFATTACH_DECL("sam", Soft, None, lambda parent, self, aux: EOK, None)

    async def main():
        results = []
        for opts in ("", "", "unit=5", "lan=5", "name=foo"):
            devp, single = Ref(), Ref(0)
            err = await dev_attach(iopkt, "sam", opts, ca, None, single, devp, None)
            results.append((err, devp.value.dv_xname if devp.value else None, single.value))
        return results

    res = p.run(iopkt.stack_call(main))
    assert res == [(EOK, "sam0", 0), (EOK, "sam1", 0), (EOK, "sam5", 1), (EALREADY, None, 1), (EOK, "foo0", 0)]

    async def detach_first():
        return await dev_detach(iopkt.alldevs[0])

    assert p.run(iopkt.stack_call(detach_first)) == EOK
    # the lowest free unit is reused
    res = p.run(iopkt.stack_call(lambda: dev_attach(iopkt, "sam", "", ca, None, None, Ref(), None)))
    assert res == EOK and sorted(d.dv_xname for d in iopkt.alldevs) == ["foo0", "sam0", "sam1", "sam5"]


class _LevelDevice:
    """A Python device with a cause register and an interrupt mask, driving a level line."""

    def __init__(self, platform):
        self.line = VirtualIrqLine()
        self.cause = 0
        self.mask = 0

    def update(self):
        self.line.set(bool(self.cause & self.mask))


def _wire_entry(iopkt, dev, isr, func):
    ient = IopktInter(func=func, enable=lambda arg: _enable(dev), arg=dev, name="lvl0")

    async def setup():
        interrupt_entry_init(iopkt, ient, 0, None)
        iopkt.kernel.attach(7, dev.line, isr, dev, "lvl0")

    return ient, setup


def _enable(dev):
    dev.mask = 1
    dev.update()
    return 1


def test_level_interrupt_flow_masks_queues_and_reenables(env):
    p, iopkt = env
    dev = _LevelDevice(p)
    calls = []

    def isr(area, iid):
        area.mask = 0
        area.update()
        return interrupt_queue(iopkt, ient)

    def func(arg, wtp):
        calls.append(p.now_ns())
        arg.cause = 0
        return 1

    ient, setup = _wire_entry(iopkt, dev, isr, func)

    async def main():
        await iopkt.stack_call(setup)
        _enable(dev)
        for _ in range(3):
            dev.cause = 1
            dev.update()
            await p.sleep(10_000)

    p.run(main())
    assert len(calls) == 3 and dev.mask == 1 and ient.on_list == 0


def test_isr_that_does_not_mask_storms_detectably(env):
    p, iopkt = env
    dev = _LevelDevice(p)
    ient, setup = _wire_entry(iopkt, dev, lambda area, iid: interrupt_queue(iopkt, ient), lambda a, w: 1)

    async def main():
        await iopkt.stack_call(setup)
        _enable(dev)
        dev.cause = 1
        dev.update()
        await p.sleep(10**9)

    with pytest.raises(RuntimeError) as exc:
        p.run(main())
    assert isinstance(exc.value.__cause__, InterruptStorm) and "lvl0" in str(exc.value)


def test_process_function_that_never_finishes_is_a_livelock(env):
    p, iopkt = env
    dev = _LevelDevice(p)

    def isr(area, iid):
        area.mask = 0
        area.update()
        return interrupt_queue(iopkt, ient)

    ient, setup = _wire_entry(iopkt, dev, isr, lambda a, w: 0)

    async def main():
        await iopkt.stack_call(setup)
        _enable(dev)
        dev.cause = 1
        dev.update()
        await p.sleep(10**6)

    with pytest.raises(RuntimeError) as exc:
        p.run(main())
    assert isinstance(exc.value.__cause__, DriverBug) and "livelock" in str(exc.value)


def test_missed_unmask_hangs_the_interface(env):
    p, iopkt = env
    dev = _LevelDevice(p)
    calls = []

    def isr(area, iid):
        area.mask = 0
        area.update()
        return interrupt_queue(iopkt, ient)

    def func(arg, wtp):
        calls.append(1)
        arg.cause = 0
        return 1

    ient, setup = _wire_entry(iopkt, dev, isr, func)
    ient.enable = lambda arg: 1  # the bug: enable forgets to unmask

    async def main():
        await iopkt.stack_call(setup)
        _enable(dev)
        for _ in range(3):
            dev.cause = 1
            dev.update()
            await p.sleep(10_000)

    p.run(main())
    assert calls == [1]  # the first interrupt was served, then nothing ever again
    assert dev.cause == 1 and not dev.line.level


def test_callout_rounds_to_ticks_and_is_one_shot(env):
    p, iopkt = env
    fired = []
    c = Callout()

    async def main():
        await iopkt.stack_call(lambda: callout_init(c, iopkt))
        await iopkt.stack_call(lambda: callout_msec(c, 1, lambda arg: fired.append((p.now_ns(), iopkt.curproc)), None))
        await p.sleep(100 * iopkt.tick_ns)

    p.run(main())
    assert len(fired) == 1
    assert fired[0][0] == iopkt.tick_ns  # 1 ms rounds up to one tick of hz
    assert fired[0][1] is iopkt.proc0


def test_callout_stop_does_not_wait_for_a_running_callout(env):
    """The guide's race: the callout re-arms itself after callout_stop."""
    p, iopkt = env
    c = Callout()
    runs = []

    async def monitor(arg):
        runs.append(p.now_ns())
        await p.sleep(1_000_000)  # slow work inside the callout (e.g. MII reads)
        callout_msec(c, 10, monitor, arg)  # the unguarded re-arm

    async def main():
        await iopkt.stack_call(lambda: callout_init(c, iopkt))
        await iopkt.stack_call(lambda: callout_msec(c, 10, monitor, None))
        await p.sleep(2 * iopkt.tick_ns + 500_000)  # the callout is mid-run
        assert c.running
        assert callout_stop(c) is False  # nothing pending: it is running
        await p.sleep(10 * iopkt.tick_ns)

    p.run(main())
    assert len(runs) >= 3  # the "stopped" timer kept firing


def test_ltsleep_rules(env):
    p, iopkt = env
    ident = object()

    async def sleeper():
        return await ltsleep(iopkt, ident, 0, "wait", 0)

    async def timed():
        return await ltsleep(iopkt, ident, 0, "timed", 2)

    async def main():
        t = p.spawn(iopkt.stack_call(sleeper))
        await p.sleep(1000)
        assert not t.done()
        assert iopkt.ctx.owner is None  # the sleeper gave the stack away
        await iopkt.stack_call(lambda: wakeup(iopkt, ident))
        first = await t.join()
        second = await iopkt.stack_call(timed)
        return first, second

    assert p.run(main()) == (EOK, EWOULDBLOCK)
    with pytest.raises(RuntimeError) as exc:
        p.run(ltsleep(iopkt, ident, 0, "outside", 1))
    assert isinstance(exc.value.__cause__, StackContextError)


def test_if_start_that_keeps_the_mutex_is_named(env):
    p, iopkt = env
    ifp = Ifnet()
    ifp.if_xname = "bad0"
    ifp.if_flags_tx = IFF_RUNNING

    def bad_start(ifp):
        IFQ_DEQUEUE(ifp.if_snd)  # and forgets NW_SIGUNLOCK_P

    ifp.if_start = bad_start

    async def main():
        if_attach(iopkt, ifp)
        return await if_transmit(ifp, m_devget(iopkt.mbufs, b"x" * 60))

    with pytest.raises(RuntimeError) as exc:
        p.run(iopkt.stack_call(main))
    assert isinstance(exc.value.__cause__, DriverBug) and "bad0" in str(exc.value)
