"""The NIC's programming model: the one place registers, interrupt causes and
descriptor layouts are defined.

``tools/gen_nicdef.py`` turns this into ``rtl/nic_defs.vh`` (Verilog
localparams) and ``docs/registers.md``; the driver imports the constants below.
A test checks the generated files are current, so the two sides cannot drift.
"""

from __future__ import annotations

from .model import DescField, Descriptor, Field, Register

VENDOR_ID = 0x7E57  # "TEST": not a PCI-SIG assigned vendor
DEVICE_ID = 0x0E01  # first Ethernet NIC of this project
REVISION = 0x0100  # major 1, minor 0

AXIL_ADDR_WIDTH = 12  # a 4 KiB register window
DESC_SIZE = 16
DEFAULT_RX_BUF_SIZE = 2048

INT_CAUSE_FIELDS = (
    Field("RX_DONE", 0, doc="a received frame's last descriptor was written back"),
    Field("TX_DONE", 1, doc="a transmit descriptor with RS set was written back"),
    Field("RX_MISS", 2, doc="a frame was dropped because no RX descriptor was free"),
    Field("LINK", 3, doc="link status changed (reserved until the PHY exists)"),
    Field("MDIO", 4, doc="an MDIO transaction finished (reserved)"),
    Field("DMA_ERR", 5, doc="an AXI error response stopped a ring (reserved)"),
)


def _ring(prefix: str, base: int, what: str) -> tuple[Register, ...]:
    return (
        Register(f"{prefix}_BASE_LO", base + 0x00, "rw", f"{what} ring base address, bits 31:0 (16-byte aligned)"),
        Register(f"{prefix}_BASE_HI", base + 0x04, "rw", f"{what} ring base address, bits 63:32"),
        Register(f"{prefix}_LEN", base + 0x08, "rw", f"{what} ring length in descriptors (2..65535; 0 = ring off)"),
        Register(f"{prefix}_HEAD", base + 0x0C, "ro",
                 f"{what} head: the next descriptor the NIC will process "
                 "(hardware-owned; zeroed when BASE or LEN is written)"),
        Register(f"{prefix}_TAIL", base + 0x10, "rw",
                 f"{what} tail: one past the last descriptor the driver has handed to the NIC"),
    )


REGISTERS: tuple[Register, ...] = (
    Register("ID", 0x000, "ro", "identity", reset=(VENDOR_ID << 16) | DEVICE_ID, fields=(
        Field("DEVICE", 0, 16, "device id"),
        Field("VENDOR", 16, 16, "vendor id"),
    )),
    Register("VERSION", 0x004, "ro", "hardware revision", reset=REVISION, fields=(
        Field("MINOR", 0, 8, "minor revision"),
        Field("MAJOR", 8, 8, "major revision"),
    )),
    Register("CTRL", 0x008, "rw", "device control", fields=(
        Field("RST", 0, doc="write 1: reset the whole device (registers, rings, counters); reads 0"),
        Field("TX_EN", 1, doc="transmit DMA and MAC enabled"),
        Field("RX_EN", 2, doc="receive MAC and DMA enabled"),
    )),
    Register("STATUS", 0x00C, "ro", "device status", fields=(
        Field("TX_BUSY", 0, doc="the transmit engine is between descriptor fetch and write-back"),
        Field("RX_BUSY", 1, doc="the receive engine is moving a frame"),
    )),
    Register("MAC_LO", 0x010, "rw", "station address bytes 0..3 (byte 0, first on the wire, in bits 7:0)"),
    Register("MAC_HI", 0x014, "rw", "station address bytes 4..5 in bits 15:0"),
    Register("RX_BUF_SIZE", 0x018, "rw", "size in bytes of every RX buffer", reset=DEFAULT_RX_BUF_SIZE),
    Register("INT_CAUSE", 0x020, "w1c", "pending interrupt causes; write 1 to clear a bit",
             fields=INT_CAUSE_FIELDS),
    Register("INT_MASK", 0x024, "ro", "enabled interrupt causes (set by INT_MASK_SET, cleared by INT_MASK_CLR)",
             fields=INT_CAUSE_FIELDS),
    Register("INT_MASK_SET", 0x028, "wo", "write 1s to enable causes (e1000 IMS)", fields=INT_CAUSE_FIELDS),
    Register("INT_MASK_CLR", 0x02C, "wo", "write 1s to disable causes (e1000 IMC)", fields=INT_CAUSE_FIELDS),
    Register("INT_CAUSE_SET", 0x030, "wo", "write 1s to raise causes from software", fields=INT_CAUSE_FIELDS),
    *_ring("TX", 0x100, "transmit"),
    *_ring("RX", 0x200, "receive"),
    Register("STAT_TX_FRAMES", 0x400, "ro", "frames transmitted"),
    Register("STAT_TX_OCTETS", 0x404, "ro", "bytes transmitted, as read from host memory (no padding, no FCS)"),
    Register("STAT_RX_FRAMES", 0x408, "ro", "good frames received and written to host memory"),
    Register("STAT_RX_OCTETS", 0x40C, "ro", "bytes of good frames written to host memory (FCS stripped)"),
    Register("STAT_RX_FCS_ERR", 0x410, "ro", "frames dropped for a bad FCS"),
    Register("STAT_RX_MISSED", 0x414, "ro", "frames dropped for want of an RX descriptor"),
    Register("STAT_RX_FILTERED", 0x418, "ro", "frames dropped by the address filter"),
    Register("STAT_RX_TOOLONG", 0x41C, "ro", "frames dropped for not fitting the RX buffer"),
    Register("STAT_RX_RUNT", 0x420, "ro", "frames dropped for being shorter than 64 bytes with FCS"),
)

TX_DESC = Descriptor("TX_DESC", DESC_SIZE, "transmit descriptor, written by the driver", (
    DescField("ADDR", 0, 64, "buffer address: any byte address"),
    DescField("LEN", 64, 16, "bytes in this buffer (1..16383)"),
    DescField("CMD", 80, 8, "command bits", flags=(
        Field("EOP", 0, doc="last descriptor of a frame"),
        Field("RS", 1, doc="report status: write DD back and raise TX_DONE"),
    )),
    DescField("STA", 88, 8, "status bits, written back by the NIC", flags=(
        Field("DD", 0, doc="descriptor done"),
    )),
    DescField("RSVD", 96, 32, "reserved: write 0"),
))

RX_DESC = Descriptor("RX_DESC", DESC_SIZE, "receive descriptor: the driver writes ADDR and zeroes the rest", (
    DescField("ADDR", 0, 64, "buffer address: any byte address; RX_BUF_SIZE bytes are writable"),
    DescField("LEN", 64, 16, "written back: bytes of frame data in this buffer (FCS stripped)"),
    DescField("CSUM", 80, 8, "reserved: written back as 0"),
    DescField("STA", 88, 8, "status bits, written back by the NIC", flags=(
        Field("DD", 0, doc="descriptor done"),
        Field("EOP", 1, doc="last descriptor of a frame"),
    )),
    DescField("RSVD", 96, 32, "reserved: written back as 0"),
))

DESCRIPTORS = (TX_DESC, RX_DESC)


def _export() -> dict[str, int]:
    """Flatten the definition into ``NAME = value`` constants."""
    out: dict[str, int] = {}
    for reg in REGISTERS:
        out[f"REG_{reg.name}"] = reg.offset
        for f in reg.fields:
            if reg.fields is INT_CAUSE_FIELDS and reg.name != "INT_CAUSE":
                continue
            prefix = "INT" if reg.fields is INT_CAUSE_FIELDS else reg.name
            out[f"{prefix}_{f.name}"] = f.mask
            out[f"{prefix}_{f.name}_SHIFT"] = f.lsb
    for desc in DESCRIPTORS:
        for df in desc.fields:
            out[f"{desc.name}_{df.name}_OFF"] = df.byte_offset
            for f in df.flags:
                out[f"{desc.name}_{df.name}_{f.name}"] = f.mask
    out["INT_ALL"] = sum(f.mask for f in INT_CAUSE_FIELDS)
    return out


CONSTANTS = _export()
globals().update(CONSTANTS)
