"""Devices and ``dev_attach`` (NetBSD ``kern/subr_autoconf.c`` as io-pkt has it).

``CFATTACH_DECL`` names a driver's softc type and its attach/detach functions;
``dev_attach`` parses ``name=``, ``lan=``/``unit=`` from the options string
(a unit that is not a number in 0..``UNIT_MAX`` is ``EINVAL``, logged),
picks the unit (``EALREADY`` if an explicit one is taken, else the lowest
free), makes the softc and calls attach. In Python ``ca_devsize`` is the softc
class (a ``Device`` subclass) rather than a byte count.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errno import EALREADY, EINVAL, EOK
from .strnum import NumberError, strtoi

DVF_ACTIVE = 0x0001
DVF_QUIESCESELF = 0x8000
UNIT_MAX = 0x7FFFFFFF  # dv_unit is an int; lan=/unit= take C's 0x (hex) and 0 (octal) prefixes


class Ref:
    """An out-parameter (``int *single``, ``struct device **devp``)."""

    def __init__(self, value: Any = None):
        self.value = value


class Device:
    """``struct device``: a driver's softc subclasses this (``sc_dev`` first in C)."""

    def __init__(self):
        self.dv_name = ""  # interface name without the unit
        self.dv_xname = ""
        self.dv_unit = 0
        self.dv_flags = 0
        self.dv_dll_hdl = None
        self.dv_parent: Device | None = None
        self.dv_cfattach: CfAttach | None = None
        self.dv_iopkt = None


@dataclass
class CfAttach:
    ca_name: str
    ca_devsize: type
    ca_match: Callable | None
    ca_attach: Callable
    ca_detach: Callable | None
    ca_activate: Callable | None = None


def CFATTACH_DECL(name: str, size: type, match, attach, detach, activate=None) -> CfAttach:
    return CfAttach(name, size, match, attach, detach, activate)


def parse_options(options: str | None) -> list[tuple[str, str | None]]:
    """``"a=1,b,c=x"`` → ``[("a","1"), ("b",None), ("c","x")]``; blanks ignored."""
    out: list[tuple[str, str | None]] = []
    for part in (options or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        out.append((key.strip(), value.strip() if sep else None))
    return out


async def _call(fn, *args):
    r = fn(*args)
    if inspect.isawaitable(r):
        r = await r
    return r


async def dev_attach(iopkt, drvr: str, options: str | None, ca: CfAttach, cfat_arg, single: Ref | None,
                     devp: Ref | None, print_fn=None) -> int:
    iopkt.ctx.require("dev_attach")
    name = drvr
    unit = None
    for key, value in parse_options(options):
        if key == "name" and value:
            name = value
        elif key in ("lan", "unit"):
            try:
                unit = strtoi(value or "", 0, UNIT_MAX, base=0)
            except NumberError as bad:
                iopkt.printf(f"{drvr}: {key}={value or ''}: {bad.reason} (a unit is 0..{UNIT_MAX})")
                return EINVAL
            if single is not None:
                single.value = 1
    # Units already used by devices of this name, and by interfaces of this
    # name that are not devices (a pseudo-interface, a test driver's).
    taken = {d.dv_unit for d in iopkt.alldevs if d.dv_name == name}
    taken |= {int(i.if_xname[len(name):]) for i in iopkt.ifnet
              if i.if_xname.startswith(name) and i.if_xname[len(name):].isdigit()}
    if unit is None:
        unit = 0
        while unit in taken:
            unit += 1
    elif unit in taken:
        return EALREADY
    if print_fn is not None:
        print_fn(cfat_arg, None)
    dev = ca.ca_devsize()
    dev.dv_name = name
    dev.dv_xname = f"{name}{unit}"
    dev.dv_unit = unit
    dev.dv_flags = DVF_ACTIVE
    dev.dv_cfattach = ca
    dev.dv_iopkt = iopkt
    dev.dv_parent = devp.value if devp is not None else None
    # Reserve the unit before attach runs: attach may yield the stack context.
    iopkt.alldevs.append(dev)
    try:
        err = await _call(ca.ca_attach, dev.dv_parent, dev, cfat_arg)
    except BaseException:
        iopkt.alldevs.remove(dev)
        raise
    if err != EOK:
        iopkt.alldevs.remove(dev)
        return err
    if devp is not None:
        devp.value = dev
    loading = iopkt._loading_dll
    if loading is not None:
        loading.devices.append(dev)  # the driver's code this device runs on; dv_dll_hdl is the entry's to set
    return EOK


async def dev_detach(dev: Device, flags: int = 0) -> int:
    """Detach one device, quiescing the stack around it unless it quiesces itself."""
    iopkt = dev.dv_iopkt
    iopkt.ctx.require("dev_detach")
    for other in iopkt.alldevs:
        if other.dv_parent is dev:
            return EINVAL
    self_quiesce = bool(dev.dv_flags & DVF_QUIESCESELF)
    if not self_quiesce:
        await iopkt.quiesce_all()
    try:
        err = EOK
        if dev.dv_cfattach.ca_detach is not None:
            err = await _call(dev.dv_cfattach.ca_detach, dev, flags)
    finally:
        if not self_quiesce:
            await iopkt.unquiesce_all()
    if err != EOK:
        return err
    iopkt.alldevs.remove(dev)
    dev.dv_flags &= ~DVF_ACTIVE
    for loaded in list(iopkt.dlls.values()):
        loaded.forget(dev)
    hdl = dev.dv_dll_hdl
    if hdl is not None:
        dev.dv_dll_hdl = None
        hdl.close(by=dev)
    return EOK
