"""Adaptive interrupt moderation, devnp-nic's default (``itr=auto``).

A fixed ``INT_THROTTLE`` window batches a flood's frames into few interrupts
but delays every interrupt that follows another within the window: 10 µs of
moderation turns a 3.4 µs back-to-back ping into a 10 µs one. So, as
e1000-class drivers do with a dynamic interrupt rate (they class each
interrupt by the packets and bytes it brought), the driver turns the
throttle on only while the load is a flood and off again once it has gone.
A process pass is *busy* when the bytes it received and the bytes whose
transmission it harvested, over the time since the previous pass began,
come to at least ``AUTO_BYTES_PER_US`` (about half of 1 Gb/s): a flood of
any frame size is, a ping exchange (98 bytes every few µs) is not. Both
directions count, as e1000's dynamic rate classes an interrupt by its TX
and RX bytes: a sender stalled on a full ring has TX_DONE unmasked
(``transmit.py``), and unthrottled that is an interrupt for each frame
the wire takes, where throttled each pass harvests the window's frames.

- off: ``AUTO_ON_AFTER`` busy passes in a row program ``INT_THROTTLE`` with
  the window of the last pass's class;
- on: a busy pass of the other class moves to its window; ``AUTO_OFF_AFTER``
  passes in a row that are not busy program 0 again. While on, a pass's
  rate is taken over at least the window: a pass that was not an
  interrupt's (a lone ping reply just after another pass) would otherwise
  look like a flood and keep the window on.

A busy pass is *bulk* when its frames average more than
``AUTO_BULK_FRAME_BYTES``, as e1000's ``e1000_update_itr`` moves to its
bulk_latency class (4,000 interrupts/s) once the bytes per packet pass
1200: the window is then ``AUTO_BULK_ITR_US``, two full-size frames per
interrupt where ``AUTO_ITR_US`` (less than one 1518-byte frame's 12.3 µs)
would batch none; e1000's own 250 µs would overrun this driver's 64-slot
RX ring should 64-byte frames follow. Otherwise the window is
``AUTO_ITR_US``, e1000's low_latency class (20,000/s) scaled to batch
64-byte frames.

Each change is one register write; nothing is written while the state
holds. ``itr=0`` turns moderation off, ``itr=USEC`` fixes the window.
"""

from __future__ import annotations

from nicdef import regs as R

from .softc import NicDev

AUTO_ITR_US = 10       # the window while a flood lasts: at most 100k interrupts/s
# The window while a flood of large frames lasts: at most 50k interrupts/s,
# about two 1518-byte frames. It must not outlast the RX ring at the
# smallest frames, as the sizes can change within one window: 64
# descriptors of 64-byte frames are 43 µs of line (50 µs lost frames).
AUTO_BULK_ITR_US = 20
AUTO_BULK_FRAME_BYTES = 1200  # mean frame of a bulk pass is larger (e1000_update_itr's 1200)
AUTO_BYTES_PER_US = 60  # bytes received and sent per µs of a busy pass (1 Gb/s is 125)
AUTO_ON_AFTER = 4      # busy passes in a row that turn the window on
AUTO_OFF_AFTER = 2     # passes in a row that are not busy that turn it off


def itr_units(us: int) -> int:
    """Microseconds in INT_THROTTLE units (256 ns), rounded up, 16 bits."""
    return min(0xFFFF, -(-us * 1000 // R.INT_THROTTLE_UNIT_NS))


def nic_itr_programmed(sc: NicDev) -> int:
    """What INT_THROTTLE should hold now: the fixed window, or the adaptive
    state's (0 until a flood turns it on)."""
    if sc.itr_auto:
        return itr_units(_auto_window_us(sc)) if sc.itr_auto_on else 0
    return itr_units(sc.itr_us)


def _auto_window_us(sc: NicDev) -> int:
    """The adaptive window of the class the state is in, µs (whether on or not)."""
    return AUTO_BULK_ITR_US if sc.itr_bulk else AUTO_ITR_US


def nic_moderation_reset(sc: NicDev, on: bool = False, bulk: bool = False) -> None:
    """Set the adaptive state (off when an interface is (re)initialised),
    its counts of passes in a row from zero."""
    sc.itr_auto_on = on
    sc.itr_bulk = bulk
    sc.itr_busy = sc.itr_quiet = 0


def nic_moderation_begin(sc: NicDev, now_ns: int) -> tuple[int, int, int]:
    """At the start of a process pass: what its end compares with (bytes
    and frames received and harvested as sent so far, and the time since
    the previous pass began, ns)."""
    gap = max(1, now_ns - sc.itr_last_ns)
    sc.itr_last_ns = now_ns
    return *_moved(sc), gap


def _moved(sc: NicDev) -> tuple[int, int]:
    return sc.ifp.if_ibytes + sc.stats.octets_txed_ok, sc.ifp.if_ipackets + sc.stats.txed_ok


async def nic_moderation_end(sc: NicDev, begin: tuple[int, int, int]) -> None:
    """At the end of a process pass: class it (busy or not; bulk or not)
    and move the adaptive state (one INT_THROTTLE write when it changes)."""
    if not sc.itr_auto:
        return
    bytes0, frames0, gap = begin
    moved, frames = _moved(sc)
    moved, frames = moved - bytes0, frames - frames0
    if sc.itr_auto_on:
        gap = max(gap, 1000 * _auto_window_us(sc))
    busy = moved * 1000 >= AUTO_BYTES_PER_US * gap
    bulk = busy and moved > AUTO_BULK_FRAME_BYTES * frames
    programmed = nic_itr_programmed(sc)
    if sc.itr_auto_on:
        sc.itr_quiet = 0 if busy else sc.itr_quiet + 1
        if sc.itr_quiet >= AUTO_OFF_AFTER:
            nic_moderation_reset(sc)
        elif busy:
            sc.itr_bulk = bulk
    else:
        sc.itr_busy = sc.itr_busy + 1 if busy else 0
        if sc.itr_busy >= AUTO_ON_AFTER:
            nic_moderation_reset(sc, on=True, bulk=bulk)
    if nic_itr_programmed(sc) != programmed:
        sc.itr_changes += 1
        await sc.regs.write32(R.REG_INT_THROTTLE, nic_itr_programmed(sc))
