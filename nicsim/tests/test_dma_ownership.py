"""The DMA permission checker's ownership rules (nicsim.dma_ownership), fed
synthetic register writes and DMA transactions, no simulator: each rule
against the datasheet's text (docs/datasheet.md, "Descriptor rings", "DMA",
"DMA errors", "Clocking and reset")."""

from __future__ import annotations

import pytest

from nicdef import regs as R
from nicdef.desc import rx_desc, tx_desc
from nicsim.dma_ownership import DmaPermissionError, NicOwnership
from nicsim.host_mem import DmaTransaction

TX_RING, RX_RING, N = 0x1000, 0x2000, 16
CL = 0x10000  # clusters: 2048 bytes each from here
BUS = 8


class Host:
    """A host memory with rings and a set of live 2 KiB clusters, and one NIC's ownership."""

    def __init__(self):
        self.mem = bytearray(0x40000)
        self.live = {CL + i * 2048 for i in range(8)}
        self.nic = NicOwnership(0, "NIC a", self.buffer_of)
        self.t = 0

    def buffer_of(self, addr, n):
        start = CL + (addr - CL) // 2048 * 2048
        return (start, 2048) if addr >= CL and start in self.live and addr + n <= start + 2048 else None

    def ring_bytes(self, ring):
        return bytes(self.mem[ring.base:ring.base + ring.length * 16])

    def wr(self, reg, value):
        self.t += 10
        self.nic.reg_write(reg, value, self.t, self.ring_bytes)

    def up(self):
        for reg, v in ((R.REG_TX_BASE_LO, TX_RING), (R.REG_TX_LEN, N), (R.REG_RX_BASE_LO, RX_RING),
                       (R.REG_RX_LEN, N), (R.REG_CTRL, R.CTRL_TX_EN | R.CTRL_RX_EN)):
            self.wr(reg, v)

    def dma(self, write, addr, nbytes, strobed=None, resp=0):
        self.t += 10
        beats = -(-(addr % BUS + nbytes) // BUS)
        t = DmaTransaction(0, write, addr // BUS * BUS, beats, BUS, 1, 0, resp, self.t, True,
                           strobed or ((addr, addr + nbytes) if write else None))
        self.nic.dma(t)

    def post_tx(self, slot, addr, n, cmd=R.TX_DESC_CMD_EOP | R.TX_DESC_CMD_RS):
        self.mem[TX_RING + slot * 16:TX_RING + slot * 16 + 16] = tx_desc(addr, n, cmd)

    def post_rx(self, slot, addr):
        self.mem[RX_RING + slot * 16:RX_RING + slot * 16 + 16] = rx_desc(addr)


def test_tx_buffer_read_inside_whole_beats_then_released_by_its_write_back():
    """Descriptor rings/DMA: HEAD..TAIL owned; a read may cover whole beats; the RS write-back releases it."""
    h = Host()
    h.up()
    h.post_tx(0, CL + 3, 61)
    h.wr(R.REG_TX_TAIL, 1)
    h.dma(False, TX_RING, 16)                # descriptor fetch
    h.dma(False, CL, 64)                     # bytes 3..63 in whole beats
    h.dma(True, TX_RING + 8, 8)              # write-back (DD)
    with pytest.raises(DmaPermissionError, match=r"wrote that descriptor back.*descriptor TX\[0\]"):
        h.dma(False, CL, 8)                  # after DD: no longer owned


def test_tx_read_past_the_buffer_names_the_descriptor():
    h = Host()
    h.up()
    h.post_tx(0, CL, 60)
    h.wr(R.REG_TX_TAIL, 1)
    with pytest.raises(DmaPermissionError) as e:
        h.dma(False, CL, 72)  # one beat more than the 64 holding the buffer
    msg = str(e.value)
    assert "descriptor TX[0]" in msg and "DMA port 0" in msg and f"{CL:#x}+72" in msg and "past the buffer" in msg


def test_descriptor_fetch_outside_head_tail():
    """Descriptor rings: the NIC never reads a descriptor outside HEAD..TAIL."""
    h = Host()
    h.up()
    h.post_tx(0, CL, 60)
    h.wr(R.REG_TX_TAIL, 1)
    with pytest.raises(DmaPermissionError, match=r"TX descriptor fetch read 0x1010\+16.*TX\[1\]"):
        h.dma(False, TX_RING + 16, 16)


def test_rx_write_checked_by_strobed_bytes_and_rx_buf_size():
    """Receive: the NIC writes exactly the frame's bytes (strobes), at most RX_BUF_SIZE per buffer."""
    h = Host()
    h.up()
    h.post_rx(0, CL + 2048)
    h.wr(R.REG_RX_TAIL, 1)
    h.dma(True, CL + 2048 + 6, 2042, strobed=(CL + 2048 + 6, CL + 4096))  # beats wider than the bytes
    with pytest.raises(DmaPermissionError, match=r"RX buffer write .*past the buffer.*RX\[0\]"):
        h.dma(True, CL + 2048 + 6, 2043)


def test_write_back_releases_up_to_its_slot_and_a_later_write_fails():
    """Transmit: a write-back of an RS descriptor shows HEAD passed every descriptor before it."""
    h = Host()
    h.up()
    h.post_tx(0, CL, 100, cmd=0)
    h.post_tx(1, CL + 2048, 100)
    h.wr(R.REG_TX_TAIL, 2)
    h.dma(True, TX_RING + 16 + 8, 8)         # DD on slot 1 only
    assert h.nic.tx.slots() == []
    with pytest.raises(DmaPermissionError, match=r"TX write-back .*TX\[0\]"):
        h.dma(True, TX_RING + 8, 8)


def test_hand_over_of_a_freed_or_too_small_buffer():
    """The driver's side: a TAIL write must hand over live buffers of the descriptor's size."""
    h = Host()
    h.up()
    h.live.discard(CL + 2048)
    h.post_rx(0, CL)
    h.post_rx(1, CL + 2048)
    with pytest.raises(DmaPermissionError, match=r"RX hands over buffer 0x10800\+2048.*RX\[1\]"):
        h.wr(R.REG_RX_TAIL, 2)
    h = Host()
    h.up()
    h.wr(R.REG_RX_BUF_SIZE, 4096)
    h.post_rx(0, CL)
    with pytest.raises(DmaPermissionError, match="RX_BUF_SIZE 4096"):
        h.wr(R.REG_RX_TAIL, 1)


def test_driver_free_and_ring_write_of_what_the_nic_owns():
    h = Host()
    h.up()
    h.post_tx(0, CL, 100)
    h.wr(R.REG_TX_TAIL, 1)
    with pytest.raises(DmaPermissionError, match=r"frees cluster .*TX\[0\]"):
        h.nic.driver_free(CL, 2048, h.t, "cluster")
    with pytest.raises(DmaPermissionError, match=r"writes 0x1000\+16 in the TX ring.*TX\[0\]"):
        h.nic.driver_ring_write(TX_RING, 16, h.t)
    h.nic.driver_ring_write(TX_RING + 16, 16, h.t)  # slot 1 is the driver's


def test_disabled_and_idle_ring_is_the_drivers_until_enabled_again():
    """Stopping the transmitter: TX_EN clear and TX_BUSY seen clear, the driver may take its buffers back;
    the NIC may then move nothing, and enabling again re-checks every descriptor still handed over."""
    h = Host()
    h.up()
    h.post_tx(0, CL, 100)
    h.wr(R.REG_TX_TAIL, 1)
    h.wr(R.REG_CTRL, R.CTRL_RX_EN)
    with pytest.raises(DmaPermissionError):
        h.nic.driver_free(CL, 2048, h.t, "cluster")  # not seen idle yet
    h.nic.reg_read(R.REG_STATUS, 0)
    h.nic.driver_free(CL, 2048, h.t, "cluster")
    h.live.discard(CL)
    with pytest.raises(DmaPermissionError, match="disabled and seen idle"):
        h.dma(False, CL, 8)
    with pytest.raises(DmaPermissionError, match=r"TX hands over .*TX\[0\]"):
        h.wr(R.REG_CTRL, R.CTRL_TX_EN | R.CTRL_RX_EN)


def test_dma_error_stops_the_ring_and_a_ring_reset_hands_over_from_zero():
    """DMA errors and Ring reset: after SLVERR the ring's descriptors are the driver's; TAIL then LEN
    restarts it at descriptor 0 with what is in memory at that moment."""
    h = Host()
    h.up()
    h.post_rx(0, CL)
    h.wr(R.REG_RX_TAIL, 1)
    h.dma(True, CL, 64, resp=2)
    h.nic.driver_free(CL, 2048, h.t, "cluster")     # stopped: allowed
    h.nic.driver_ring_write(RX_RING, 16, h.t)
    h.post_rx(0, CL + 2048)
    h.wr(R.REG_RX_TAIL, 1)
    h.wr(R.REG_RX_LEN, N)
    assert h.nic.rx.owned[0].addr == CL + 2048 and not h.nic.rx.stopped
    h.dma(True, CL + 2048, 64)


def test_ctrl_rst_forgets_everything():
    """Clocking and reset: CTRL.RST returns every ring pointer to reset and stops both engines."""
    h = Host()
    h.up()
    h.post_tx(0, CL, 60)
    h.wr(R.REG_TX_TAIL, 1)
    h.wr(R.REG_CTRL, R.CTRL_RST)
    h.nic.driver_free(CL, 2048, h.t, "cluster")
    with pytest.raises(DmaPermissionError, match="no TX descriptor owned"):
        h.dma(False, CL, 8)


def test_one_buffer_in_two_rx_descriptors_is_caught_at_the_hand_over():
    """Receive: each frame goes to its own descriptor's buffer; two RX descriptors on one cluster let the
    second frame overwrite the first unseen. The TAIL write that hands the second over is the breach."""
    h = Host()
    h.up()
    h.post_rx(0, CL)
    h.post_rx(1, CL + 100)      # inside the same cluster
    with pytest.raises(DmaPermissionError, match=r"descriptor RX\[0\] the NIC owns already holds buffer "
                                                  r"0x10000\+2048.*descriptor RX\[1\]"):
        h.wr(R.REG_RX_TAIL, 2)


def test_the_ring_registers_are_taken_as_the_nic_keeps_them():
    """registers.md: *_LEN keeps bits 15:0 and BASE_LO bits 3:0 read 0, so TX_LEN 0x10010 is a ring of 16
    (a buffer read far past it is no descriptor fetch), and RX_BASE_LO | 0xF is the ring at RX_RING."""
    h = Host()
    h.up()
    h.wr(R.REG_TX_LEN, 0x10010)
    h.post_tx(0, CL, 100)
    h.wr(R.REG_TX_TAIL, 1)
    h.dma(False, TX_RING, 16)
    h.dma(False, CL, 100)
    h.wr(R.REG_RX_BASE_LO, RX_RING | 0xF)
    h.post_rx(0, CL + 2048)
    h.wr(R.REG_RX_TAIL, 1)
    assert h.nic.rx.base == RX_RING and h.nic.rx.owned[0].addr == CL + 2048


def test_tail_at_or_beyond_len_hands_over_nothing():
    """Ring and descriptor rules: with TAIL >= LEN the engine owns no descriptor, so the driver may free
    what it wrote there, and a fetch is a breach."""
    h = Host()
    h.up()
    h.post_tx(0, CL, 100)
    h.wr(R.REG_TX_TAIL, N + 1)
    assert h.nic.tx.slots() == []
    h.nic.driver_free(CL, 2048, h.t, "cluster")
    with pytest.raises(DmaPermissionError, match="TX descriptor fetch"):
        h.dma(False, TX_RING, 16)


def test_a_len_zero_tx_descriptor_hands_over_no_buffer():
    """Ring and descriptor rules: a TX descriptor with LEN 0 and no EOP moves no data, whatever its ADDR."""
    h = Host()
    h.up()
    h.post_tx(0, 0, 0, cmd=0)
    h.post_tx(1, CL, 100)
    h.wr(R.REG_TX_TAIL, 2)
    h.nic.driver_free(0x0, 2048, h.t, "cluster")
    h.dma(False, TX_RING, 32)
    h.dma(False, CL, 100)
