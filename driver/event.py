"""Interrupts: the ISR, process-interrupt and enable (devnp ``event.c``).

Hardware masking, e1000-style: the ISR writes INT_MASK_CLR so the level
line drops, and queues the process function; ``enable`` writes INT_MASK_SET
once io-pkt has seen the process function finish (return 1). The ISR masks
whether or not the entry is already queued: a level line left asserted
would re-enter the ISR forever.
"""

from __future__ import annotations

from nicdef import regs as R
from stack.kern.intr import interrupt_queue

from .bsd_media import nic_link_update
from .receive import nic_rx
from .softc import NicDev
from .transmit import nic_tx_done


async def nic_isr(sc: NicDev, iid: int):
    await sc.regs.write32(R.REG_INT_MASK_CLR, R.INT_ALL)
    return interrupt_queue(sc.iopkt, sc.sc_inter)


async def nic_process_interrupt(sc: NicDev, wtp) -> int:
    cause = await sc.regs.read32(R.REG_INT_CAUSE)
    if cause:
        await sc.regs.write32(R.REG_INT_CAUSE, cause)  # W1C before looking, so nothing new is lost
    if cause & R.INT_RX_MISS:
        sc.stats.rx_missed += 1
    if cause & R.INT_LINK:
        await nic_link_update(sc)
    drained = await nic_rx(sc, wtp)
    await nic_tx_done(sc, wtp)
    return 1 if drained else 0


async def nic_enable_interrupt(sc: NicDev) -> int:
    await sc.regs.write32(R.REG_INT_MASK_SET, sc.intr_mask)
    return 1
