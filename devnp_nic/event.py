"""Interrupts: the ISRs, process-interrupt and enable (devnp ``event.c``).

The driver guide's two masking styles, chosen with the ``intr=`` option:

- ``intr=kernel``: the ISR masks the line in the kernel (``InterruptMask``);
  ``enable`` unmasks it (``InterruptUnmask``). Simplest; on a shared line it
  holds the other devices back until this one's work is done.
- ``intr=hw`` (default): the ISR writes INT_MASK_CLR so the NIC drops its
  level, e1000-style; ``enable`` writes INT_MASK_SET.
- ``intr=shared``: as ``hw``, but when the entry is not already queued the
  ISR first reads INT_CAUSE and returns nothing for an interrupt that is not
  this NIC's, so a foreign device's interrupt on a shared line costs one
  register read and queues nothing.

An ISR masks whether or not its entry is already queued: a level line left
asserted would re-enter the ISR forever (docs/iopkt-semantics.md: interrupt_queue).
"""

from __future__ import annotations

from iopkt.kern.intr import InterruptMask, InterruptUnmask, interrupt_queue
from nicdef import regs as R

from .bsd_media import nic_link_update
from .moderation import nic_moderation_begin, nic_moderation_end
from .receive import nic_rx, nic_rx_recover
from .softc import INTR_KERNEL, INTR_SHARED, NUM_RX_DESC, NUM_TX_DESC, NicDev
from .transmit import nic_tx_done, nic_tx_recover


async def nic_isr(sc: NicDev, iid: int):
    """Hardware masking (``intr=hw``)."""
    await sc.regs.write32(R.REG_INT_MASK_CLR, R.INT_ALL)
    return interrupt_queue(sc.iopkt, sc.sc_inter)


async def nic_isr_shared(sc: NicDev, iid: int):
    """Hardware masking that leaves other devices' interrupts alone
    (``intr=shared``). The cause is looked at only when the entry is not
    queued (docs/iopkt-semantics.md); queued, the NIC is masked again all the same,
    in case something unmasked it under the pending pass."""
    if sc.sc_inter.on_list:
        await sc.regs.write32(R.REG_INT_MASK_CLR, R.INT_ALL)
        return None
    if not await sc.regs.read32(R.REG_INT_CAUSE) & sc.intr_mask:
        sc.isr_foreign += 1
        return None  # not ours: another device on the line
    await sc.regs.write32(R.REG_INT_MASK_CLR, R.INT_ALL)
    return interrupt_queue(sc.iopkt, sc.sc_inter)


def nic_isr_kernel(sc: NicDev, iid: int):
    """Kernel masking (``intr=kernel``): the whole line waits for enable()."""
    InterruptMask(sc.iopkt, sc.irq, iid)
    return interrupt_queue(sc.iopkt, sc.sc_inter)


ISRS = {INTR_KERNEL: nic_isr_kernel, INTR_SHARED: nic_isr_shared}


def nic_isr_for(sc: NicDev):
    return ISRS.get(sc.intr_style, nic_isr)


async def nic_process_interrupt(sc: NicDev, wtp) -> int:
    if not sc.running:
        # io-pkt queued this pass before the interface was stopped: stop has
        # masked the NIC and taken the rings apart, so there is nothing to do.
        return 1
    begin = nic_moderation_begin(sc, sc.iopkt.platform.now_ns())
    cause = await sc.regs.read32(R.REG_INT_CAUSE)
    if cause:
        await sc.regs.write32(R.REG_INT_CAUSE, cause)  # W1C before looking, so nothing new is lost
    if cause & R.INT_DMA_ERR:
        await nic_dma_error(sc, wtp)
    if cause & R.INT_LINK:
        await nic_link_update(sc)
    drained = await nic_rx(sc, wtp)
    await nic_tx_done(sc, wtp)
    if sc.running:
        await nic_moderation_end(sc, begin)
    return 1 if drained else 0


async def nic_enable_interrupt(sc: NicDev) -> int:
    if sc.intr_style == INTR_KERNEL:
        InterruptUnmask(sc.iopkt, sc.irq, sc.sc_iid)
    elif sc.running:
        await sc.regs.write32(R.REG_INT_MASK_SET, sc.intr_mask)
    return 1


_RESP = {2: "SLVERR", 3: "DECERR"}
# *_ERR_INFO.CAUSE other than an AXI response: the NIC refused the access
# itself, before any bus access (datasheet, *DMA errors*)
_CAUSE = {R.DMA_ERR_CAUSE_RANGE: "address out of range: beyond the NIC's DMA address width",
          R.DMA_ERR_CAUSE_DESC: f"descriptor refused: LEN 0 with EOP, LEN above {R.TX_DESC_LEN_MAX}, "
                                f"or a frame past {R.TX_FRAME_LEN_MAX} bytes"}

# Each engine latches its own last error (TX_ERR_*, RX_ERR_*), so errors on
# both rings before the process pass are each reported and settled.
_RINGS = {
    "transmit": (R.STATUS_TX_STOPPED, R.REG_TX_ERR_ADDR_LO, R.REG_TX_ERR_ADDR_HI, R.REG_TX_ERR_INFO),
    "receive": (R.STATUS_RX_STOPPED, R.REG_RX_ERR_ADDR_LO, R.REG_RX_ERR_ADDR_HI, R.REG_RX_ERR_INFO),
}


def describe_dma_error(sc: NicDev, engine: str, addr: int, info: int) -> str:
    """Which access failed and why, in the datasheet's terms, from the
    engine's latched address and access (``*_ERR_INFO``: WRITE, RESP, CAUSE)
    and the driver's ring addresses: an address in the ring is a descriptor,
    else a buffer. The reason is the AXI response (SLVERR, DECERR) or, when
    the NIC refused the access itself, the CAUSE by name (address out of
    range, descriptor refused)."""
    write = bool(info & R.TX_ERR_INFO_WRITE)  # the same bit in RX_ERR_INFO
    ring, nring = (sc.tx_ring, NUM_TX_DESC) if engine == "transmit" else (sc.rx_ring, NUM_RX_DESC)
    if ring <= addr < ring + nring * R.DESC_SIZE:
        what = "descriptor write-back" if write else "descriptor fetch"
    else:
        what = "buffer write" if write else "buffer read"
    cause = (info & R.TX_ERR_INFO_CAUSE) >> R.TX_ERR_INFO_CAUSE_SHIFT
    if cause in _CAUSE:
        if cause == R.DMA_ERR_CAUSE_DESC:
            what = "descriptor"
        return f"{engine} {what} at {addr:#x} ({_CAUSE[cause]})"
    resp = _RESP.get((info & R.TX_ERR_INFO_RESP) >> R.TX_ERR_INFO_RESP_SHIFT, "error")
    return f"{engine} {what} at {addr:#x} ({resp})"


async def nic_dma_errors_log(sc: NicDev, status: int, then: str) -> dict[str, int]:
    """Log the DMA error of each ring STATUS says is stopped (``then``: what
    the driver does next), count them, and return each engine's ``*_ERR_INFO``
    by name ("transmit", "receive")."""
    infos = {}
    for engine, (stopped, lo, hi, info_reg) in _RINGS.items():
        if not status & stopped:
            continue
        addr = await sc.regs.read32(lo) | await sc.regs.read32(hi) << 32
        info = infos[engine] = await sc.regs.read32(info_reg)
        sc.stats.dma_errors += 1
        sc.iopkt.printf(f"{sc.dv_xname}: DMA error: {describe_dma_error(sc, engine, addr, info)}; "
                        + then.format(ring=engine))
    return infos


async def nic_dma_error(sc: NicDev, wtp) -> None:
    """DMA_ERR: a ring is stopped until the driver resets it. Log each
    failed access, then recover each stopped ring on its own (the other
    keeps running)."""
    status = await sc.regs.read32(R.REG_STATUS)
    infos = await nic_dma_errors_log(sc, status, "resetting the {ring} ring")
    if "receive" in infos:
        await nic_rx_recover(sc, wtp)
    if "transmit" in infos:
        await nic_tx_recover(sc, wtp, bool(infos["transmit"] & R.TX_ERR_INFO_WRITE))
