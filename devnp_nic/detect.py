"""Entry, attach, detach and shutdown (devnp ``detect.c``).

The entry point scans the platform's devices, identifies ours by the ID
register, and calls ``dev_attach`` for each one no interface uses yet (a
second ``mount`` must not take over a NIC that is in use). Attach runs once
per device: it allocates what lives as long as the device (rings, the
interrupt entry, the callout, the optional PHY thread) and hooks into
io-pkt; the hardware is only enabled by init. An attach that fails gives
back everything it took, so a failed mount leaves nothing loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iopkt.kern.callout import callout_init, callout_stop
from iopkt.kern.device import CFATTACH_DECL, DVF_QUIESCESELF, Ref, dev_attach, parse_options
from iopkt.kern.errno import EBUSY, EINVAL, EIO, ENODEV, ENOMEM, EOK, strerror
from iopkt.kern.intr import (
    _NTO_INTR_FLAGS_TRK_MSK,
    InterruptAttach,
    InterruptDetach,
    interrupt_entry_init,
    interrupt_entry_remove,
)
from iopkt.kern.shutdown import shutdownhook_disestablish, shutdownhook_establish
from iopkt.kern.strnum import NumberError, strtoi
from iopkt.net.if_ import (
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_SIMPLEX,
    IFQ_SET_MAXLEN,
    IFQ_SET_READY,
    IFCAP_CSUM_IPv4,
    IFCAP_CSUM_TCPv4,
    IFCAP_CSUM_UDPv4,
    if_attach,
    if_detach,
)
from iopkt.net.if_ether import ETHERCAP_JUMBO_MTU, ether_ifattach, ether_ifdetach
from iopkt.platform.base import HostMemoryError
from nicdef import regs as R

from .bsd_media import nic_media_attach
from .devctl import nic_ioctl
from .event import nic_enable_interrupt, nic_isr_for, nic_process_interrupt
from .init import nic_hw_reset, nic_init, nic_stop
from .mii import MiiError
from .phy_thread import nic_phy_thread_start, nic_phy_thread_stop
from .softc import INTR_HW, INTR_STYLES, NUM_RX_DESC, NUM_TX_DESC, NicDev
from .transmit import nic_start


@dataclass
class NicAttachArgs:
    """What the entry point hands attach through ``dev_attach``'s cfat_arg."""

    pdev: object
    options: dict


KNOWN_DEVICES = {(R.VENDOR_ID, R.DEVICE_ID): "Simulated NIC rev {rev:#06x}"}

# Options of devnp-nic (name=, lan=, unit= are dev_attach's). Each parser
# takes the text after "=" (None for a bare flag) and returns the value or
# raises ValueError with what is wrong.
MAX_ITR_US = 0xFFFF * R.INT_THROTTLE_UNIT_NS // 1000
MAX_PHY_POLL_US = 1_000_000  # quiesce_all gives a thread a second to park


def parse_mac(text: str) -> bytes:
    """``mac=`` as io-pkt drivers take it: 12 hex digits, colons optional. A
    station address is unicast and not all zeros (IEEE 802.3 clause 3.2.3)."""
    if text is None:
        raise ValueError("needs a value")
    digits = text.replace(":", "").replace("-", "")
    if not re.fullmatch(r"[0-9a-fA-F]{12}", digits):
        raise ValueError("not 12 hex digits")
    mac = bytes.fromhex(digits)
    if mac[0] & 1:
        raise ValueError("a multicast (group) address cannot be a station address")
    if mac == bytes(6):
        raise ValueError("the all-zero address is not a station address")
    return mac


def _int_option(text: str | None, lo: int, hi: int, default: int | None = None) -> int:
    if text is None:
        if default is None:
            raise ValueError("needs a value")
        return default
    try:
        return strtoi(text, lo, hi, base=0)
    except NumberError as e:
        raise ValueError(f"{e.reason} (must be {lo}..{hi})") from None


def _intr_option(text: str | None) -> str:
    if text is None:
        raise ValueError("needs a value")
    if text not in INTR_STYLES:
        raise ValueError(f"must be one of {', '.join(INTR_STYLES)}")
    return text


def _dev_attach_option(text: str | None) -> str | None:
    return text  # name=, lan=, unit= are dev_attach's to check (it logs a bad one)


OPTION_PARSERS = {
    "name": _dev_attach_option,
    "lan": _dev_attach_option,
    "unit": _dev_attach_option,
    "mac": parse_mac,
    "verbose": lambda t: _int_option(t, 0, 0xFFFF, default=1),
    "intr": _intr_option,
    "itr": lambda t: "auto" if t == "auto" else _int_option(t, 0, MAX_ITR_US),
    "phythread": lambda t: _int_option(t, 1, MAX_PHY_POLL_US),
}


def parse_driver_options(options: str) -> dict:
    """The options string as checked values; ValueError naming the bad one."""
    out = {}
    for key, text in parse_options(options):
        parse = OPTION_PARSERS.get(key)
        if parse is None:
            raise ValueError(f"unknown option '{key}' (known: {', '.join(OPTION_PARSERS)})")
        if key in out:
            raise ValueError(f"option '{key}' given twice")
        try:
            out[key] = parse(text)
        except ValueError as e:
            raise ValueError(f"option '{key}' {e}" if text is None else f"bad option '{key}={text}': {e}") from None
    return out


async def nic_entry(dll_hdl, iopkt, options: str) -> int:
    """``iopkt_drvr_entry``: attach every matching device no interface uses yet."""
    try:
        opts = parse_driver_options(options)
    except ValueError as e:
        iopkt.printf(f"devnp-nic: {e}")
        return EINVAL
    in_use = {id(d.pdev): d.dv_xname for d in iopkt.alldevs if d.dv_cfattach is nic_ca}
    attached = 0
    busy = []
    err = ENODEV
    single = Ref(0)
    for pdev in iopkt.platform.devices:
        ident = await pdev.regs.read32(R.REG_ID)
        key = (ident >> 16, ident & 0xFFFF)
        if key not in KNOWN_DEVICES:
            continue
        if id(pdev) in in_use:
            busy.append(f"{pdev.name} is {in_use[id(pdev)]}")
            continue
        devp = Ref(None)
        e = await dev_attach(iopkt, "nic", options, nic_ca, NicAttachArgs(pdev, opts), single, devp, None)
        if e != EOK:
            iopkt.printf(f"devnp-nic: {pdev.name}: not attached: {strerror(e)}")
            err = e
            if single.value:
                break
            continue
        dll_hdl.hold(devp.value)
        attached += 1
        if single.value:
            break  # lan=/unit= names one interface: attach only the first device
    if attached:
        return EOK
    if not busy and err == ENODEV:
        iopkt.printf(f"devnp-nic: no NIC (vendor {R.VENDOR_ID:#06x} device {R.DEVICE_ID:#06x}) on this machine")
        return ENODEV
    if busy and err == ENODEV:
        iopkt.printf(f"devnp-nic: no free device: {'; '.join(busy)}")
        return EBUSY
    return err


async def nic_attach(parent, self: NicDev, aux) -> int:
    """Allocate and hook up; on any failure undo what was done, in reverse."""
    sc = self
    undo = []
    try:
        err = await _attach(sc, aux, undo)
    except BaseException:
        await _unwind(undo)
        raise
    if err != EOK:
        await _unwind(undo)
    return err


async def _unwind(undo: list) -> None:
    while undo:
        step = undo.pop()
        r = step()
        if r is not None and hasattr(r, "__await__"):
            await r


async def _attach(sc: NicDev, aux, undo: list) -> int:
    pdev = aux.pdev
    iopkt = sc.dv_iopkt
    opts = aux.options
    sc.iopkt = iopkt
    sc.pdev = pdev
    sc.regs = pdev.regs
    sc.mem = iopkt.platform.memory
    sc.irq = pdev.irq_number
    sc.options = dict(opts)
    sc.verbose = opts.get("verbose", 0)
    sc.intr_style = opts.get("intr", INTR_HW)
    itr = opts.get("itr", "auto")
    sc.itr_auto = itr == "auto"
    sc.itr_us = 0 if sc.itr_auto else itr
    sc.phy_poll_us = opts.get("phythread", 0)
    # detach waits for the NIC to drain before it quiesces the stack, so the
    # other interfaces keep running meanwhile (the guide's self-quiesce)
    sc.dv_flags |= DVF_QUIESCESELF
    sc.revision = await sc.regs.read32(R.REG_VERSION)
    sc.perm_mac = bytes(pdev.props.get("mac", b"\x02\x00\x00\x00\x00\x01"))
    sc.mac = opts.get("mac", sc.perm_mac)
    await nic_hw_reset(sc)
    try:
        await nic_media_attach(sc)
    except MiiError as e:
        iopkt.printf(f"{sc.dv_xname}: {e}: the PHY does not answer; not attaching")
        return EIO

    # Rings live as long as the device: allocated here, once.
    try:
        sc.tx_ring = sc.mem.alloc(NUM_TX_DESC * R.DESC_SIZE, align=R.DESC_SIZE)
        undo.append(lambda: sc.mem.free(sc.tx_ring))
        sc.rx_ring = sc.mem.alloc(NUM_RX_DESC * R.DESC_SIZE, align=R.DESC_SIZE)
        undo.append(lambda: sc.mem.free(sc.rx_ring))
    except HostMemoryError as e:
        iopkt.printf(f"{sc.dv_xname}: no memory for the descriptor rings: {e}")
        return ENOMEM

    ifp = sc.ifp
    ifp.if_xname = sc.dv_xname
    ifp.if_softc = sc
    ifp.if_flags = IFF_BROADCAST | IFF_MULTICAST | IFF_SIMPLEX
    ifp.if_init = nic_init
    ifp.if_start = nic_start
    ifp.if_stop = nic_stop
    ifp.if_ioctl = nic_ioctl
    IFQ_SET_MAXLEN(ifp.if_snd, 256)
    IFQ_SET_READY(ifp.if_snd)
    if_attach(iopkt, ifp)
    undo.append(lambda: if_detach(ifp))
    ether_ifattach(ifp, sc.mac)
    undo.append(lambda: ether_ifdetach(ifp))
    # Jumbo frames span several 2 KiB RX buffers; checksums in both directions.
    ifp.ec.ec_capabilities |= ETHERCAP_JUMBO_MTU
    ifp.if_capabilities_rx = ifp.if_capabilities_tx = IFCAP_CSUM_IPv4 | IFCAP_CSUM_TCPv4 | IFCAP_CSUM_UDPv4

    sc.sc_inter.func = nic_process_interrupt
    sc.sc_inter.enable = nic_enable_interrupt
    sc.sc_inter.arg = sc
    sc.sc_inter.name = sc.dv_xname
    err = interrupt_entry_init(iopkt, sc.sc_inter, 0, None)
    if err != EOK:
        return err
    undo.append(lambda: interrupt_entry_remove(iopkt, sc.sc_inter))
    iid = InterruptAttach(iopkt, sc.irq, nic_isr_for(sc), sc, 0, _NTO_INTR_FLAGS_TRK_MSK)
    if iid < 0:
        iopkt.printf(f"{sc.dv_xname}: InterruptAttach(irq {sc.irq}): {strerror(-iid)}")
        return -iid
    sc.sc_iid = iid
    undo.append(lambda: InterruptDetach(iopkt, sc.sc_iid))
    callout_init(sc.sc_mii_callout, iopkt)
    undo.append(lambda: callout_stop(sc.sc_mii_callout))
    if sc.phy_poll_us and sc.phy is not None:
        err = await nic_phy_thread_start(sc)
        if err != EOK:
            iopkt.printf(f"{sc.dv_xname}: no PHY thread: {strerror(err)}")
            return err
        undo.append(lambda: _reap_thread(sc))
    sc.sc_sdhook = shutdownhook_establish(iopkt, nic_shutdown, sc)
    itr = "auto" if sc.itr_auto else f"{sc.itr_us}us" if sc.itr_us else "off"
    mode = f", intr={sc.intr_style}, itr={itr}"
    iopkt.printf(f"{sc.dv_xname}: {KNOWN_DEVICES[(R.VENDOR_ID, R.DEVICE_ID)].format(rev=sc.revision)} "
                 f"at {pdev.name} irq {sc.irq}, address {':'.join(f'{b:02x}' for b in sc.mac)}{mode}")
    return EOK


async def _reap_thread(sc: NicDev) -> None:
    await sc.iopkt.quiesce_all()
    try:
        await nic_phy_thread_stop(sc)
    finally:
        await sc.iopkt.unquiesce_all()


async def nic_detach(dev: NicDev, flags: int) -> int:
    """``ifconfig nic0 destroy``: stop, reset the hardware, give everything back.

    Self-quiescing (``DVF_QUIESCESELF``): stopping waits for the NIC to
    drain, which must not hold every other driver's threads parked, so the
    stack is quiesced only around the teardown of what a thread may use."""
    sc = dev
    ifp = sc.ifp
    # The guide's rule: io-pkt unloads the driver when a device holding the
    # DLL handle goes, so every device but the last gives up its handle. The
    # count comes from io-pkt's device list, before anything here can yield.
    if any(d is not sc and d.dv_cfattach is nic_ca for d in sc.iopkt.alldevs):
        sc.dv_dll_hdl = None
    await nic_stop(ifp, 1)
    await nic_hw_reset(sc)
    await sc.iopkt.quiesce_all()
    try:
        await nic_phy_thread_stop(sc)
        InterruptDetach(sc.iopkt, sc.sc_iid)
        interrupt_entry_remove(sc.iopkt, sc.sc_inter)
        ether_ifdetach(ifp)
        if_detach(ifp)
        sc.mem.free(sc.tx_ring)
        sc.mem.free(sc.rx_ring)
        shutdownhook_disestablish(sc.iopkt, sc.sc_sdhook)
        sc.sc_sdhook = None
    finally:
        await sc.iopkt.unquiesce_all()
    return EOK


async def nic_shutdown(sc: NicDev) -> None:
    """io-pkt exiting or crashing: stop DMA and nothing else (no freeing)."""
    await nic_hw_reset(sc)


nic_ca = CFATTACH_DECL("nic", NicDev, None, nic_attach, nic_detach, None)
