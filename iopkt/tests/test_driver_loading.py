"""Driver loading as io-pkt does it: mount by name with options, the entry
attaching each device, dv_dll_hdl and unloading with the last device."""

from __future__ import annotations

import pytest

from iopkt.kern.device import CFATTACH_DECL, Device, Ref, dev_attach
from iopkt.kern.diag import DriverBug
from iopkt.kern.dll import register_driver
from iopkt.kern.errno import EALREADY, ENODEV, ENXIO, EOK
from iopkt.kern.iopkt import IoPkt
from iopkt.net.if_ import Ifnet, if_attach, if_detach
from iopkt.platform.base import PlatformDevice
from iopkt.platform.virtual import VirtualIrqLine, VirtualPlatform
from iopkt.sbin.shell import run_command

VENDOR, DEVICE = 0x1234, 0x5678


class ToyDev(Device):
    def __init__(self):
        super().__init__()
        self.ifp = Ifnet()


# How many of this driver's devices are attached: the driver's own count, as the guide says.
_present: list[ToyDev] = []
KEEP_LOADED = {"on": True}


async def toy_entry(dll_hdl, iopkt, options):
    """Scan the platform's devices by ID table and attach each one."""
    single, found, err = Ref(0), 0, ENODEV
    for pdev in iopkt.platform.devices:
        if (pdev.props.get("vendor"), pdev.props.get("device")) != (VENDOR, DEVICE):
            continue
        devp = Ref(None)
        err = await dev_attach(iopkt, "toy", options, toy_ca, pdev, single, devp, None)
        if err != EOK:
            return err
        devp.value.dv_dll_hdl = dll_hdl
        found += 1
        if single.value:
            break
    return EOK if found else err


def toy_attach(parent, self: ToyDev, aux):
    self.ifp.if_xname = self.dv_xname
    self.ifp.if_softc = self
    if_attach(self.dv_iopkt, self.ifp)
    _present.append(self)
    return EOK


def toy_detach(self: ToyDev, flags):
    if_detach(self.ifp)
    _present.remove(self)
    if KEEP_LOADED["on"] and any(d.dv_iopkt is self.dv_iopkt for d in _present):
        self.dv_dll_hdl = None  # others still run this code: keep the driver loaded
    return EOK


toy_ca = CFATTACH_DECL("toy", ToyDev, None, toy_attach, toy_detach)
register_driver("devnp-toy.so", "iopkt.tests.test_driver_loading:toy_entry")


@pytest.fixture
def env():
    p = VirtualPlatform()
    for i, ids in enumerate([(VENDOR, DEVICE), (0x8086, 0x100E), (VENDOR, DEVICE)]):
        p.devices.append(PlatformDevice(f"pci@{i}", None, VirtualIrqLine(), 5 + i,
                                        props={"vendor": ids[0], "device": ids[1]}))
    iopkt = IoPkt(p)
    _present.clear()
    KEEP_LOADED["on"] = True
    yield p, iopkt
    p.close()


def sh(p, iopkt, line):
    return p.run(until=run_command(iopkt, line))


def test_entry_attaches_every_matching_device(env):
    p, iopkt = env
    assert p.run(until=iopkt.mount("/lib/dll/devnp-toy.so")) == EOK
    assert [d.dv_xname for d in iopkt.alldevs] == ["toy0", "toy1"]
    assert all(d.dv_dll_hdl is iopkt.dlls["devnp-toy.so"] for d in iopkt.alldevs)


def test_lan_option_attaches_one_device_with_that_unit_and_a_taken_unit_is_ealready(env):
    p, iopkt = env
    assert p.run(until=iopkt.mount("devnp-toy.so", "lan=3")) == EOK
    assert [d.dv_xname for d in iopkt.alldevs] == ["toy3"]
    assert p.run(until=iopkt.mount("devnp-toy.so", "unit=3")) == EALREADY
    assert p.run(until=iopkt.mount("devnp-toy.so", "name=en")) == EOK
    assert [d.dv_xname for d in iopkt.alldevs] == ["toy3", "en0", "en1"]


def test_unknown_driver_is_enxio_and_nothing_stays_loaded(env):
    p, iopkt = env
    assert p.run(until=iopkt.mount("devnp-none.so")) == ENXIO
    assert iopkt.dlls == {}


def test_driver_that_clears_its_handle_stays_loaded_until_its_last_device_goes(env):
    p, iopkt = env
    p.run(until=iopkt.mount("devnp-toy.so"))
    assert sh(p, iopkt, "ifconfig toy0 destroy").status == 0
    assert iopkt.dlls["devnp-toy.so"].loaded
    assert sh(p, iopkt, "ifconfig toy1 destroy").status == 0
    assert iopkt.dlls == {}


def test_driver_that_does_not_count_its_devices_is_unloaded_under_the_others(env):
    """The guide's warning: detach of the first device unloads the driver."""
    p, iopkt = env
    KEEP_LOADED["on"] = False
    p.run(until=iopkt.mount("devnp-toy.so"))
    with pytest.raises(RuntimeError) as exc:
        sh(p, iopkt, "ifconfig toy0 destroy")
    assert isinstance(exc.value.__cause__, DriverBug)
    assert "devnp-toy.so was unloaded by the detach of toy0 while toy1 still use it" in str(exc.value)


@pytest.mark.parametrize("line, out", [
    ("mount", ["usage: mount -T io-pkt [-o options] driver"]),
    ("mount -T io-pkt", ["usage: mount -T io-pkt [-o options] driver"]),
    ("mount -T io-pkt -o", ["usage: mount -T io-pkt [-o options] driver"]),
    ("mount -T qnx4 devnp-toy.so", ["usage: mount -T io-pkt [-o options] driver"]),
    ("mount -T io-pkt devnp-none.so", ["mount: Can't mount devnp-none.so (type io-pkt)",
                                       "mount: Possible reason: No such device or address"]),
    ("umount", ["usage: umount /dev/io-net/interface"]),
    ("umount /dev/io-net/toy9", ["umount: Can't unmount /dev/io-net/toy9: No such file or directory"]),
])
def test_mount_and_umount_bad_arguments(env, line, out):
    p, iopkt = env
    r = sh(p, iopkt, line)
    assert (r.status, r.output) == (1, out)


def test_umount_detaches_like_destroy(env):
    p, iopkt = env
    assert sh(p, iopkt, "mount -T io-pkt -o lan=0 /lib/dll/devnp-toy.so").status == 0
    assert sh(p, iopkt, "umount /dev/io-net/toy0").status == 0
    assert iopkt.alldevs == [] and iopkt.dlls == {}
