"""``mount -T io-pkt`` and ``umount``: load a driver into io-pkt, remove an interface.

    mount -T io-pkt [-o options] /lib/dll/devnp-xxx.so
    umount /dev/io-net/IFNAME

The driver is found by its file name in the driver table (``register_driver``).
``umount`` of an interface's ``/dev/io-net`` entry detaches its device, as
``ifconfig IFNAME destroy`` does.
"""

from __future__ import annotations

from ..kern.errno import EOK, strerror
from ..net.if_ import SIOCIFDESTROY, ifioctl, ifunit
from .output import line_writer

MOUNT_USAGE = "usage: mount -T io-pkt [-o options] driver"
UMOUNT_USAGE = "usage: umount /dev/io-net/interface"


def _parse_mount(args: list[str]) -> tuple[str, str]:
    kind = options = driver = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-T", "-t", "-o"):
            if i + 1 >= len(args):
                raise ValueError(a)
            i += 1
            if a == "-o":
                options = args[i]
            else:
                kind = args[i]
        elif a.startswith("-") or driver is not None:
            raise ValueError(a)
        else:
            driver = a
        i += 1
    if kind != "io-pkt" or driver is None:
        raise ValueError("type")
    return driver, options or ""


async def mount_main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    try:
        driver, options = _parse_mount(argv[1:])
    except ValueError:
        emit(MOUNT_USAGE)
        return 1
    before = len(iopkt.log)
    err = await iopkt.mount(driver, options)
    for line in iopkt.log[before:]:
        emit(line)  # what the driver said on the way in (slog)
    if err != EOK:
        emit(f"mount: Can't mount {driver} (type io-pkt)")
        emit(f"mount: Possible reason: {strerror(err)}")
        return 1
    return 0


async def umount_main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    if len(argv) != 2 or argv[1].startswith("-"):
        emit(UMOUNT_USAGE)
        return 1
    path = argv[1]
    prefix = "/dev/io-net/"
    ifp = ifunit(iopkt, path[len(prefix):]) if path.startswith(prefix) else None
    if ifp is None:
        emit(f"umount: Can't unmount {path}: No such file or directory")
        return 1
    err = await iopkt.stack_call(ifioctl, ifp, SIOCIFDESTROY, None, proc_name="umount")
    if err != EOK:
        emit(f"umount: Can't unmount {path}: {strerror(err)}")
        return 1
    return 0
