"""Malformed requests at the stack's entry points get an errno, never an
exception, and change nothing.

``ifioctl`` (``iopkt/net/if_.py``) checks the shape of ``data`` for every
interface request it knows before a driver sees it (``ifreq_valid``), and
``in_control`` (``iopkt/netinet/in_.py``) does the same for the address
requests: ``EINVAL``, as io-pkt's copy-in of a bad request structure fails.
Requests an entry point does not know are ``ENOTTY``. Each request gets the
whole battery through both entry points, on a vwire interface and on sam.
"""

from __future__ import annotations

import pytest

import devnp_sam  # noqa: F401  (registers devnp-sam.so)
from iopkt.kern.device import Ref
from iopkt.kern.errno import EINVAL, ENOTTY, EOK
from iopkt.net.if_ import (
    SIOCADDMULTI,
    SIOCDELMULTI,
    SIOCGDRVCOM,
    SIOCGIFADDR,
    SIOCGIFCAP,
    SIOCGIFMEDIA,
    SIOCIFDESTROY,
    SIOCSIFADDR,
    SIOCSIFCAP,
    SIOCSIFFLAGS,
    SIOCSIFMEDIA,
    SIOCSIFMTU,
    IfCapReq,
    ifioctl,
    ifunit,
)
from iopkt.net.if_media import IfMediaReq
from iopkt.net.nicinfo import DRVCOM_CONFIG, IfDrvCom, NicConfig, sizeof
from iopkt.netinet.in_ import SIOCDIFADDR, SIOCGIFNETMASK, in_control, in_ifaddrs_of
from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import two_hosts

GROUP = bytes.fromhex("01005e000001")

REQUESTS = {
    "SIOCSIFFLAGS": SIOCSIFFLAGS, "SIOCSIFMTU": SIOCSIFMTU, "SIOCADDMULTI": SIOCADDMULTI,
    "SIOCDELMULTI": SIOCDELMULTI, "SIOCSIFMEDIA": SIOCSIFMEDIA, "SIOCGIFMEDIA": SIOCGIFMEDIA,
    "SIOCGDRVCOM": SIOCGDRVCOM, "SIOCSIFCAP": SIOCSIFCAP, "SIOCGIFCAP": SIOCGIFCAP,
    "SIOCIFDESTROY": SIOCIFDESTROY, "SIOCSIFADDR": SIOCSIFADDR, "SIOCGIFADDR": SIOCGIFADDR,
    "SIOCGIFNETMASK": SIOCGIFNETMASK, "SIOCDIFADDR": SIOCDIFADDR,
}


def battery(ifname: str) -> list:
    """Data no request takes: wrong types, numbers out of every range, tuples
    of the wrong length or contents, request structures of the wrong kind or
    with nonsense fields, addresses of the wrong length."""
    return [
        None, -1, 2**31, 2**64, 10**100, -(2**63), 1.5, float("nan"), float("inf"), True,
        "", "up", "10.0.0.9", "01:00:5e:00:00:01", "1e300",
        (), (1,), (1, 2, 3), (None, None), ("10.0.0.9",), ("10.0.0.9", None), ("10.0.0.300", "255.0.0.0"),
        (2**40, 0xFF000000), (True, 0xFF000000), ("1e300", "255.0.0.0"), [("10.0.0.9", "255.0.0.0")],
        (GROUP, GROUP, GROUP), (GROUP, b"\x01"), (GROUP, "01:00:5e:00:00:02"),
        b"", b"\x01\x00\x5e", b"\x01" * 7, bytearray(5), b"\x01" * 4096, ["10.0.0.9", "255.0.0.0"],
        object(), {}, Ref,
        IfDrvCom(None, DRVCOM_CONFIG, sizeof(NicConfig)), IfDrvCom(ifname, "1", sizeof(NicConfig)),
        IfDrvCom(ifname, -1, 4), IfDrvCom(ifname, DRVCOM_CONFIG, 2**40), IfDrvCom(ifname, DRVCOM_CONFIG, None),
        IfDrvCom("other9", DRVCOM_CONFIG, sizeof(NicConfig)), IfDrvCom(ifname, True, sizeof(NicConfig)),
        IfCapReq(None, None), IfCapReq(-1, 0), IfCapReq(0, 2**40), IfCapReq("1", 0), IfCapReq(1.0, 0),
    ]


def _is_valid(entry: str, cmd: int, data) -> bool:
    """The few battery items that are a real request for one entry point."""
    if data is None and (entry, cmd) in (("ifioctl", SIOCIFDESTROY), ("in_control", SIOCDIFADDR)):
        return True  # destroy the interface / remove its primary address
    return entry == "ifioctl" and cmd in (SIOCGIFCAP,) and isinstance(data, IfCapReq)  # fields are outputs


async def _snapshot(ifp) -> tuple:
    ifmr = IfMediaReq()
    media_err = await ifioctl(ifp, SIOCGIFMEDIA, ifmr)
    return (ifp.if_flags, ifp.if_flags_tx, ifp.if_mtu,
            [(ia.ia_addr, ia.ia_netmask) for ia in in_ifaddrs_of(ifp)],
            [(e.enm_addrlo, e.enm_addrhi, e.enm_refcount) for e in ifp.ec.ec_multi],
            ifp.if_capenable_rx, ifp.if_capenable_tx, media_err, ifmr.ifm_current)


async def _throw_everything(iopkt, ifp) -> list[str]:
    """Every request with every battery item through both entry points;
    what went wrong, as text (empty when all is well)."""
    wrong = []
    entries = {"ifioctl": lambda cmd, data: ifioctl(ifp, cmd, data),
               "in_control": lambda cmd, data: in_control(iopkt, ifp, cmd, data)}
    before = await _snapshot(ifp)
    for name, cmd in REQUESTS.items():
        for entry, call in entries.items():
            for data in battery(ifp.if_xname):
                if _is_valid(entry, cmd, data):
                    continue
                try:
                    err = await call(cmd, data)
                except Exception as e:  # noqa: BLE001 (the point: name whatever escapes)
                    wrong.append(f"{entry}({name}, {data!r}) raised {e!r}")
                    continue
                if not isinstance(err, int) or isinstance(err, bool) or err == EOK:
                    wrong.append(f"{entry}({name}, {data!r}) returned {err!r}")
                after = await _snapshot(ifp)
                if after != before or ifunit(iopkt, ifp.if_xname) is not ifp:
                    wrong.append(f"{entry}({name}, {data!r}) changed {before} to {after}")
                    before = after
    return wrong


def test_malformed_requests_on_a_vwire_interface():
    h = two_hosts()
    h.run(h.a.stack_call(ifioctl, h.sca.ifp, SIOCADDMULTI, GROUP))
    assert h.run(h.a.stack_call(_throw_everything, h.a, h.sca.ifp)) == []
    h.run(h.a.stack_call(ifioctl, h.sca.ifp, SIOCDELMULTI, GROUP))
    h.finish()


def test_malformed_requests_on_sam():
    h = two_hosts(configure=False)
    iopkt = h.a
    assert h.run(run_command(iopkt, "mount -T io-pkt devnp-sam.so")).status == 0
    assert h.run(run_command(iopkt, "ifconfig sam0 10.0.0.1/24 media 1000baseT mediaopt fdx")).status == 0
    ifp = ifunit(iopkt, "sam0")
    h.run(iopkt.stack_call(ifioctl, ifp, SIOCADDMULTI, GROUP))
    assert h.run(iopkt.stack_call(_throw_everything, iopkt, ifp)) == []
    assert h.run(run_command(iopkt, "ifconfig sam0 destroy")).status == 0
    h.finish()


@pytest.mark.parametrize("entry, cmd, data, err", [
    ("in_control", SIOCSIFADDR, (None, None), EINVAL),
    ("in_control", SIOCGIFADDR, None, EINVAL),
    ("in_control", SIOCDIFADDR, "not an address", EINVAL),
    ("ifioctl", SIOCGDRVCOM, None, EINVAL),
    ("ifioctl", SIOCADDMULTI, (GROUP, GROUP, GROUP), EINVAL),
    ("ifioctl", SIOCSIFCAP, IfCapReq(None, None), EINVAL),
    ("ifioctl", 0xC0206999, None, ENOTTY),
    ("in_control", 0xC0206999, None, ENOTTY),
], ids=["in_control-SIOCSIFADDR-(None, None)", "in_control-SIOCGIFADDR-None", "in_control-SIOCDIFADDR-str",
        "ifioctl-SIOCGDRVCOM-None", "ifioctl-SIOCADDMULTI-3-tuple", "ifioctl-SIOCSIFCAP-None-fields",
        "ifioctl-unknown", "in_control-unknown"])
def test_the_named_cases(entry, cmd, data, err):
    h = two_hosts()
    ifp = h.sca.ifp
    fn, args = (ifioctl, (ifp, cmd, data)) if entry == "ifioctl" else (in_control, (h.a, ifp, cmd, data))
    assert h.run(h.a.stack_call(fn, *args)) == err
    h.finish()


def test_the_driver_never_sees_a_malformed_request():
    h = two_hosts()
    ifp = h.sca.ifp
    seen = []
    driver_ioctl = ifp.if_ioctl

    async def spy(ifp, cmd, data):
        seen.append((cmd, data))
        return await driver_ioctl(ifp, cmd, data)

    ifp.if_ioctl = spy
    for cmd in (SIOCSIFFLAGS, SIOCSIFMTU, SIOCADDMULTI, SIOCSIFMEDIA, SIOCGIFMEDIA, SIOCGDRVCOM):
        assert h.run(h.a.stack_call(ifioctl, ifp, cmd, object())) == EINVAL
    assert seen == []
    h.finish()
