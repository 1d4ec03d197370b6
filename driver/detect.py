"""Entry, attach, detach and shutdown (devnp ``detect.c``).

The entry point scans the platform's devices, identifies ours by the ID
register, and calls ``dev_attach`` per instance. Attach runs once per device:
it allocates what lives as long as the device (rings, the interrupt entry,
the callout) and hooks into io-pkt; the hardware is only enabled by init.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicdef import regs as R
from stack.kern.callout import callout_init
from stack.kern.device import CFATTACH_DECL, Ref, dev_attach, parse_options
from stack.kern.errno import EINVAL, ENODEV, EOK
from stack.kern.intr import interrupt_entry_init, interrupt_entry_remove
from stack.kern.shutdown import shutdownhook_disestablish, shutdownhook_establish
from stack.net.if_ import (
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
from stack.net.if_ether import ETHERCAP_JUMBO_MTU, ether_ifattach, ether_ifdetach

from .bsd_media import nic_media_attach
from .devctl import nic_ioctl
from .event import nic_enable_interrupt, nic_isr, nic_process_interrupt
from .init import nic_hw_reset, nic_init, nic_stop
from .softc import NUM_RX_DESC, NUM_TX_DESC, NicDev
from .transmit import nic_start


@dataclass
class NicAttachArgs:
    """What the entry point hands attach through ``dev_attach``'s cfat_arg."""

    pdev: object
    options: str


KNOWN_DEVICES = {(R.VENDOR_ID, R.DEVICE_ID): "Simulated NIC rev {rev:#06x}"}
DRIVER_OPTIONS = {"name", "lan", "unit", "mac", "verbose"}


async def nic_entry(dll_hdl, iopkt, options: str) -> int:
    """``iopkt_drvr_entry``: attach every matching device on the platform."""
    for key, _ in parse_options(options):
        if key not in DRIVER_OPTIONS:
            iopkt.printf(f"devnp-nic: unknown option '{key}'")
            return EINVAL
    found = 0
    err = ENODEV
    single = Ref(0)
    for pdev in iopkt.platform.devices:
        ident = await pdev.regs.read32(R.REG_ID)
        key = (ident >> 16, ident & 0xFFFF)
        if key not in KNOWN_DEVICES:
            continue
        devp = Ref(None)
        err = await dev_attach(iopkt, "nic", options, nic_ca, NicAttachArgs(pdev, options), single, devp, None)
        if err != EOK:
            return err
        dll_hdl.hold(devp.value)
        found += 1
        if single.value:
            break  # lan=/unit= names one interface: attach only the first device
    return EOK if found else err


def parse_mac(text: str) -> bytes:
    """``mac=`` as io-pkt drivers take it: 12 hex digits, colons optional."""
    digits = text.replace(":", "").replace("-", "")
    if len(digits) != 12:
        raise ValueError(text)
    mac = bytes.fromhex(digits)
    if mac[0] & 1:
        raise ValueError(text)  # a multicast address cannot be a station address
    return mac


async def nic_attach(parent, self: NicDev, aux) -> int:
    sc = self
    pdev = aux.pdev
    iopkt = sc.dv_iopkt
    sc.iopkt = iopkt
    sc.pdev = pdev
    sc.regs = pdev.regs
    sc.mem = iopkt.platform.memory
    sc.irq = pdev.irq_number
    sc.options = dict(parse_options(aux.options))
    if "verbose" in sc.options:
        try:
            sc.verbose = int(sc.options["verbose"] or "1", 0)
        except ValueError:
            iopkt.printf(f"{sc.dv_xname}: bad verbose= option {sc.options['verbose']!r}")
            return EINVAL
    sc.revision = await sc.regs.read32(R.REG_VERSION)
    sc.perm_mac = bytes(pdev.props.get("mac", b"\x02\x00\x00\x00\x00\x01"))
    try:
        sc.mac = parse_mac(sc.options["mac"]) if sc.options.get("mac") else sc.perm_mac
    except ValueError:
        iopkt.printf(f"{sc.dv_xname}: bad mac= option {sc.options['mac']!r}")
        return EINVAL
    await nic_hw_reset(sc)
    await nic_media_attach(sc)

    # Rings live as long as the device: allocated here, once.
    sc.tx_ring = sc.mem.alloc(NUM_TX_DESC * R.DESC_SIZE, align=R.DESC_SIZE)
    sc.rx_ring = sc.mem.alloc(NUM_RX_DESC * R.DESC_SIZE, align=R.DESC_SIZE)

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
    ether_ifattach(ifp, sc.mac)
    # Jumbo frames span several 2 KiB RX buffers; checksums in both directions.
    ifp.ec.ec_capabilities |= ETHERCAP_JUMBO_MTU
    ifp.if_capabilities_rx = ifp.if_capabilities_tx = IFCAP_CSUM_IPv4 | IFCAP_CSUM_TCPv4 | IFCAP_CSUM_UDPv4

    sc.sc_inter.func = nic_process_interrupt
    sc.sc_inter.enable = nic_enable_interrupt
    sc.sc_inter.arg = sc
    sc.sc_inter.name = sc.dv_xname
    err = interrupt_entry_init(iopkt, sc.sc_inter, 0, None)
    if err != EOK:
        if_detach(ifp)
        return err
    sc.sc_iid = iopkt.kernel.attach(sc.irq, pdev.irq, nic_isr, sc, sc.dv_xname)
    callout_init(sc.sc_mii_callout, iopkt)
    sc.sc_sdhook = shutdownhook_establish(iopkt, nic_shutdown, sc)
    iopkt.printf(f"{sc.dv_xname}: {KNOWN_DEVICES[(R.VENDOR_ID, R.DEVICE_ID)].format(rev=sc.revision)} "
                 f"at {pdev.name} irq {sc.irq}, address {':'.join(f'{b:02x}' for b in sc.mac)}")
    return EOK


async def nic_detach(dev: NicDev, flags: int) -> int:
    """``ifconfig nic0 destroy``: stop, reset the hardware, give everything back."""
    sc = dev
    ifp = sc.ifp
    # The guide's rule: io-pkt unloads the driver when a device holding the
    # DLL handle goes, so every device but the last gives up its handle. The
    # count comes from io-pkt's device list, before anything here can yield.
    if any(d is not sc and d.dv_cfattach is nic_ca for d in sc.iopkt.alldevs):
        sc.dv_dll_hdl = None
    await nic_stop(ifp, 1)
    await nic_hw_reset(sc)
    sc.iopkt.kernel.detach(sc.sc_iid)
    interrupt_entry_remove(sc.iopkt, sc.sc_inter)
    ether_ifdetach(ifp)
    if_detach(ifp)
    sc.mem.free(sc.tx_ring)
    sc.mem.free(sc.rx_ring)
    shutdownhook_disestablish(sc.iopkt, sc.sc_sdhook)
    sc.sc_sdhook = None
    return EOK


async def nic_shutdown(sc: NicDev) -> None:
    """io-pkt exiting or crashing: stop DMA and nothing else (no freeing)."""
    await nic_hw_reset(sc)


nic_ca = CFATTACH_DECL("nic", NicDev, None, nic_attach, nic_detach, None)
