"""ioctls (devnp ``devctl.c``): the driver handles what needs the hardware and
passes the rest to ``ether_ioctl``."""

from __future__ import annotations

from stack.kern.errno import ENETRESET, EOK
from stack.net.if_ import IFF_RUNNING, SIOCADDMULTI, SIOCDELMULTI
from stack.net.if_ether import ether_ioctl

from .softc import NicDev


async def nic_ioctl(ifp, cmd: int, data) -> int:
    sc: NicDev = ifp.if_softc
    err = await ether_ioctl(ifp, cmd, data)
    if err == ENETRESET:
        if cmd in (SIOCADDMULTI, SIOCDELMULTI) and ifp.if_flags_tx & IFF_RUNNING:
            # This revision of the NIC has no multicast filter to reprogram:
            # multicast frames other than broadcast are not received yet.
            sc.iopkt.printf(f"{ifp.if_xname}: multicast list now {ifp.ec.ec_multicnt} entries (no hw filter)")
        err = EOK
    return err
