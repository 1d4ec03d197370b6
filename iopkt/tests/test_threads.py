"""Driver threads: nw_pthread_create with its init function, names, quiesce
callouts and quiesce_block, quiesce_all around dev_detach, DVF_QUIESCESELF."""

from __future__ import annotations

import pytest

from iopkt.kern.device import CFATTACH_DECL, DVF_QUIESCESELF, Device, Ref, dev_attach, dev_detach
from iopkt.kern.diag import DriverBug
from iopkt.kern.errno import EINVAL, EOK
from iopkt.kern.iopkt import IoPkt
from iopkt.kern.nw_pthread import WTP, nw_pthread_create, nw_pthread_reap, pthread_setname_np, quiesce_block
from iopkt.platform.virtual import VirtualPlatform
from iopkt.sbin.shell import run_command


class Abc(Device):
    """The guide's devnp-abc100 with its "abc100 Rx" thread."""

    def __init__(self):
        super().__init__()
        self.quiescing = False
        self.quiesce_die = False
        self.loops = 0
        self.log = []
        self.wtp = None
        self.answer_quiesce = True


def thread_quiesce(dev: Abc, die: int) -> None:
    dev.quiescing = True
    dev.quiesce_die = bool(die)
    dev.log.append(f"quiesce die={die}")


def thread_init_fn(dev: Abc) -> int:
    wtp = WTP(dev.dv_iopkt)
    pthread_setname_np(wtp, f"{dev.dv_xname} Rx")
    wtp.quiesce_callout = thread_quiesce
    wtp.quiesce_arg = dev
    dev.wtp = wtp
    return EOK


async def thread_fn(dev: Abc) -> None:
    p = dev.dv_iopkt.platform
    while True:
        if dev.quiescing and dev.answer_quiesce:
            if dev.quiesce_die:
                dev.log.append("dying")  # clean up here
            dev.quiescing = False
            await quiesce_block(dev.wtp, int(dev.quiesce_die))
            dev.log.append("resumed")
        dev.loops += 1  # normal thread work
        await p.sleep(10_000)


async def abc_attach(parent, self: Abc, aux):
    return await nw_pthread_create(self.dv_iopkt, Ref(), None, thread_fn, self, 0, thread_init_fn, self)


async def abc_detach(self: Abc, flags):
    self.log.append(f"detach quiesce_count={self.dv_iopkt.quiesce_count}")
    return await nw_pthread_reap(self.dv_iopkt, self.wtp)


abc_ca = CFATTACH_DECL("abc", Abc, None, abc_attach, abc_detach)


@pytest.fixture
def env():
    p = VirtualPlatform()
    iopkt = IoPkt(p)
    yield p, iopkt
    p.close()


def attach(p, iopkt, name="abc"):
    devp = Ref()
    assert p.run(until=iopkt.stack_call(dev_attach, iopkt, name, "", abc_ca, None, None, devp)) == EOK
    return devp.value


def test_thread_runs_named_and_shows_in_pidin(env):
    p, iopkt = env
    dev = attach(p, iopkt)
    p.run(for_ns=100_000)
    assert dev.loops >= 10 and iopkt.threads[0].name == "abc0 Rx"
    out = p.run(until=run_command(iopkt, "pidin -p io-pkt thread")).output
    assert out[0].split() == ["pid", "name", "thread", "name", "STATE", "Blocked"]
    assert [line.split()[2:] for line in out[1:]] == [["io-pkt", "main", "SIGWAITINFO"],
                                                        ["io-pkt#0x00", "RECEIVE", "1"], ["abc0", "Rx", "RUNNING"]]
    assert p.run(until=run_command(iopkt, "pidin thread x")).status == 1


def test_quiesce_all_parks_the_thread_until_unquiesce_all(env):
    p, iopkt = env
    dev = attach(p, iopkt)

    async def main():
        await iopkt.quiesce_all()
        await iopkt.quiesce_all()  # nests
        assert iopkt.threads[0].state == "QUIESCED"
        before = dev.loops
        await p.sleep(100_000)
        assert dev.loops == before  # parked
        await iopkt.unquiesce_all()
        await p.sleep(100_000)
        assert dev.loops == before  # still one level in
        await iopkt.unquiesce_all()
        await p.sleep(100_000)
        return dev.loops > before

    assert p.run(until=iopkt.stack_call(main)) is True
    assert dev.log == ["quiesce die=0", "resumed"]


def test_dev_detach_quiesces_around_detach_and_the_thread_dies_in_quiesce_block(env):
    p, iopkt = env
    dev = attach(p, iopkt)
    assert p.run(until=iopkt.stack_call(dev_detach, dev)) == EOK
    # Parked by quiesce_all when the reap came, the thread ends inside quiesce_block.
    assert dev.log == ["quiesce die=0", "detach quiesce_count=1", "quiesce die=1"]
    assert iopkt.threads == [] and iopkt.quiesce_count == 0


def test_dvf_quiesceself_skips_the_stack_wide_quiesce(env):
    p, iopkt = env
    dev = attach(p, iopkt)
    dev.dv_flags |= DVF_QUIESCESELF
    assert p.run(until=iopkt.stack_call(dev_detach, dev)) == EOK
    assert dev.log == ["detach quiesce_count=0", "quiesce die=1", "dying"]


def test_thread_that_never_calls_quiesce_block_is_named(env):
    p, iopkt = env
    dev = attach(p, iopkt)
    dev.answer_quiesce = False
    with pytest.raises(RuntimeError) as exc:
        p.run(until=iopkt.stack_call(iopkt.quiesce_all))
    assert isinstance(exc.value.__cause__, DriverBug) and "'abc0 Rx'" in str(exc.value)


def test_init_function_is_mandatory_and_must_set_the_quiesce_callout(env):
    p, iopkt = env

    async def create(init):
        return await nw_pthread_create(iopkt, None, None, thread_fn, None, 0, init, None)

    assert p.run(until=iopkt.stack_call(create, None)) == EINVAL
    with pytest.raises(RuntimeError, match="set no quiesce_callout"):
        p.run(until=iopkt.stack_call(create, lambda arg: EOK))
    with pytest.raises(Exception, match="outside stack context"):
        p.run(until=create(thread_init_fn))


def test_unnamed_thread_looks_like_an_io_pkt_thread(env):
    p, iopkt = env

    def init(arg):
        WTP(iopkt).quiesce_callout = lambda a, die: None
        return EOK

    async def idle(arg):
        await iopkt.platform.sleep(10**9)

    assert p.run(until=iopkt.stack_call(nw_pthread_create, iopkt, None, None, idle, None, 0, init, None)) == EOK
    assert iopkt.threads[0].name == "io-pkt#0x01" and "has no name" in iopkt.log[-1]


def test_exit_tells_threads_to_die(env):
    p, iopkt = env
    dev = attach(p, iopkt)
    p.run(until=iopkt.exit())
    assert dev.log == ["quiesce die=1", "dying"] and iopkt.threads == []
    assert iopkt.live_resources().threads == []
