"""A pcap of each wire of a bench, in the test's artifact folder.

Where the wire is HDL (``nic_pair_tb``: the cable between the two PHYs) the
capture is HDL and C, ``rtl/tb/gmii_pcap.v`` and ``rtl/tb/gmii_pcap.c``, and
costs no Python at all: ``wire-a-to-b.pcap``, ``wire-b-to-a.pcap``. Where
the wire is Python's (the one-NIC benches, toplevel ``nic``: cocotbext-eth's
``GmiiSource`` into the NIC's receiver, ``GmiiSink`` on its transmitter),
:func:`record_gmii` records each frame where the model sends or receives it
and scapy writes it: ``wire-to-nic.pcap``, ``wire-from-nic.pcap``.

Both write the same thing (a capture is made only when ``NICSIM_ARTIFACTS``
names a folder in the simulation's environment):

- classic pcap, nanosecond timestamps (magic ``0xa1b23c4d``), link type
  Ethernet (1); one record per carrier burst, its preamble and SFD removed
  and its FCS kept (Wireshark shows the last 4 bytes as the frame check
  sequence), stamped with the simulated time of its SFD in ns; a burst with
  no SFD is written whole, preamble included, stamped with its first byte;
- ``<wire>.errors.txt``, made at the first bad burst, one line per bad one
  (classic pcap has no per-packet comment)::

      frame 3 at 1234567 ns, 68 bytes: gmii_tx_er on bytes 0..67; bad FCS 0x... (...)

  ``frame`` counts the pcap's records from 1, as Wireshark numbers them.
  The problems: ``gmii_tx_er`` (``gmii_rx_er`` on a wire into the NIC),
  no SFD (IEEE 802.3 clause 35: a byte other than 0x55 before any 0xD5, or
  none), a bad FCS (clause 3.2.9, CRC-32 of the bytes before it, least
  significant byte first), shorter than an FCS, a runt (under 64 bytes with
  the FCS, clause 4.4.2), cut by the end of the simulation (HDL wires).
"""

from __future__ import annotations

import ctypes
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from nicsim import artifacts

ARTIFACTS_ENV = "NICSIM_ARTIFACTS"
PREAMBLE, SFD = 0x55, 0xD5
MIN_FRAME = 64  # bytes with the FCS (IEEE 802.3 4.4.2)
LINKTYPE_ETHERNET = 1
# the one-NIC bench's wires, named from the NIC's side
TO_NIC, FROM_NIC = "wire-to-nic", "wire-from-nic"
# nic_pair_tb's wires (rtl/tb/nic_pair_tb.v's gmii_pcap instances)
HDL_WIRES = ("wire-a-to-b", "wire-b-to-a")


def artifacts_folder() -> Path | None:
    """The folder named by ``NICSIM_ARTIFACTS`` in this process's environment
    (the runner sets it for a simulation), or None: no capture."""
    return artifacts.folder()


@dataclass
class Burst:
    """One carrier burst as a wire capture writes it.

    record: the bytes of the pcap record (preamble and SFD removed when an
        SFD was found, else every byte);
    problems: what is wrong with it, one phrase each (empty: a good frame)."""

    record: bytes
    problems: list[str] = field(default_factory=list)


def analyse_burst(data: bytes, error: list[int] | None = None, er_name: str = "gmii_tx_er") -> tuple[Burst, int]:
    """Split a burst of GMII bytes as a receiver frames it and name its problems.

    data: every byte while tx_en/rx_dv was high, preamble included; error:
    the er bit per byte (None: none set). Returns ``(Burst, sfd_index)``,
    sfd_index -1 when there is no SFD (then the record is the whole burst).
    Framing follows IEEE 802.3 clause 35 as ``nic_mac_rx`` does: any number
    of 0x55, then 0xD5; any other byte first is a framing error."""
    sfd = -1
    foreign = -1
    for i, b in enumerate(data):
        if b == SFD:
            sfd = i
            break
        if b != PREAMBLE:
            foreign = i
            break
    skip = sfd + 1 if sfd >= 0 else 0
    record = bytes(data[skip:])
    problems = []
    if sfd < 0:
        if foreign >= 0:
            problems.append(f"no SFD: byte {foreign} (0x{data[foreign]:02x}) is neither preamble nor SFD, "
                            "written whole")
        else:
            problems.append(f"no SFD: {len(data)} bytes of preamble alone, written whole")
    marked = [i for i, e in enumerate(error or []) if e]
    if marked:
        if marked[-1] < skip:
            problems.append(f"{er_name} in the preamble")
        else:
            problems.append(f"{er_name} on bytes {max(marked[0] - skip, 0)}..{marked[-1] - skip}")
    if sfd >= 0:
        if len(record) < 4:
            problems.append("shorter than an FCS")
        else:
            fcs = struct.unpack("<I", record[-4:])[0]
            want = zlib.crc32(record[:-4])
            if fcs != want:
                problems.append(f"bad FCS 0x{fcs:08x} (the CRC of the bytes before it is 0x{want:08x})")
        if len(record) < MIN_FRAME:
            problems.append(f"runt: {len(record)} bytes with the FCS, under 64")
    return Burst(record, problems), sfd


class PcapWire:
    """One wire's pcap (scapy's ``RawPcapWriter``, nanosecond resolution,
    flushed after every record) and its ``.errors.txt``.

    folder/name: writes ``folder/name.pcap`` (the folder is made);
    :meth:`write` adds a record; :meth:`close` ends the files."""

    def __init__(self, folder: Path, name: str):
        from scapy.utils import RawPcapWriter

        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{name}.pcap"
        self.errors_path = folder / f"{name}.errors.txt"
        self._writer = RawPcapWriter(str(self.path), linktype=LINKTYPE_ETHERNET, nano=True, sync=True)
        # the header goes out now, so a wire that never carries a frame still leaves a readable file
        self._writer.write_header(None)
        self._errors = None
        self.records = 0

    def write(self, burst: Burst, time_ns: int) -> None:
        """Add one record stamped ``time_ns`` (simulated ns, an int), and its line in
        the errors file if it has problems."""
        sec, nsec = divmod(int(time_ns), 1_000_000_000)
        self._writer.write_packet(burst.record, sec=sec, usec=nsec, caplen=len(burst.record),
                                  wirelen=len(burst.record))
        self.records += 1
        if burst.problems:
            if self._errors is None:
                self._errors = open(self.errors_path, "w")  # noqa: SIM115 (kept open, flushed per line)
            self._errors.write(f"frame {self.records} at {int(time_ns)} ns, {len(burst.record)} bytes: "
                               f"{'; '.join(burst.problems)}\n")
            self._errors.flush()

    def close(self) -> None:
        self._writer.close()
        if self._errors is not None:
            self._errors.close()


class _Recorder:
    """What :func:`record_gmii` hangs on a GmiiSource's or GmiiSink's queue."""

    def __init__(self, wire: PcapWire, er_name: str):
        self.wire = wire
        self.er_name = er_name

    def frame_on_wire(self, frame) -> None:
        """A cocotbext-eth ``GmiiFrame`` that has crossed the wire: its
        ``sim_time_start`` is its first byte, ``sim_time_sfd`` the byte after
        the SFD (both in simulator steps); one byte per clock (GMII, 1 Gb/s)."""
        from cocotb.utils import get_time_from_sim_steps

        burst, sfd = analyse_burst(bytes(frame.data), frame.error, self.er_name)
        steps = frame.sim_time_start
        if sfd >= 0 and frame.sim_time_sfd is not None:
            # the byte after the SFD came sfd+1 clocks after the first: step back one clock
            steps = frame.sim_time_sfd - (frame.sim_time_sfd - frame.sim_time_start) // (sfd + 1)
        self.wire.write(burst, round(get_time_from_sim_steps(steps, "ns")))


def _recording_queue(queue_cls, on_put):
    class RecordingQueue(queue_cls):
        def put_nowait(self, item):
            on_put(item)
            super().put_nowait(item)

    return RecordingQueue()


def record_gmii(source=None, sink=None, folder: Path | None = None) -> list[PcapWire]:
    """Write a pcap of each cocotbext-eth GMII model given: ``source`` (a
    ``GmiiSource`` driving the NIC's receiver) to ``wire-to-nic.pcap``,
    ``sink`` (a ``GmiiSink`` on its transmitter) to ``wire-from-nic.pcap``,
    in ``folder`` (default :func:`artifacts_folder`). Call it right after
    making the models, before they carry a frame. Returns the open wires
    (none when there is no folder: nothing is hooked, nothing costs).

    A frame is recorded once it has crossed the wire: a source's when its
    last byte is out (its ``tx_complete``, which still reaches the test's
    own event or callback), a sink's when the sink queues it, whether or not
    a test ever receives it. Relies on cocotbext-eth 0.1's models keeping
    their frames in ``.queue`` (a cocotb ``Queue``)."""
    folder = folder if folder is not None else artifacts_folder()
    if folder is None:
        return []
    wires = []
    if source is not None:
        rec = _Recorder(PcapWire(folder, TO_NIC), "gmii_rx_er")

        def on_send(frame, rec=rec):
            theirs = frame.tx_complete

            def done(f):
                if f.sim_time_end is not None:  # None: dropped by the source's clear(), never sent
                    rec.frame_on_wire(f)
                f.tx_complete = theirs  # the test's own event or callback, as the model would signal it
                f.handle_tx_complete()

            frame.tx_complete = done

        source.queue = _recording_queue(type(source.queue), on_send)
        wires.append(rec.wire)
    if sink is not None:
        rec = _Recorder(PcapWire(folder, FROM_NIC), "gmii_tx_er")
        sink.queue = _recording_queue(type(sink.queue), rec.frame_on_wire)
        wires.append(rec.wire)
    if wires:  # the test's end closes the files (each frame is flushed already)
        artifacts.on_test_end(lambda error: [w.close() for w in wires])
    return wires


def retarget_hdl_wires(folder: Path | None) -> int:
    """Close the HDL wires' pcaps (``nic_pair_tb``) and start new ones in
    ``folder`` (None: stop writing), e.g. at a test boundary when one
    simulation runs several tests. Only wires captured from time 0
    (``NICSIM_ARTIFACTS`` set when the simulation started) can be moved.
    Returns how many wires now write; raises OSError if a file cannot be
    made, :class:`nicsim.host_mem.HostMemUnavailable` outside such a bench."""
    from nicsim import host_mem

    fn = host_mem.lib().gp_retarget
    fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_char_p]
    n = fn(os.fsencode(folder) if folder is not None else None)
    if n < 0:
        raise OSError(f"the wire capture could not write to {folder}")
    return n
