"""Driver "shared objects": a registry of entry points by name, and the
handle io-pkt keeps while any device of the driver is attached."""

from __future__ import annotations

import importlib

# name -> "module:function". Drivers register themselves when imported
# (the stack never imports a driver), as a .so sits in /lib/dll on QNX.
_DRIVERS: dict[str, str] = {}


def register_driver(name: str, target: str) -> None:
    _DRIVERS[name] = target


def find_driver(name: str):
    target = _DRIVERS.get(name)
    if target is None:
        return None
    mod, _, fn = target.partition(":")
    return getattr(importlib.import_module(mod), fn)


class DllHandle:
    """``dv_dll_hdl``: unloaded when the last device holding it detaches."""

    def __init__(self, iopkt, name: str):
        self.iopkt = iopkt
        self.name = name
        self.devices: list = []
        self.loaded = True

    def hold(self, dev) -> None:
        dev.dv_dll_hdl = self
        self.devices.append(dev)

    def release(self, dev) -> None:
        if dev in self.devices:
            self.devices.remove(dev)
        if not self.devices:
            self.unload()

    def unload(self) -> None:
        self.loaded = False
        self.iopkt.dlls.pop(self.name, None)
