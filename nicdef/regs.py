"""The NIC's programming model: the one place registers, interrupt causes and
descriptor layouts are defined.

``python -m nicdef.generate`` (``make gen``) turns this into ``rtl/nic_defs.vh``
(Verilog localparams), ``include/nic_regs.h`` (C) and ``docs/registers.md``;
the driver imports the constants below and packs descriptors with
``nicdef.desc``. ``make test`` checks the generated files are current, so no
side can drift.
"""

from __future__ import annotations

from .model import DescField, Descriptor, Field, Register

VENDOR_ID = 0x7E57  # "TEST": not a PCI-SIG assigned vendor
DEVICE_ID = 0x0E01  # first Ethernet NIC of this project
REVISION = 0x0100  # major 1, minor 0

AXIL_ADDR_WIDTH = 12  # a 4 KiB register window
DESC_SIZE = 16
DEFAULT_RX_BUF_SIZE = 2048
DEFAULT_MAX_FRAME_LEN = 1522  # 1518 + an 802.1Q tag, FCS included
DEFAULT_MDIO_DIV = 24  # MDC = 125 MHz / (2 * (24 + 1)) = 2.5 MHz, the clause 22 maximum
TX_DESC_LEN_MAX = 16383  # the longest TX descriptor buffer; a longer LEN stops the ring (DMA_ERR_CAUSE_DESC)
TX_FRAME_LEN_MAX = 65535  # the longest TX frame (sum of its descriptors' LEN); the descriptor past it is refused
RX_BUF_CHUNK = 64  # a frame spanning buffers fills each but the last with RX_BUF_SIZE rounded down to this
INT_THROTTLE_UNIT_NS = 256  # INT_THROTTLE counts in these (32 clocks), as e1000 ITR
MDIO_OP_WRITE = 1
MDIO_OP_READ = 2
SPEED_1000 = 0  # CTRL.SPEED encodings
SPEED_100 = 1
SPEED_10 = 2
# *_ERR_INFO.CAUSE: why a ring stopped
DMA_ERR_CAUSE_BUS = 0  # an AXI SLVERR/DECERR response (RESP says which)
DMA_ERR_CAUSE_RANGE = 1  # an address the DMA bus (ADDR_WIDTH bits) cannot carry: no bus access made
DMA_ERR_CAUSE_DESC = 2  # a TX descriptor the NIC refuses (LEN 0 with EOP, LEN above TX_DESC_LEN_MAX, frame too long)

INT_CAUSE_FIELDS = (
    Field("RX_DONE", 0, doc="a received frame's last descriptor was written back"),
    Field("TX_DONE", 1, doc="a transmit descriptor with RS set was written back"),
    Field("RX_MISS", 2, doc="a frame was dropped and counted in STAT_RX_MISSED"),
    Field("LINK", 3, doc="the PHY's link indication (STATUS.LINK_UP) changed, either way"),
    Field("MDIO", 4, doc="an MDIO transaction finished (MDIO_CMD.BUSY fell)"),
    Field("DMA_ERR", 5, doc="a DMA error stopped a ring: an AXI SLVERR/DECERR response, an address "
                             "out of range or a refused descriptor (see DMA_ERR_*)"),
)


# Per-ring error latches (TX_ERR_INFO, RX_ERR_INFO): the same bit positions
# as DMA_ERR_INFO's access fields.
RING_ERR_FIELDS = (
    Field("WRITE", 2, doc="a write: a buffer write (RX) or a descriptor write-back (0: a read)"),
    Field("RESP", 4, 2, "the response: 2 = SLVERR, 3 = DECERR (0: no error since reset, or CAUSE is not 0)"),
    Field("CAUSE", 6, 2, "why the ring stopped: 0 = an AXI error response (RESP), 1 = address out of range "
                         "(beyond the DMA bus's ADDR_WIDTH bits; no bus access made), 2 = a TX descriptor "
                         "refused (LEN 0 with EOP, LEN above 16383, or a frame past 65535 bytes)"),
)


# the legal/outside texts every read-only register and every statistics counter share
_READ_ONLY = {"legal": "read-only", "outside": "writes are ignored"}
_COUNTER = {"legal": "read-only; counts wrap at 2**32; cleared by reset and CTRL.STAT_CLR",
            "outside": "writes are ignored"}


def _ring(prefix: str, base: int, what: str) -> tuple[Register, ...]:
    stop = (f"stops the {what} ring: {prefix}_ERR_INFO.CAUSE 1 (address out of range), {prefix}_ERR_ADDR = the "
            "descriptor's full address, no bus access")
    lost = ("a TX frame cut short is discarded, counted in no STAT_TX_*" if prefix == "TX"
            else "the frame being written is dropped and counted in STAT_RX_MISSED")
    reset = (" (even with the value it holds): HEAD reads 0 at once; the descriptor in flight is abandoned (no DD "
             "in the old ring or the new one, HEAD not advanced; " + lost + ") and nothing more is fetched until "
             "TAIL hands over descriptors of the new ring; only a write-back already on the bus completes "
             "(datasheet, Ring and descriptor rules)")
    return (
        Register(f"{prefix}_BASE_LO", base + 0x00, "rw", f"{what} ring base address, bits 31:0 (16-byte aligned)",
                 legal="a multiple of 16; the descriptors the NIC is handed must lie below 2**ADDR_WIDTH "
                       "(4 GiB at rtl/nic.v's ADDR_WIDTH = 32)",
                 outside="bits 3:0 are ignored and read 0; a descriptor at or beyond 2**ADDR_WIDTH " + stop
                         + "; every write is a ring reset" + reset),
        Register(f"{prefix}_BASE_HI", base + 0x04, "rw", f"{what} ring base address, bits 63:32",
                 legal="0 at ADDR_WIDTH 32 (any value that keeps the descriptors below 2**ADDR_WIDTH)",
                 outside="a descriptor at or beyond 2**ADDR_WIDTH " + stop + "; every write is a ring reset"
                         + reset),
        Register(f"{prefix}_LEN", base + 0x08, "rw", f"{what} ring length in descriptors (2..65535; 0 = ring off)",
                 legal="2..65535, or 0 (ring off)",
                 outside="bits 31:16 are ignored and read 0; 1: the ring can hold nothing (TAIL 0 is empty, TAIL 1 "
                         "is not below LEN); every write is a ring reset" + reset + "; a TAIL already written that "
                         "is not below the new LEN hands the NIC nothing, one below a longer LEN hands it "
                         "HEAD..TAIL (see TAIL)"),
        Register(f"{prefix}_HEAD", base + 0x0C, "ro",
                 f"{what} head: the next descriptor the NIC will process "
                 "(hardware-owned; zeroed when BASE or LEN is written)", **_READ_ONLY),
        Register(f"{prefix}_TAIL", base + 0x10, "rw",
                 f"{what} tail: one past the last descriptor the driver has handed to the NIC",
                 legal="0..LEN-1",
                 outside="bits 31:16 are ignored and read 0; TAIL not below LEN (whichever was written last, "
                         "LEN 0 included) hands the NIC no descriptor: "
                         + ("nothing is fetched or sent" if prefix == "TX"
                            else "every frame is dropped and counted in STAT_RX_MISSED (RX_MISS)")
                         + " until TAIL < LEN (by writing either); HEAD stays where it is"),
        Register(f"{prefix}_ERR_ADDR_LO", base + 0x20, "ro",
                 f"address of the burst that got the {what} engine's last AXI error response, bits 31:0 "
                 "(kept per engine, so errors of both engines before the driver looks are both reported; "
                 "for CAUSE 1 or 2 the refused address itself, all 64 bits)", **_READ_ONLY),
        Register(f"{prefix}_ERR_ADDR_HI", base + 0x24, "ro", f"that {what} burst's address, bits 63:32", **_READ_ONLY),
        Register(f"{prefix}_ERR_INFO", base + 0x28, "ro", f"the {what} engine's last DMA error",
                 fields=RING_ERR_FIELDS, **_READ_ONLY),
    )


REGISTERS: tuple[Register, ...] = (
    Register("ID", 0x000, "ro", "identity", reset=(VENDOR_ID << 16) | DEVICE_ID, fields=(
        Field("DEVICE", 0, 16, "device id"),
        Field("VENDOR", 16, 16, "vendor id"),
    ),
        **_READ_ONLY),
    Register("VERSION", 0x004, "ro", "hardware revision", reset=REVISION, fields=(
        Field("MINOR", 0, 8, "minor revision"),
        Field("MAJOR", 8, 8, "major revision"),
    ),
        **_READ_ONLY),
    Register("CTRL", 0x008, "rw", "device control", fields=(
        Field("RST", 0, doc="write 1: reset the whole device (registers, rings, counters); reads 0"),
        Field("TX_EN", 1, doc="transmit DMA and MAC enabled"),
        Field("RX_EN", 2, doc="receive MAC and DMA enabled"),
        Field("LOOPBACK", 3, doc="MAC-internal loopback: the transmitter feeds the receiver; gmii_tx stays idle "
                                 "and gmii_rx is ignored"),
        Field("STAT_CLR", 4, doc="write 1: clear every STAT_* counter; reads 0"),
        Field("SPEED", 8, 2, "MAC speed: 0 = 1000, 1 = 100, 2 or 3 = 10 Mb/s (byte pacing on GMII); "
                             "set it from the PHY's resolved mode"),
    ),
        legal="bits 0..4 and 9:8; write the other bits as 0",
        outside="the other bits are ignored and read 0; RST and STAT_CLR act on a 1 and read 0; SPEED 3 acts as 2 (10"
                " Mb/s); a byte lane whose WSTRB bit is clear keeps its bits"),
    Register("STATUS", 0x00C, "ro", "device status", fields=(
        Field("TX_BUSY", 0, doc="the transmit engine is between descriptor fetch and write-back"),
        Field("RX_BUSY", 1, doc="the receive engine is moving a frame"),
        Field("LINK_UP", 2, doc="the PHY's link indication (phy_link_up input)"),
        Field("TX_STOPPED", 3, doc="the transmit ring is stopped by a DMA error until TX_BASE/TX_LEN is written"),
        Field("RX_STOPPED", 4, doc="the receive ring is stopped by a DMA error until RX_BASE/RX_LEN is written"),
        Field("TX_PENDING", 5, doc="fetched frame data is still in the transmit path (TX FIFO, checksum frame "
                                   "buffer, MAC mid-frame or mid-discard); falls once the last fetched frame has "
                                   "been sent or discarded"),
    ),
        **_READ_ONLY),
    Register("MAC_LO", 0x010, "rw", "station address bytes 0..3 (byte 0, first on the wire, in bits 7:0)",
        legal="any value",
        outside="none (every value is a station address; a group address here only matches frames sent to it)"),
    Register("MAC_HI", 0x014, "rw", "station address bytes 4..5 in bits 15:0",
        legal="bits 15:0, any value",
        outside="bits 31:16 are ignored and read 0"),
    Register("RX_BUF_SIZE", 0x018, "rw", "size in bytes of every RX buffer", reset=DEFAULT_RX_BUF_SIZE,
        legal="64..65535 (a frame up to RX_BUF_SIZE takes one buffer, longer ones several buffers of RX_BUF_SIZE "
              "rounded down to 64)",
        outside="0..63: a frame longer than RX_BUF_SIZE is dropped as too long (STAT_RX_TOOLONG), nothing written; "
                "65536 and above: every frame takes one buffer"),
    Register("INT_CAUSE", 0x020, "w1c", "pending interrupt causes; write 1 to clear a bit",
             fields=INT_CAUSE_FIELDS,
        legal="write 1s to bits 5:0",
        outside="other bits are ignored and read 0"),
    Register("INT_MASK", 0x024, "ro", "enabled interrupt causes (set by INT_MASK_SET, cleared by INT_MASK_CLR)",
             fields=INT_CAUSE_FIELDS,
        **_READ_ONLY),
    Register("INT_MASK_SET", 0x028, "wo", "write 1s to enable causes (e1000 IMS)", fields=INT_CAUSE_FIELDS,
        legal="1s in bits 5:0",
        outside="other bits are ignored; reads 0"),
    Register("INT_MASK_CLR", 0x02C, "wo", "write 1s to disable causes (e1000 IMC)", fields=INT_CAUSE_FIELDS,
        legal="1s in bits 5:0",
        outside="other bits are ignored; reads 0"),
    Register("INT_CAUSE_SET", 0x030, "wo", "write 1s to raise causes from software", fields=INT_CAUSE_FIELDS,
        legal="1s in bits 5:0",
        outside="other bits are ignored; reads 0"),
    Register("RX_CTRL", 0x040, "rw", "receive address filter", reset=0x1, fields=(
        Field("BAM", 0, doc="accept broadcast frames"),
        Field("PROMISC", 1, doc="accept every frame (good FCS, legal length), whatever its destination"),
        Field("ALLMULTI", 2, doc="accept every multicast frame"),
    ),
        legal="bits 2:0",
        outside="bits 31:3 are ignored and read 0"),
    Register("MAX_FRAME_LEN", 0x044, "rw", "longest frame accepted, in bytes with FCS (bits 15:0; "
             "9018 for a 9000-byte MTU); longer frames are dropped and counted in STAT_RX_TOOLONG",
             reset=DEFAULT_MAX_FRAME_LEN,
        legal="64..65535 (bits 15:0)",
        outside="bits 31:16 are ignored and read 0; below 64 every frame that is not a runt is dropped as oversize "
                "(STAT_RX_TOOLONG)"),
    Register("MC_HASH_LO", 0x048, "rw", "multicast hash table bits 31:0: bit h accepts multicast "
             "destinations whose ether_crc32_le(address) >> 26 == h",
        legal="any value",
        outside="none"),
    Register("MC_HASH_HI", 0x04C, "rw", "multicast hash table bits 63:32",
        legal="any value",
        outside="none"),
    Register("INT_THROTTLE", 0x050, "rw", "interrupt moderation: minimum time between two rising edges of irq, "
             f"bits 15:0, in units of {INT_THROTTLE_UNIT_NS} ns; 0 = off",
        legal="0..65535 (bits 15:0)",
        outside="bits 31:16 are ignored and read 0"),
    Register("MDIO_CMD", 0x060, "rw", "MDIO (clause 22) transaction: writing OP = 1 or 2 starts one "
             "(ignored while BUSY); DATA holds the read result once BUSY falls", fields=(
        Field("DATA", 0, 16, "data to write / data read"),
        Field("REG", 16, 5, "PHY register address"),
        Field("PHY", 21, 5, "PHY address"),
        Field("OP", 26, 2, "1 = write, 2 = read (0 = no transaction)"),
        Field("BUSY", 31, doc="read-only: a transaction is in progress"),
    ),
        legal="a whole-word write (WSTRB 0xF) with OP 1 or 2 while BUSY is 0",
        outside="while BUSY, or with WSTRB not 0xF: ignored; OP 0 or 3: the fields are stored, no transaction starts "
                "and MDIO is not raised; the BUSY bit written is ignored"),
    Register("MDIO_DIV", 0x064, "rw", "MDC half period minus one, in clocks (bits 7:0): "
             "MDC = 125 MHz / (2 * (MDIO_DIV + 1))", reset=DEFAULT_MDIO_DIV,
        legal="24..255 (bits 7:0; 24 gives 2.5 MHz, the clause 22 maximum)",
        outside="bits 31:8 are ignored and read 0; 0..23 run MDC faster than clause 22 allows: the testbench PHY "
                "follows at 1..23; at 0 (MDC = clk / 2, 16 ns high) its read data arrives one MDC period late, so "
                "every read comes back shifted right by one bit, as a real PHY's output delay (up to 300 ns, "
                "IEEE 802.3 22.3.4) would make it at any MDC above 2.5 MHz"),
    Register("DMA_ERR_ADDR_LO", 0x070, "ro", "address of the burst that got the last AXI error response, bits 31:0 "
             "(for CAUSE 1 or 2 the refused address itself, all 64 bits)",
        **_READ_ONLY),
    Register("DMA_ERR_ADDR_HI", 0x074, "ro", "address of that burst, bits 63:32",
        **_READ_ONLY),
    Register("DMA_ERR_INFO", 0x078, "ro", "the last DMA error: which engine and access, and why", fields=(
        Field("TX", 0, doc="the transmit engine's access"),
        Field("RX", 1, doc="the receive engine's access"),
        Field("WRITE", 2, doc="a write (0: a read)"),
        Field("RESP", 4, 2, "the response: 2 = SLVERR, 3 = DECERR (0 when CAUSE is not 0)"),
        Field("CAUSE", 6, 2, "why the ring stopped: 0 = an AXI error response, 1 = address out of range, "
                             "2 = a TX descriptor refused (as in TX_ERR_INFO.CAUSE)"),
    ),
        **_READ_ONLY),
    *_ring("TX", 0x100, "transmit"),
    *_ring("RX", 0x200, "receive"),
    Register("STAT_TX_FRAMES", 0x400, "ro", "frames transmitted",
        **_COUNTER),
    Register("STAT_TX_OCTETS", 0x404, "ro", "bytes of the frames counted in STAT_TX_FRAMES, as read from host "
             "memory (no padding, no FCS)",
        **_COUNTER),
    Register("STAT_RX_FRAMES", 0x408, "ro", "good frames received and written to host memory",
        **_COUNTER),
    Register("STAT_RX_OCTETS", 0x40C, "ro", "bytes of good frames written to host memory (FCS stripped)",
        **_COUNTER),
    Register("STAT_RX_FCS_ERR", 0x410, "ro", "frames dropped for a bad FCS",
        **_COUNTER),
    Register("STAT_RX_MISSED", 0x414, "ro", "good frames dropped for want of an RX descriptor or RX FIFO space, "
             "because CTRL.RX_EN was clear at their end, flushed from the RX FIFO by a ring reset "
             "while RX_EN was clear, or being written when a ring reset came",
        **_COUNTER),
    Register("STAT_RX_FILTERED", 0x418, "ro", "frames dropped by the address filter",
        **_COUNTER),
    Register("STAT_RX_TOOLONG", 0x41C, "ro", "frames dropped for being longer than MAX_FRAME_LEN (oversize)",
        **_COUNTER),
    Register("STAT_RX_RUNT", 0x420, "ro", "frames dropped for being shorter than 64 bytes with FCS",
        **_COUNTER),
    Register("STAT_TX_BCAST", 0x424, "ro", "broadcast frames transmitted",
        **_COUNTER),
    Register("STAT_TX_MCAST", 0x428, "ro", "multicast (not broadcast) frames transmitted",
        **_COUNTER),
    Register("STAT_RX_BCAST", 0x42C, "ro", "good broadcast frames received (included in STAT_RX_FRAMES)",
        **_COUNTER),
    Register("STAT_RX_MCAST", 0x430, "ro", "good multicast (not broadcast) frames received (in STAT_RX_FRAMES)",
        **_COUNTER),
    Register("STAT_RX_FIFO_OVF", 0x434, "ro", "frames dropped because the RX FIFO was full "
             "(also counted in STAT_RX_MISSED)",
        **_COUNTER),
    Register("STAT_DMA_ERR", 0x438, "ro", "DMA errors (each stops a ring): AXI error responses, "
             "addresses out of range, refused descriptors",
        **_COUNTER),
    Register("STAT_TX_NO_CARRIER", 0x43C, "ro", "frames discarded because the PHY had no link when they were due "
             "to start (e1000's TNCRS counterpart)",
        **_COUNTER),
    Register("STAT_RX_FRAMING", 0x440, "ro", "carrier bursts (gmii_rx_dv) dropped for a framing error: a byte "
             "other than preamble (0x55) before the SFD (0xD5), or no SFD before the burst ends (preamble only). "
             "Named for what failed, the frame's delimiting: not ALIGN_ERR, which IEEE 802.3 (30.3.1.1.7 "
             "aAlignmentErrors) and e1000 (ALGNERRC) keep for frames that are not a whole number of octets, "
             "something GMII's byte-wide data cannot carry",
        **_COUNTER),
)

TX_DESC = Descriptor("TX_DESC", DESC_SIZE, "transmit descriptor, written by the driver", (
    DescField("ADDR", 0, 64, "buffer address: any byte address",
        legal="any byte address whose bytes ADDR..ADDR+LEN-1 lie below 2**ADDR_WIDTH (4 GiB: rtl/nic.v ADDR_WIDTH = "
              "32)",
        outside="a buffer reaching 2**ADDR_WIDTH or beyond stops the ring: CAUSE 1 (address out of range), "
                "TX_ERR_ADDR = ADDR, no bus access, no DD; a partial frame is dropped"),
    DescField("LEN", 64, 16, "bytes in this buffer (1..16383)",
        legal="1..16383 (TX_DESC_LEN_MAX); 0 on a descriptor without EOP; a frame's descriptors add up to "
              "1..65535 bytes (TX_FRAME_LEN_MAX)",
        outside="above 16383, 0 with EOP (a frame of no bytes, or one its EOP would not end), or a LEN that takes "
                "the frame past 65535 bytes: the ring stops with CAUSE 2 (descriptor refused) at this descriptor's "
                "address, no DD, TX_HEAD stays on it, the frame's earlier descriptors are dropped unsent (a frame "
                "already going out cut-through is ended with gmii_tx_er); LEN 0 without EOP moves no data (DD if "
                "RS). Frames past the 16 KiB TX FIFO go cut-through; an offloaded one past 16 KiB is ended with "
                "gmii_tx_er"),
    DescField("CMD", 80, 8, "command bits", flags=(
        Field("EOP", 0, doc="last descriptor of a frame"),
        Field("RS", 1, doc="report status: write DD back and raise TX_DONE"),
        Field("IPCS", 2, doc="insert the IPv4 header checksum (read from the frame's first descriptor)"),
        Field("L4CS", 3, doc="insert the TCP or UDP checksum; the driver seeds the checksum field with the "
                             "pseudo-header sum, as BSD stacks do (first descriptor)"),
    ),
        legal="EOP, RS, IPCS, L4CS (bits 3:0)",
        outside="bits 7:4 are ignored and written back unchanged"),
    DescField("STA", 88, 8, "status bits, written back by the NIC", flags=(
        Field("DD", 0, doc="descriptor done"),
    ),
        legal="0 (written by the NIC)",
        outside="the NIC writes DD into bit 0 on write-back and leaves bits 7:1 as read"),
    DescField("RSVD", 96, 32, "reserved: write 0",
        legal="0",
        outside="ignored; written back unchanged"),
))

RX_DESC = Descriptor("RX_DESC", DESC_SIZE, "receive descriptor: the driver writes ADDR and zeroes the rest", (
    DescField("ADDR", 0, 64, "buffer address: any byte address; RX_BUF_SIZE bytes are writable",
        legal="any byte address whose buffer bytes (the frame's part in it) lie below 2**ADDR_WIDTH",
        outside="a buffer or descriptor reaching 2**ADDR_WIDTH stops the ring: CAUSE 1 (address out of range), "
                "RX_ERR_ADDR = the full address, no bus access; the frame is dropped (earlier buffers of it keep DD "
                "without EOP)"),
    DescField("LEN", 64, 16, "written back: bytes of frame data in this buffer (FCS stripped)",
        legal="0 (written back by the NIC)",
        outside="ignored: the NIC writes the whole upper half back"),
    DescField("CSUM", 80, 8, "written back on the EOP descriptor: receive checksum status", flags=(
        Field("IP_CHK", 0, doc="an IPv4 header checksum was verified"),
        Field("IP_ERR", 1, doc="... and it was wrong"),
        Field("L4_CHK", 2, doc="a TCP or UDP checksum was verified (not for fragments or UDP checksum 0)"),
        Field("L4_ERR", 3, doc="... and it was wrong"),
        Field("TCP", 4, doc="the frame is IPv4/TCP"),
        Field("UDP", 5, doc="the frame is IPv4/UDP"),
    ),
        legal="0 (written back by the NIC)",
        outside="ignored: overwritten on write-back"),
    DescField("STA", 88, 8, "status bits, written back by the NIC", flags=(
        Field("DD", 0, doc="descriptor done"),
        Field("EOP", 1, doc="last descriptor of a frame"),
    ),
        legal="0 (written back by the NIC)",
        outside="ignored: overwritten on write-back; a driver that leaves DD set sees a stale completion"),
    DescField("RSVD", 96, 32, "reserved: written back as 0",
        legal="0",
        outside="ignored; written back as 0"),
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
    for name in ("MDIO_OP_WRITE", "MDIO_OP_READ", "SPEED_1000", "SPEED_100", "SPEED_10", "RX_BUF_CHUNK",
                 "INT_THROTTLE_UNIT_NS", "DEFAULT_MAX_FRAME_LEN", "DEFAULT_MDIO_DIV", "TX_DESC_LEN_MAX",
                 "TX_FRAME_LEN_MAX", "DMA_ERR_CAUSE_BUS", "DMA_ERR_CAUSE_RANGE", "DMA_ERR_CAUSE_DESC"):
        out[name] = globals()[name]
    return out


CONSTANTS = _export()
globals().update(CONSTANTS)
