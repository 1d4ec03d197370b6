"""The sample driver on the virtual platform, and the driver guide's suggested
test: mount, configure an address, run traffic, ``ifconfig destroy``, again
and again, with nothing left behind."""

from __future__ import annotations

import pytest

import devnp_sam  # noqa: F401  (registers devnp-sam.so)
from devnp_sam import sam as sam_mod
from iopkt.kern.errno import EOK
from iopkt.kern.intr import HANG_NS
from iopkt.kern.iopkt import IoPkt
from iopkt.net.if_ import IFF_RUNNING, SIOCADDMULTI, ifioctl, ifunit
from iopkt.netinet import inet_attach, inet_detach, udp_socket
from iopkt.platform.virtual import VirtualPlatform
from iopkt.sbin.shell import run_command


@pytest.fixture
def host():
    p = VirtualPlatform()
    iopkt = IoPkt(p, name="io-pkt")
    p.run(until=inet_attach(iopkt))
    yield p, iopkt
    p.close()


def sh(p, iopkt, line):
    return p.run(until=run_command(iopkt, line))


def test_mount_attaches_sam0_to_the_clock_interrupt(host):
    p, iopkt = host
    assert sh(p, iopkt, "mount -T io-pkt /lib/dll/devnp-sam.so").status == 0
    assert sh(p, iopkt, "ifconfig -l").output == ["sam0"]
    assert "devnp-sam.so" in iopkt.dlls
    assert iopkt.kernel.attached == []  # the interrupt is attached by init, not attach
    assert sh(p, iopkt, "ifconfig sam0 10.0.0.1/24").status == 0
    assert [(irq, name) for irq, _, name in iopkt.kernel.attached] == [(p.qtime.intr, "sam0")]


def test_every_thousandth_interrupt_sends_a_frame_up(host):
    p, iopkt = host
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    p.run(for_ns=2_500_000_000)  # 2.5 s of 1 ms clock ticks
    sam = iopkt.alldevs[0]
    assert 2400 < sam.sc_intr_cnt <= 2500
    ifp = ifunit(iopkt, "sam0")
    assert ifp.if_ipackets == 3  # interrupts 0, 1000, 2000
    assert iopkt.inet.ipstat.ips_tooshort + iopkt.inet.ipstat.ips_toosmall == 3  # a bare header: dropped by IP
    assert iopkt.mbufs.mbufs_in_use == 0


def test_second_mount_with_same_unit_is_ealready_and_lowest_free_unit_otherwise(host):
    p, iopkt = host
    assert sh(p, iopkt, "mount -T io-pkt -o unit=1 devnp-sam.so").status == 0
    r = sh(p, iopkt, "mount -T io-pkt -o lan=1 devnp-sam.so")
    assert r.status == 1 and r.output[-1] == "mount: Possible reason: Operation already in progress"
    assert sh(p, iopkt, "mount -T io-pkt devnp-sam.so").status == 0
    assert sh(p, iopkt, "mount -T io-pkt -o name=xx devnp-sam.so").status == 0
    assert sorted(sh(p, iopkt, "ifconfig -l").output[0].split()) == ["sam0", "sam1", "xx0"]
    assert iopkt.dlls["devnp-sam.so"].opens == 3  # each mount opened it; the failed one closed again


def test_driver_is_unloaded_when_its_last_device_is_destroyed(host):
    p, iopkt = host
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    assert sh(p, iopkt, "ifconfig sam0 destroy").status == 0
    assert "devnp-sam.so" in iopkt.dlls
    assert sh(p, iopkt, "umount /dev/io-net/sam1").status == 0
    assert iopkt.dlls == {} and iopkt.alldevs == [] and iopkt.ifnet == []


def test_multicast_list_is_walked_to_the_end(host):
    """sam.c's filter loop never calls ETHER_NEXT_MULTI; the port does."""
    p, iopkt = host
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    ifp = ifunit(iopkt, "sam0")

    async def add(mac):
        return await ifioctl(ifp, SIOCADDMULTI, bytes.fromhex(mac))

    for mac in ("01005e000001", "01005e000002", "01005e000001"):
        assert p.run(until=iopkt.stack_call(add, mac)) == EOK
    adds = [line for line in iopkt.log if line.startswith("Add ")]
    # Two real changes (the duplicate only bumps a refcount), each walking the whole list.
    assert adds == ["Add 01:00:5e:00:00:01 to mcast filter",
                    "Add 01:00:5e:00:00:01 to mcast filter", "Add 01:00:5e:00:00:02 to mcast filter"]


def test_nicinfo_and_media(host):
    p, iopkt = host
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    out = sh(p, iopkt, "nicinfo sam0").output
    assert out[0] == "sam0:" and "  Link is UP" in out
    assert "  Current Physical Node ID .................... 000102 030405" in out
    r = sh(p, iopkt, "ifconfig -m sam0").output
    assert "\tmedia: Ethernet autoselect (1000baseT full-duplex)" in r and "\tstatus: active" in r
    assert r[-2:] == ["\t\tmedia autoselect", "\t\tmedia 1000baseT mediaopt full-duplex"]
    assert sh(p, iopkt, "ifconfig sam0 media 1000baseT mediaopt fdx").status == 0
    assert "\tmedia: Ethernet 1000baseT full-duplex" in sh(p, iopkt, "ifconfig sam0").output
    bad = sh(p, iopkt, "ifconfig sam0 media 10baseT")
    assert (bad.status, bad.output) == (1, ["ifconfig: SIOCSIFMEDIA: Invalid argument"])


async def _traffic(iopkt) -> None:
    sock = await udp_socket(iopkt)
    for i in range(5):
        await sock.sendto(b"x" * (20 + i), ("10.0.0.255", 9))
    await sock.sendto(b"held by ARP", ("10.0.0.2", 9))  # sits in the ARP hold queue until destroy
    sock.close()
    await iopkt.platform.sleep(3_000_000)


@pytest.mark.parametrize("opts", ["", "-o hwmask "])
def test_100_rounds_of_mount_configure_traffic_destroy_leave_nothing_behind(host, opts):
    p, iopkt = host
    base = iopkt.live_resources()
    for round_no in range(100):
        assert sh(p, iopkt, f"mount -T io-pkt {opts}/lib/dll/devnp-sam.so").status == 0
        assert sh(p, iopkt, "ifconfig sam0 10.0.0.1/24").status == 0
        ifp = ifunit(iopkt, "sam0")
        assert ifp.if_flags_tx & IFF_RUNNING
        p.run(until=_traffic(iopkt))
        assert ifp.if_opackets == 7, round_no  # gratuitous ARP, five broadcasts, one ARP request
        assert sh(p, iopkt, "ifconfig sam0 destroy").status == 0
        left = iopkt.live_resources().differs_from(base)
        assert left == [], f"round {round_no}: {left}"
    assert iopkt.dlls == {}
    assert iopkt.kernel.lines == {}
    p.run(until=inet_detach(iopkt))
    iopkt.mbufs.check_no_leaks("100 rounds")


def test_the_leak_check_sees_a_forgotten_interrupt_entry(host, monkeypatch):
    """The published sam.c does not remove its interrupt entry in detach."""
    p, iopkt = host
    monkeypatch.setattr(sam_mod, "interrupt_entry_remove", lambda iopkt, ient: None)
    base = iopkt.live_resources()
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24 up")
    sh(p, iopkt, "ifconfig sam0 destroy")
    assert iopkt.live_resources().differs_from(base) == ["interrupt_entries: ['sam0']"]


def test_shutdown_hook_stops_the_interrupt_at_exit(host):
    p, iopkt = host
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    p.run(until=iopkt.exit())
    assert iopkt.kernel.attached == [] and not ifunit(iopkt, "sam0").if_flags_tx & IFF_RUNNING


# -- the two sam_isr variants of sam.c (HW_MASK off and on) ------------------------------

def _mask_spy(monkeypatch):
    """Count the kernel masks sam takes and the mask writes it makes to its device."""
    seen = {"InterruptMask": 0, "IMC": 0, "IMS": 0}
    real_mask = sam_mod.InterruptMask

    def mask(iopkt, irq, iid):
        seen["InterruptMask"] += 1
        return real_mask(iopkt, irq, iid)

    monkeypatch.setattr(sam_mod, "InterruptMask", mask)
    return seen


def _spy_regs(sam, seen):
    regs = sam.sc_regs
    real_write = regs.write32

    async def write32(off, value):
        if off == sam_mod.SAM_REG_IMC:
            seen["IMC"] += 1
        elif off == sam_mod.SAM_REG_IMS:
            seen["IMS"] += 1
        await real_write(off, value)

    regs.write32 = write32


def test_kernel_mask_variant_masks_the_line_in_the_kernel(host, monkeypatch):
    p, iopkt = host
    seen = _mask_spy(monkeypatch)
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    p.run(for_ns=100_000_000)
    sam = iopkt.alldevs[0]
    assert sam.sc_regs is None and sam.sc_irq == p.qtime.intr
    assert 90 <= sam.sc_intr_cnt <= 100
    assert seen["InterruptMask"] == sam.sc_intr_cnt  # one kernel mask per interrupt served


def test_hwmask_variant_masks_in_the_device_and_leaves_the_line_open(host, monkeypatch):
    p, iopkt = host
    seen = _mask_spy(monkeypatch)
    assert sh(p, iopkt, "mount -T io-pkt -o hwmask devnp-sam.so").status == 0
    sam = iopkt.alldevs[0]
    _spy_regs(sam, seen)
    dev = p.interrupt_timer()
    assert sam.sc_irq == dev.irq_number != p.system_clock().intr
    assert sh(p, iopkt, "ifconfig sam0 10.0.0.1/24").status == 0
    p.run(for_ns=2_500_000_000)
    assert 2400 < sam.sc_intr_cnt <= 2500 and ifunit(iopkt, "sam0").if_ipackets == 3
    assert seen["InterruptMask"] == 0  # never the kernel mask...
    assert seen["IMC"] == sam.sc_intr_cnt  # ...a device mask per interrupt, undone by enable()
    assert seen["IMS"] == sam.sc_intr_cnt + 1  # (and once by init)
    assert iopkt.kernel.lines[sam.sc_irq].mask_count == 0
    assert iopkt.diagnose() == []
    sh(p, iopkt, "ifconfig sam0 destroy")
    assert p.itimer.mask == 0  # detach quietened the device before detaching its interrupt


@pytest.mark.parametrize("opts, how", [("", "masked in the kernel"),
                                       ("-o hwmask ", "masked in timer@0's interrupt mask register")])
def test_an_enable_that_does_not_unmask_hangs_sam_detectably_in_either_variant(host, monkeypatch, opts, how):
    p, iopkt = host
    monkeypatch.setattr(sam_mod, "sam_enable_interrupt", lambda sam: 1)  # the bug
    sh(p, iopkt, f"mount -T io-pkt {opts}devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    p.run(for_ns=HANG_NS + 100_000_000)
    assert iopkt.alldevs[0].sc_intr_cnt == 1  # served once, then deaf
    hangs = iopkt.diagnose()
    assert len(hangs) == 1 and how in hangs[0] and "(sam0)" in hangs[0]


def test_name_option_skips_units_taken_by_interfaces_that_are_not_devices(host):
    """`-o name=nic` next to an interface nic0 that no device owns (a pseudo
    or test interface): dev_attach picks nic1 rather than a clashing nic0."""
    from iopkt.tests.vwire import VirtualWire, vwire_attach

    p, iopkt = host
    p.run(until=iopkt.stack_call(vwire_attach, iopkt, "nic0", bytes.fromhex("020000000009"), VirtualWire()))
    res = sh(p, iopkt, "mount -T io-pkt -o name=nic /lib/dll/devnp-sam.so")
    assert res.status == 0, res.text
    assert sorted(sh(p, iopkt, "ifconfig -l").output[0].split()) == ["nic0", "nic1"]


def test_the_clock_keeps_its_period_and_stops_waking_once_nothing_acknowledges_it(host):
    """The clock chip (1 ms) interrupts sam once per tick on its period grid; after ``ifconfig destroy``
    detaches sam nothing acknowledges the pending tick, later ticks merge into it, and the model stops
    waking for them (a devnp-sam mounted and destroyed beside a NIC costs nothing afterwards)."""
    p, iopkt = host
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    clock, sam = p.qtime, iopkt.alldevs[0]
    p.run(for_ns=50_000_000)
    assert 48 <= sam.sc_intr_cnt <= clock.ticks <= sam.sc_intr_cnt + 1  # the last tick's ISR may be on its way
    assert sh(p, iopkt, "ifconfig sam0 destroy").status == 0
    ticks, resumes = clock.ticks, clock._task._gen
    p.run(for_ns=1_000_000_000)  # a second: a thousand ticks of the old model
    assert clock.ticks - ticks <= 1 and clock._task._gen - resumes <= 2
    # attached again, it interrupts on the same 1 ms grid as before
    sh(p, iopkt, "mount -T io-pkt devnp-sam.so")
    sh(p, iopkt, "ifconfig sam0 10.0.0.1/24")
    seen = []
    iopkt.kernel.observers.append(lambda ev, irq, name: ev == "isr" and seen.append(p.now_ns()))
    p.run(for_ns=10_000_000)
    assert len(seen) >= 9 and len({t % 1_000_000 for t in seen}) == 1
