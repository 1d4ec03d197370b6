"""ioctls (devnp ``devctl.c``): the driver handles what needs the hardware and
passes the rest to ``ether_ioctl``."""

from __future__ import annotations

from iopkt.kern.errno import EINVAL, ENETRESET, EOK
from iopkt.net.if_ import IFF_RUNNING, SIOCADDMULTI, SIOCDELMULTI, SIOCGDRVCOM, SIOCGIFMEDIA, SIOCSIFMEDIA
from iopkt.net.if_ether import ether_ioctl
from iopkt.net.if_media import ifmedia_ioctl
from iopkt.net.nicinfo import DRVCOM_STATS, IfDrvCom, drvcom_config_stats

from .multicast import nic_set_filter
from .nicinfo import nic_config, nic_stats
from .softc import NicDev


async def nic_ioctl(ifp, cmd: int, data) -> int:
    sc: NicDev = ifp.if_softc
    if cmd == SIOCGDRVCOM:
        if not isinstance(data, IfDrvCom):
            return EINVAL  # no request structure to answer in
        if data.ifdc_cmd == DRVCOM_STATS:
            return drvcom_config_stats(data, None, await nic_stats(sc))
        return drvcom_config_stats(data, nic_config(sc), None)
    if cmd in (SIOCGIFMEDIA, SIOCSIFMEDIA):
        return await ifmedia_ioctl(ifp, data, sc.sc_media, cmd)
    err = await ether_ioctl(ifp, cmd, data)
    if err == ENETRESET:
        # The list really changed: a running interface reprograms its filter
        # (a stopped one gets it from init).
        if cmd in (SIOCADDMULTI, SIOCDELMULTI) and ifp.if_flags_tx & IFF_RUNNING:
            await nic_set_filter(sc)
        err = EOK
    return err
