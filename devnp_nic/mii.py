"""PHY access over the NIC's MDIO master, and IEEE 802.3 clause 22 PHY
registers (devnp ``mii.c``; the register names are NetBSD's ``mii.h``).

An MDIO transaction takes 64 MDC periods (25.6 us at 2.5 MHz), so the driver
spins that long before polling BUSY rather than hammering the register bus.
"""

from __future__ import annotations

from iopkt.kern.nw_pthread import pthread_mutex_lock, pthread_mutex_unlock
from nicdef import regs as R

# Clause 22 registers
MII_BMCR = 0x00
MII_BMSR = 0x01
MII_PHYIDR1 = 0x02
MII_PHYIDR2 = 0x03
MII_ANAR = 0x04
MII_ANLPAR = 0x05
MII_100T2CR = 0x09  # 1000BASE-T control
MII_100T2SR = 0x0A  # 1000BASE-T status

BMCR_RESET = 0x8000
BMCR_LOOP = 0x4000
BMCR_SPEED0 = 0x2000
BMCR_AUTOEN = 0x1000
BMCR_PDOWN = 0x0800
BMCR_ISO = 0x0400
BMCR_STARTNEG = 0x0200
BMCR_FDX = 0x0100
BMCR_SPEED1 = 0x0040

BMSR_100TXFDX = 0x4000
BMSR_100TXHDX = 0x2000
BMSR_10TFDX = 0x1000
BMSR_10THDX = 0x0800
BMSR_EXTSTAT = 0x0100
BMSR_ACOMP = 0x0020
BMSR_ANEG = 0x0008
BMSR_LINK = 0x0004

ANAR_SELECTOR_8023 = 0x0001
ANAR_10 = 0x0020
ANAR_10_FD = 0x0040
ANAR_TX = 0x0080
ANAR_TX_FD = 0x0100

GTCR_ADV_1000TFDX = 0x0200
GTCR_ADV_1000THDX = 0x0100
GTSR_LP_1000TFDX = 0x0800
GTSR_LP_1000THDX = 0x0400

MDIO_POLLS = 50
MDIO_FRAME_NS = 64 * 2 * (R.DEFAULT_MDIO_DIV + 1) * 8  # 64 MDC periods at the reset divider


class MiiError(RuntimeError):
    """The MDIO master stayed busy: no PHY clock, or a broken bus."""


async def _mdio(sc, op: int, phy: int, reg: int, data: int = 0) -> int:
    """One clause 22 transaction. With a PHY thread (``phythread=``) the MDIO
    master has two users, so a transaction holds ``sc.mii_lock``."""
    if sc.mii_lock is None:
        return await _mdio_transaction(sc, op, phy, reg, data)
    await pthread_mutex_lock(sc.mii_lock)
    try:
        return await _mdio_transaction(sc, op, phy, reg, data)
    finally:
        pthread_mutex_unlock(sc.mii_lock)


async def _mdio_transaction(sc, op: int, phy: int, reg: int, data: int) -> int:
    cmd = (op << R.MDIO_CMD_OP_SHIFT) | (phy << R.MDIO_CMD_PHY_SHIFT) | (reg << R.MDIO_CMD_REG_SHIFT) | data
    await sc.regs.write32(R.REG_MDIO_CMD, cmd)
    await sc.iopkt.platform.sleep(MDIO_FRAME_NS)  # nanospin: the stack context stays held, as in C
    for _ in range(MDIO_POLLS):
        value = await sc.regs.read32(R.REG_MDIO_CMD)
        if not value & R.MDIO_CMD_BUSY:
            return value & R.MDIO_CMD_DATA
        await sc.iopkt.platform.sleep(MDIO_FRAME_NS // 8)
    raise MiiError(f"{sc.dv_xname}: MDIO stuck busy (phy {phy} reg {reg})")


async def mii_read(sc, phy: int, reg: int) -> int:
    return await _mdio(sc, R.MDIO_OP_READ, phy, reg)


async def mii_write(sc, phy: int, reg: int, value: int) -> None:
    await _mdio(sc, R.MDIO_OP_WRITE, phy, reg, value & 0xFFFF)


async def mii_probe(sc) -> int | None:
    """The first PHY address that answers with an ID, as NetBSD's mii_attach scans."""
    for phy in range(32):
        ident = await mii_read(sc, phy, MII_PHYIDR1)
        if ident not in (0x0000, 0xFFFF):
            return phy
    return None


# Resolved modes, best first: (name, speed in Mb/s, full duplex)
MEDIA_1000FD = ("1000baseT-FDX", 1000, True)
MEDIA_100FD = ("100baseTX-FDX", 100, True)
MEDIA_10FD = ("10baseT-FDX", 10, True)


def _forced_media(bmcr: int) -> tuple[str, int, bool]:
    """The mode BMCR's speed select forces with AN off (IEEE 802.3 22.2.4.1.3:
    bit 6 set, bit 13 clear = 1000; bit 13 alone = 100; neither = 10)."""
    if bmcr & BMCR_SPEED1:
        return MEDIA_1000FD
    return MEDIA_100FD if bmcr & BMCR_SPEED0 else MEDIA_10FD


async def mii_resolve(sc, phy: int) -> tuple[bool, tuple[str, int, bool] | None, bool]:
    """(link up now, the mode the PHY resolved, dropped since the last look)
    from the PHY's registers, read afresh on every call so a renegotiation
    (the partner's advertisement changed, a restart, a cable replug) is seen.
    BMSR's link bit latches low, so it is read twice: the first read says
    whether the link went down since the last read (a flap shorter than the
    interrupt path), the second is now. With AN off (BMCR bit 12 clear) the
    mode is BMCR's forced speed; with AN on it is the highest full-duplex
    mode in both this PHY's advertisement (ANAR, GBCR) and the partner's
    (ANLPAR, GBSR), once BMSR says AN is complete (IEEE 802.3 28.2.4.1,
    40.5.1.1; NetBSD ``ukphy_status``)."""
    latched = await mii_read(sc, phy, MII_BMSR)
    bmsr = await mii_read(sc, phy, MII_BMSR)
    link = bool(bmsr & BMSR_LINK)
    dropped = not latched & BMSR_LINK
    if not link:
        return link, None, dropped
    bmcr = await mii_read(sc, phy, MII_BMCR)
    if not bmcr & BMCR_AUTOEN:
        return link, _forced_media(bmcr), dropped
    if not bmsr & BMSR_ACOMP:
        return link, None, dropped
    gtcr = await mii_read(sc, phy, MII_100T2CR)
    gtsr = await mii_read(sc, phy, MII_100T2SR)
    if gtcr & GTCR_ADV_1000TFDX and gtsr & GTSR_LP_1000TFDX:
        return link, MEDIA_1000FD, dropped
    common = await mii_read(sc, phy, MII_ANAR) & await mii_read(sc, phy, MII_ANLPAR)
    if common & ANAR_TX_FD:
        return link, MEDIA_100FD, dropped
    if common & ANAR_10_FD:
        return link, MEDIA_10FD, dropped
    return link, None, dropped
