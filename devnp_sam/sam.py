"""sam.c, the io-pkt driver guide's hardware-independent sample, ported line
for line to the Python io-pkt, with the changes listed in README.md.

Every function keeps its C name, and this one file keeps sam.c's order, so
the guide's text can be read beside it. There is no network hardware: the
driver attaches to the system clock interrupt, and every SAM_RX_EVERY-th
interrupt it makes up a broadcast frame and passes it up the stack; what the
stack sends it frees at once (copy-style transmit).

sam.c has two ``sam_isr``s, chosen at compile time with ``HW_MASK``. Here the
driver option ``hwmask`` chooses: without it sam masks the clock line in the
kernel (``InterruptMask``); with it sam drives the virtual platform's
interrupt timer (a device with cause and mask registers) and masks the
interrupt in the device, as a driver on a shared line should.
"""

from __future__ import annotations

from iopkt.kern.device import CFATTACH_DECL, Device, Ref, dev_attach, parse_options
from iopkt.kern.errno import ENETRESET, ENODEV, EOK
from iopkt.kern.intr import (
    _NTO_INTR_FLAGS_TRK_MSK,
    InterruptAttach_r,
    InterruptDetach,
    InterruptMask,
    InterruptUnmask,
    IopktInter,
    interrupt_entry_init,
    interrupt_entry_remove,
    interrupt_queue,
)
from iopkt.kern.mbuf import M_DONTWAIT, M_PKTHDR, MT_DATA, m_freem, m_getcl_wtp, mtod
from iopkt.kern.shutdown import shutdownhook_disestablish, shutdownhook_establish
from iopkt.kern.siglock import NW_SIGLOCK_P, NW_SIGUNLOCK_P
from iopkt.net.if_ import (
    IFF_ALLMULTI,
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_OACTIVE,
    IFF_RUNNING,
    IFF_SIMPLEX,
    IFQ_DEQUEUE,
    IFQ_POLL,
    IFQ_SET_READY,
    SIOCGDRVCOM,
    SIOCGIFMEDIA,
    SIOCSIFMEDIA,
    Ifnet,
    if_attach,
    if_detach,
)
from iopkt.net.if_ether import (
    ETHER_ADDR_LEN,
    ETHER_FIRST_MULTI,
    ETHER_HDR_LEN,
    ETHER_NEXT_MULTI,
    ETHERBROADCAST,
    ETHERTYPE_IP,
    EtherMultiStep,
    ether_ifattach,
    ether_ifdetach,
    ether_ioctl,
    ether_sprintf,
)
from iopkt.net.if_media import (
    IFM_1000_T,
    IFM_ACTIVE,
    IFM_AUTO,
    IFM_AVALID,
    IFM_ETHER,
    IFM_FDX,
    Ifmedia,
    ifmedia_add,
    ifmedia_init,
    ifmedia_ioctl,
    ifmedia_removeall,
    ifmedia_set,
)
from iopkt.net.nicinfo import (
    NIC_FLAG_BROADCAST,
    NIC_FLAG_MULTICAST,
    NicConfig,
    NicStats,
    drvcom_config_stats,
)

SAM_RX_EVERY = 1000  # interrupts per made-up received frame, as sam.c

# HW_MASK: the interrupt timer's registers (iopkt.platform.virtual.IntrTimer)
SAM_REG_CAUSE = 0x00  # pending causes; write 1s to acknowledge
SAM_REG_IMS = 0x08  # interrupt mask set: write 1s to enable
SAM_REG_IMC = 0x0C  # interrupt mask clear: write 1s to disable
SAM_INTRMASK = 0x1  # the causes sam wants: the tick


class SamDev(Device):
    """``struct sam_dev``: the softc."""

    def __init__(self):
        super().__init__()
        self.sc_ec = Ifnet()  # struct ethercom: its ifnet is ec_if
        self.cfg = NicConfig()  # nic information
        # whatever else you need follows
        self.sc_iopkt = None
        self.sc_iid = -1
        self.sc_irq = -1
        self.sc_intr_cnt = 0
        self.sc_intr_spurious = 0
        self.sc_inter = IopktInter()
        self.sc_sdhook = None
        self.sc_hw_mask = False  # the "hwmask" option: HW_MASK in sam.c
        self.sc_regs = None  # the device's registers (HW_MASK only)
        # Additions for nicinfo and ifconfig -m (see README.md)
        self.sc_stats = NicStats()
        self.sc_media = Ifmedia()

    @property
    def ifp(self) -> Ifnet:
        return self.sc_ec


# -- Initial driver entry point ---------------------------------------------------------
async def sam_entry(dll_hdl, iopkt, options: str) -> int:
    # parse options: dev_attach takes name=, lan=, unit=; sam has none of its own.
    single = Ref(1)  # do options imply single? sam has one instance only
    # initialize to whatever you want to pass to sam_attach(): here, which ISR
    attach_args = {"hwmask": any(key == "hwmask" for key, _ in parse_options(options))}
    instance = 0
    err = ENODEV
    while True:
        # Apply detection criteria; found one
        devp = Ref(None)  # No Parent
        err = await dev_attach(iopkt, "sam", options, sam_ca, attach_args, single, devp, None)
        if err != EOK:
            break
        dll_hdl.hold(devp.value)  # dev->dv_dll_hdl = dll_hdl
        instance += 1
        if single.value:  # done_detection || single
            break
    if instance > 0:
        return EOK
    return err  # sam.c says ENODEV; the real reason (EALREADY for a taken unit) is more use


async def sam_attach(parent, self: SamDev, aux) -> int:
    sam = self
    ifp = sam.sc_ec
    iopkt = sam.dv_iopkt
    sam.sc_iopkt = iopkt

    # CAUTION: as an example we attach to the system timer interrupt. This
    # would be the network hardware interrupt in a real driver. The sample
    # masks and unmasks the clock interrupt in io-pkt, which may upset other
    # timer users; it is safe to run by itself.
    sam.sc_hw_mask = bool(aux and aux["hwmask"])
    if sam.sc_hw_mask:
        # HW_MASK: a device with its own interrupt registers (the virtual
        # platform's interrupt timer); its line may be shared with others.
        itimer = getattr(iopkt.platform, "interrupt_timer", None)
        if itimer is None:
            return ENODEV
        hw = itimer()
        sam.sc_regs = hw.regs
        sam.sc_irq = hw.irq_number
    else:
        qtime = getattr(iopkt.platform, "system_clock", None)
        if qtime is None:
            return ENODEV
        sam.sc_irq = qtime().intr

    err = interrupt_entry_init(iopkt, sam.sc_inter, 0, None)
    if err != EOK:
        return err
    sam.sc_inter.func = sam_process_interrupt
    sam.sc_inter.enable = sam_enable_interrupt
    sam.sc_inter.arg = sam
    sam.sc_inter.name = sam.dv_xname

    sam.sc_iid = -1  # not attached yet

    # set capabilities here (if_capabilities_rx/_tx) if the hardware offloads checksums

    ifp.if_flags = IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST

    # Set callouts
    ifp.if_ioctl = sam_ioctl
    ifp.if_start = sam_start
    ifp.if_init = sam_init
    ifp.if_stop = sam_stop
    IFQ_SET_READY(ifp.if_snd)

    ifp.if_softc = sam
    ifp.if_xname = sam.dv_xname
    if_attach(iopkt, ifp)

    enaddr = bytes(range(ETHER_ADDR_LEN))
    ether_ifattach(ifp, enaddr)  # Normal ethernet

    # nic_config_t for nicinfo (an addition: sam.c declares cfg but never fills it)
    sam.cfg.permanent_address = enaddr
    sam.cfg.current_address = enaddr
    sam.cfg.lan = sam.dv_unit
    sam.cfg.num_irqs = 1
    sam.cfg.irq[0] = sam.sc_irq
    sam.cfg.device_description = "io-pkt sample driver (no hardware)"
    # Media for ifconfig -m / -v, as a bsd_media.c would (an addition).
    ifmedia_init(sam.sc_media, 0, sam_mediachange, sam_mediastatus)
    ifmedia_add(sam.sc_media, IFM_ETHER | IFM_AUTO, 0, None)
    ifmedia_add(sam.sc_media, IFM_ETHER | IFM_1000_T | IFM_FDX, 0, None)
    ifmedia_set(sam.sc_media, IFM_ETHER | IFM_AUTO)

    sam.sc_sdhook = shutdownhook_establish(iopkt, sam_shutdown, sam)
    return EOK


def sam_set_multicast(sam: SamDev) -> None:
    ec = sam.sc_ec.ec
    ifp = sam.sc_ec
    iopkt = sam.sc_iopkt
    step = EtherMultiStep()

    ifp.if_flags &= ~IFF_ALLMULTI
    enm = ETHER_FIRST_MULTI(step, ec)
    while enm is not None:
        if enm.enm_addrlo != enm.enm_addrhi:
            # We must listen to a range of multicast addresses. For now, just
            # accept all multicasts, rather than trying to filter out the range.
            # At this time, the only use of address ranges is for IP multicast routing.
            ifp.if_flags |= IFF_ALLMULTI
            break
        # Single address
        iopkt.printf(f"Add {ether_sprintf(enm.enm_addrlo)} to mcast filter")
        # The published sam.c never steps to the next entry here, so any
        # single address spins this loop forever.
        enm = ETHER_NEXT_MULTI(step)

    if ifp.if_flags & IFF_ALLMULTI:
        iopkt.printf("Enable multicast promiscuous")
    else:
        iopkt.printf("Disable multicast promiscuous")


async def sam_init(ifp: Ifnet) -> int:
    # - enable hardware.
    #   - look at ifp->if_capenable_[rx/tx]
    #   - enable promiscuous / multicast filter.
    # - attach to interrupt.
    sam: SamDev = ifp.if_softc
    iopkt = sam.sc_iopkt

    if sam.cfg.current_address != ifp.if_lladdr:
        sam.cfg.current_address = ifp.if_lladdr
        # update the hardware

    if sam.sc_iid == -1:
        isr = sam_isr_hw if sam.sc_hw_mask else sam_isr
        ret = InterruptAttach_r(iopkt, sam.sc_irq, isr, sam, 0, _NTO_INTR_FLAGS_TRK_MSK)
        if ret < 0:
            return -ret
        sam.sc_iid = ret
        if sam.sc_hw_mask:
            await sam.sc_regs.write32(SAM_REG_IMS, SAM_INTRMASK)  # the device may interrupt now

    sam_set_multicast(sam)
    sam.cfg.mtu = sam.cfg.mru = ifp.if_mtu + ETHER_HDR_LEN
    sam.cfg.flags = NIC_FLAG_BROADCAST | NIC_FLAG_MULTICAST
    # if_flags_tx belongs to the transmit mutex.
    await NW_SIGLOCK_P(ifp.if_snd_ex, iopkt, None)
    ifp.if_flags_tx = (ifp.if_flags_tx | IFF_RUNNING) & ~IFF_OACTIVE
    NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, None)
    return EOK


async def sam_stop(ifp: Ifnet, disable: int) -> None:
    # - Cancel any pending io
    # - Clear any interrupt source registers
    # - Clear any interrupt pending registers
    # - Release any queued transmit buffers.
    sam: SamDev = ifp.if_softc
    iopkt = sam.sc_iopkt

    if disable:
        if sam.sc_iid != -1:
            if sam.sc_hw_mask:
                await sam.sc_regs.write32(SAM_REG_IMC, 0xFFFFFFFF)  # quiet the device first
            InterruptDetach(iopkt, sam.sc_iid)
            sam.sc_iid = -1
        # rxdrain

    await NW_SIGLOCK_P(ifp.if_snd_ex, iopkt, None)
    ifp.if_flags_tx &= ~(IFF_RUNNING | IFF_OACTIVE)
    NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, None)


def sam_start(ifp: Ifnet) -> None:
    """Called with the transmit mutex held; releases it on the way out."""
    sam: SamDev = ifp.if_softc
    iopkt = sam.sc_iopkt
    while True:
        m = IFQ_POLL(ifp.if_snd)
        if m is None:
            break
        # Can look at m to see if you have the resources to transmit it.
        m = IFQ_DEQUEUE(ifp.if_snd)
        # You're now committed to transmitting it
        if sam.cfg.verbose:
            iopkt.printf("Packet sent")
        sam.sc_stats.txed_ok += 1
        sam.sc_stats.octets_txed_ok += m.m_pkthdr.len
        m_freem(m)  # a copying NIC frees at once; a descriptor NIC frees when the DMA is done
        ifp.if_opackets += 1  # for ifconfig -v; or if error: ifp.if_oerrors += 1
    NW_SIGUNLOCK_P(ifp.if_snd_ex, iopkt, None)


async def sam_ioctl(ifp: Ifnet, cmd: int, data) -> int:
    sam: SamDev = ifp.if_softc
    if cmd == SIOCGDRVCOM:  # nicinfo (an addition)
        return drvcom_config_stats(data, sam.cfg, sam.sc_stats)
    if cmd in (SIOCGIFMEDIA, SIOCSIFMEDIA):  # ifconfig media (an addition)
        return await ifmedia_ioctl(ifp, data, sam.sc_media, cmd)
    error = await ether_ioctl(ifp, cmd, data)
    if error == ENETRESET:
        # Multicast list has changed; set the hardware filter accordingly.
        if ifp.if_flags_tx & IFF_RUNNING:
            sam_set_multicast(sam)  # interface is up: recalculate and reprogram the hardware
        # else: interface is down, sam_init() will call sam_set_multicast()
        error = EOK
    return error


def sam_mediachange(ifp: Ifnet) -> int:
    return EOK  # no PHY to program


def sam_mediastatus(ifp: Ifnet, ifmr) -> None:
    sam: SamDev = ifp.if_softc
    ifmr.ifm_status = IFM_AVALID
    if ifp.if_flags_tx & IFF_RUNNING:
        ifmr.ifm_status |= IFM_ACTIVE
        ifmr.ifm_active = IFM_ETHER | IFM_1000_T | IFM_FDX
        sam.cfg.media_rate, sam.cfg.duplex = 1_000_000, 1
    else:
        ifmr.ifm_active = IFM_ETHER
        sam.cfg.media_rate, sam.cfg.duplex = -1, -1


async def sam_detach(dev: SamDev, flags: int) -> int:
    # Clean up everything. The interface is going away but io-pkt is staying up.
    sam = dev
    ifp = sam.sc_ec
    await sam_stop(ifp, 1)
    ether_ifdetach(ifp)
    if_detach(ifp)
    # sam.c forgets this, leaving io-pkt an entry that points into freed memory.
    interrupt_entry_remove(sam.sc_iopkt, sam.sc_inter)
    ifmedia_removeall(sam.sc_media)
    shutdownhook_disestablish(sam.sc_iopkt, sam.sc_sdhook)
    return EOK


async def sam_shutdown(sam: SamDev) -> None:
    # All of io-pkt is going away. Just quiet hardware.
    await sam_stop(sam.sc_ec, 1)


def sam_isr(sam: SamDev, iid: int):
    """Kernel-mask style (sam.c without HW_MASK)."""
    ient = sam.sc_inter
    # Close the window where this is referenced in sam_enable_interrupt(): an
    # interrupt may come before InterruptAttach() has returned.
    sam.sc_iid = iid
    InterruptMask(sam.sc_iopkt, sam.sc_irq, iid)
    return interrupt_queue(sam.sc_iopkt, ient)


async def sam_isr_hw(sam: SamDev, iid: int):
    """Hardware-mask style (sam.c with HW_MASK): mask in the device, so a
    line shared with other devices stays open for them."""
    ient = sam.sc_inter
    sam.sc_iid = iid  # the same window as above
    # If the interrupt is shared, check whether it is ours. Only while not
    # queued: once queued our mask is off, so the line is someone else's,
    # and the cause stays set until sam_process_interrupt acknowledges it.
    if ient.on_list == 0 and not await sam.sc_regs.read32(SAM_REG_CAUSE) & SAM_INTRMASK:
        return None
    # Mask interrupts in hardware, whether or not the entry is already queued.
    await sam.sc_regs.write32(SAM_REG_IMC, 0xFFFFFFFF)
    return interrupt_queue(sam.sc_iopkt, ient)


async def sam_process_interrupt(sam: SamDev, wtp) -> int:
    ifp = sam.sc_ec
    if sam.sc_hw_mask:
        # Acknowledge what we serve; with the kernel mask the clock's own
        # kernel handler does this for the system timer.
        cause = await sam.sc_regs.read32(SAM_REG_CAUSE)
        await sam.sc_regs.write32(SAM_REG_CAUSE, cause)
    cnt = sam.sc_intr_cnt
    sam.sc_intr_cnt += 1
    if cnt % SAM_RX_EVERY == 0:
        # Send a packet up
        m = m_getcl_wtp(M_DONTWAIT, MT_DATA, M_PKTHDR, wtp)
        if m is None:
            ifp.if_ierrors += 1  # for ifconfig -v
            sam.sc_stats.rx_failed_allocs += 1
            return 1
        m.m_pkthdr.len = m.m_len = ETHER_HDR_LEN
        m.m_pkthdr.rcvif = ifp  # ip_input() needs this
        # dummy up a broadcasted IP packet for testing
        m.pool.memory.write(mtod(m), ETHERBROADCAST + bytes(ETHER_ADDR_LEN) + ETHERTYPE_IP.to_bytes(2, "big"))
        ifp.if_ipackets += 1  # for ifconfig -v
        sam.sc_stats.rxed_ok += 1
        sam.sc_stats.rxed_broadcast += 1
        sam.sc_stats.octets_rxed_ok += ETHER_HDR_LEN
        await ifp.if_input(ifp, m)
        sam.sc_iopkt.printf(f"sam_process_interrupt {sam.sc_intr_cnt}")
    # A return of 1 means we're done. Taking long (e.g. half the rx
    # descriptors) we could return 0: other interrupts are processed first and
    # this function is called again later, without our enable in between.
    return 1


async def sam_enable_interrupt(sam: SamDev) -> int:
    if sam.sc_hw_mask:
        await sam.sc_regs.write32(SAM_REG_IMS, SAM_INTRMASK)  # unmask in hardware
    else:
        InterruptUnmask(sam.sc_iopkt, sam.sc_irq, sam.sc_iid)
    return 1


sam_ca = CFATTACH_DECL("sam", SamDev, None, sam_attach, sam_detach, None)
