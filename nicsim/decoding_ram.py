"""Host memory for one NIC on toplevel ``nic``: cocotbext-axi's ``AxiRam`` with an address decoder.

cocotbext-axi 0.1.28's ``AxiRam`` answers every address modulo its size
(``AxiRamWrite._write``: ``address % self.size``), so a buffer posted past the
memory's end is silently written at the wrapped address and the NIC reports it
received; and its ``AxiSlave`` turns any exception from the backing store into
SLVERR, never DECERR. A real interconnect answers an address no slave decodes
with DECERR (AMBA AXI, "RRESP and BRESP encoding": DECERR, "there is no slave
at the transaction address"), and the NIC's DMA-error path then stops the ring
and latches the address and RESP=3 (docs/datasheet.md, "DMA errors").

``DecodingAxiRam`` keeps the library's burst handling (beats, ``WSTRB``, 4 KiB
rule, narrow and FIXED bursts) and overrides only what it lacks: the address
handshake decides whether the whole burst lies inside ``0..size-1``; a burst
that does not gets DECERR on every read beat (zero data) or in its B response,
and moves no data, as the two-host bench's C host memory
(``rtl/tb/host_mem_axi.c``) does. Backing accesses that raise (``faults.DmaFaults``
rules) still answer SLVERR, as in the library.
"""

from __future__ import annotations

from cocotbext.axi import AxiBurstType, AxiResp
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.memory import Memory


class DecodeError(OSError):
    """Raised by the backing store for a beat of a burst that reaches past the memory."""


def burst_span(addr: int, beats: int, size: int, burst: int) -> tuple[int, int]:
    """Bytes [lo, hi) an AXI4 burst covers: ``beats`` transfers of ``1 << size`` bytes
    from ``addr`` (AMBA AXI, "Burst address": INCR from the size-aligned address,
    FIXED one transfer's worth, WRAP the aligned window of all transfers)."""
    nbytes = 1 << size
    aligned = addr // nbytes * nbytes
    if burst == AxiBurstType.FIXED:
        return aligned, aligned + nbytes
    total = nbytes * beats
    if burst == AxiBurstType.WRAP:
        lo = addr // total * total
        return lo, lo + total
    return aligned, aligned + total


class _Decoder:
    """The decision of the burst in flight, made at its address handshake: one
    slave processes one burst at a time, so a flag per direction suffices."""

    def _hook(self, addr_channel, prefix: str, resp_channel, resp_field: str) -> None:
        """Decode each burst as ``addr_channel`` (AW or AR; its signals named
        ``{prefix}addr``, ``{prefix}len``, ...) hands it over, and answer DECERR
        in ``resp_field`` of every response ``resp_channel`` (B or R) sends for it."""
        self.decerr = False
        addr_recv, resp_send = addr_channel.recv, resp_channel.send

        async def recv_addr():
            a = await addr_recv()
            lo, hi = burst_span(int(getattr(a, f"{prefix}addr")), int(getattr(a, f"{prefix}len", 0)) + 1,
                                int(getattr(a, f"{prefix}size", self.max_burst_size)),
                                int(getattr(a, f"{prefix}burst", AxiBurstType.INCR)))
            self.decerr = not 0 <= lo < hi <= self.size
            return a

        async def send_resp(r):
            if self.decerr:
                setattr(r, resp_field, AxiResp.DECERR)
            await resp_send(r)

        addr_channel.recv, resp_channel.send = recv_addr, send_resp


class DecodingRamWrite(AxiRamWrite, _Decoder):
    """``AxiRamWrite`` with DECERR (B response) for a burst outside the memory; nothing written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._hook(self.aw_channel, "aw", self.b_channel, "bresp")

    async def _write(self, address, data):
        if self.decerr:
            raise DecodeError(f"no memory at {address:#x}")
        self.write(address, data)


class DecodingRamRead(AxiRamRead, _Decoder):
    """``AxiRamRead`` with DECERR (every R beat, zero data) for a burst outside the memory."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._hook(self.ar_channel, "ar", self.r_channel, "rresp")

    async def _read(self, address, length):
        if self.decerr:
            raise DecodeError(f"no memory at {address:#x}")
        return self.read(address, length)


class DecodingAxiRam(Memory):
    """``AxiRam``'s interface (``read``/``write`` backdoor, ``read_if``/``write_if``,
    ``size``) for memory at ``0..size-1`` only; see the module docstring."""

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None, **kwargs):
        self.write_if = None
        self.read_if = None
        super().__init__(size, mem, **kwargs)
        self.write_if = DecodingRamWrite(bus.write, clock, reset, reset_active_level, mem=self.mem)
        self.read_if = DecodingRamRead(bus.read, clock, reset, reset_active_level, mem=self.mem)
