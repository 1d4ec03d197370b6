"""Media: ``ifconfig -m``/``-v``/``media`` through ifmedia, backed by the PHY
(devnp ``bsd_media.c``), and the link state the MAC's speed follows.

The NIC's MAC must be clocked at the PHY's resolved speed or no frame
passes (datasheet), so every link change reprograms CTRL.SPEED.
"""

from __future__ import annotations

from iopkt.kern.errno import EIO, EOK
from iopkt.net.if_media import (
    IFM_10_T,
    IFM_100_TX,
    IFM_1000_T,
    IFM_ACTIVE,
    IFM_AUTO,
    IFM_AVALID,
    IFM_ETHER,
    IFM_FDX,
    IFM_NONE,
    IFM_SUBTYPE,
    ifmedia_add,
    ifmedia_init,
    ifmedia_set,
)
from nicdef import regs as R

from .mii import (
    ANAR_10_FD,
    ANAR_SELECTOR_8023,
    ANAR_TX_FD,
    BMCR_AUTOEN,
    BMCR_STARTNEG,
    GTCR_ADV_1000TFDX,
    MEDIA_10FD,
    MEDIA_100FD,
    MEDIA_1000FD,
    MII_100T2CR,
    MII_ANAR,
    MII_BMCR,
    MiiError,
    mii_probe,
    mii_resolve,
    mii_write,
)
from .softc import NicDev
from .transmit import nic_tx_account_discards

LINK_STATE_DOWN = 1
LINK_STATE_UP = 2

# resolved mode -> (media subtype, CTRL.SPEED encoding)
_MODES = {
    MEDIA_1000FD: (IFM_1000_T, R.SPEED_1000),
    MEDIA_100FD: (IFM_100_TX, R.SPEED_100),
    MEDIA_10FD: (IFM_10_T, R.SPEED_10),
}
# what a fixed media word advertises (only full duplex is modelled)
_ADVERTISE = {
    IFM_AUTO: (ANAR_TX_FD | ANAR_10_FD, GTCR_ADV_1000TFDX),
    IFM_1000_T: (0, GTCR_ADV_1000TFDX),
    IFM_100_TX: (ANAR_TX_FD, 0),
    IFM_10_T: (ANAR_10_FD, 0),
}


async def nic_media_attach(sc: NicDev) -> None:
    sc.phy = await mii_probe(sc)
    ifmedia_init(sc.sc_media, 0, nic_mediachange, nic_mediastatus)
    if sc.phy is None:
        sc.iopkt.printf(f"{sc.dv_xname}: no PHY answered on MDIO")
        ifmedia_add(sc.sc_media, IFM_ETHER | IFM_NONE, 0, None)
        ifmedia_set(sc.sc_media, IFM_ETHER | IFM_NONE)
        return
    ifmedia_add(sc.sc_media, IFM_ETHER | IFM_AUTO, 0, None)
    for subtype, _ in _MODES.values():
        ifmedia_add(sc.sc_media, IFM_ETHER | subtype | IFM_FDX, 0, None)
    ifmedia_set(sc.sc_media, IFM_ETHER | IFM_AUTO)


async def nic_mediachange(ifp) -> int:
    """``ifconfig nic0 media ...``: advertise just that mode and renegotiate."""
    sc: NicDev = ifp.if_softc
    if sc.phy is None:
        return EIO
    anar, gtcr = _ADVERTISE[IFM_SUBTYPE(sc.sc_media.ifm_media)]
    try:
        await mii_write(sc, sc.phy, MII_ANAR, anar | ANAR_SELECTOR_8023)
        await mii_write(sc, sc.phy, MII_100T2CR, gtcr)
        await mii_write(sc, sc.phy, MII_BMCR, BMCR_AUTOEN | BMCR_STARTNEG)
    except MiiError as e:
        sc.iopkt.printf(str(e))
        return EIO
    return EOK


async def nic_mediastatus(ifp, ifmr) -> None:
    """``ifconfig``'s view: what the PHY resolved, or no status at all while
    the PHY does not answer (the last state read is not news). The ifnet
    counters it prints next are brought up to date first."""
    sc: NicDev = ifp.if_softc
    await nic_link_update(sc)
    await nic_tx_account_discards(sc)
    ifmr.ifm_active = IFM_ETHER
    if sc.phy_error:
        ifmr.ifm_status = 0
        ifmr.ifm_active |= IFM_NONE
        return
    ifmr.ifm_status = IFM_AVALID
    if sc.link_up and sc.media is not None:
        ifmr.ifm_status |= IFM_ACTIVE
        ifmr.ifm_active |= _MODES[sc.media][0] | IFM_FDX
    else:
        ifmr.ifm_active |= IFM_NONE


async def nic_link_update(sc: NicDev) -> bool:
    """Read the PHY; on a change, clock the MAC at the new speed and tell
    io-pkt. A link that went down and came back since the last look (BMSR
    latches low) is reported as both. Returns whether the link is up."""
    if sc.phy is None:
        return sc.link_up
    try:
        link, media, dropped = await mii_resolve(sc, sc.phy)
    except MiiError as e:
        if not sc.phy_error:  # said once, not on every look while it lasts
            sc.iopkt.printf(f"{e}; link state unknown until the PHY answers")
        sc.phy_error = True
        return sc.link_up
    if sc.phy_error:
        sc.iopkt.printf(f"{sc.dv_xname}: the PHY answers again")
        sc.phy_error = False
    dropped = dropped or sc.phy_dropped  # the PHY thread's read may have taken the latch
    sc.phy_dropped = False
    if dropped and sc.link_up:
        sc.iopkt.printf(f"{sc.dv_xname}: link down")
        sc.link_up, sc.media = False, None
    up = link and media is not None
    if up:  # also after a device reset, which puts CTRL.SPEED back to 1000
        ctrl = await sc.regs.read32(R.REG_CTRL)
        speed = _MODES[media][1] << R.CTRL_SPEED_SHIFT
        if ctrl & R.CTRL_SPEED != speed:
            await sc.regs.write32(R.REG_CTRL, (ctrl & ~R.CTRL_SPEED) | speed)
    if up != sc.link_up or media != sc.media:
        sc.iopkt.printf(f"{sc.dv_xname}: link {'up, ' + media[0] if up else 'down'}")
    sc.link_up, sc.media = up, media if up else None
    sc.ifp.if_link_state = LINK_STATE_UP if up else LINK_STATE_DOWN
    return up
