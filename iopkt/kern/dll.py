"""Driver "shared objects": a registry of entry points by name, and the
handle io-pkt keeps for a loaded driver (``dv_dll_hdl``).

The handle counts like ``dlopen``: each mount opens it, and ``dev_detach``
closes it once for a device whose ``dv_dll_hdl`` is still set. So a driver
with several devices from one mount must clear ``dv_dll_hdl`` in the detach
of all but its last device; one that does not is unloaded under the devices
still attached, which on QNX is a crash the next time their code runs, and
here is a ``DriverBug`` naming them.
"""

from __future__ import annotations

import importlib

from .diag import DriverBug

# name -> "module:function". Drivers register themselves when imported
# (the stack never imports a driver), as a .so sits in /lib/dll on QNX.
_DRIVERS: dict[str, str] = {}


def register_driver(name: str, target: str) -> None:
    _DRIVERS[name] = target


def registered_drivers() -> list[str]:
    return sorted(_DRIVERS)


def find_driver(name: str):
    target = _DRIVERS.get(name)
    if target is None:
        return None
    mod, _, fn = target.partition(":")
    return getattr(importlib.import_module(mod), fn)


class DllHandle:
    """``dv_dll_hdl``: the loaded driver, unloaded when its open count drops to zero."""

    def __init__(self, iopkt, name: str):
        self.iopkt = iopkt
        self.name = name
        self.devices: list = []  # devices attached by this driver and not yet detached
        self.opens = 0
        self.loaded = True

    def __repr__(self) -> str:
        return f"<dll {self.name} opens={self.opens}{'' if self.loaded else ' unloaded'}>"

    def hold(self, dev) -> None:
        """``dev->dv_dll_hdl = dll_hdl`` in the driver's entry."""
        dev.dv_dll_hdl = self
        if dev not in self.devices:
            self.devices.append(dev)

    def open(self) -> None:
        self.opens += 1
        self.loaded = True
        self.iopkt.dlls[self.name] = self

    def forget(self, dev) -> None:
        if dev in self.devices:
            self.devices.remove(dev)

    def close(self, by=None) -> None:
        """``dlclose``: at zero the driver's code is gone."""
        self.opens -= 1
        if self.opens > 0:
            return
        self.loaded = False
        self.iopkt.dlls.pop(self.name, None)
        orphans = [d for d in self.devices if d is not by]
        if orphans:
            names = ", ".join(d.dv_xname for d in orphans)
            raise DriverBug(
                f"{self.name} was unloaded by the detach of {getattr(by, 'dv_xname', by)} while {names} "
                f"still use it; io-pkt would crash the next time their code runs. A driver with several "
                f"devices must set dv_dll_hdl = None in the detach of all but its last device")
