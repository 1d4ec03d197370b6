"""pytest entry for tb_features: multi-buffer RX, jumbo, filters, stats, checksum offload, moderation,
loopback, speed pacing, DMA errors, cut-through, no carrier, TX_PENDING, receive admission and flush, on one
NIC; the DMA-heavy tests also at DATA_WIDTH 512."""

import pytest

from nicsim.runner import run_cocotb

WIDE = "test_jumbo_multi_buffer_rx,test_rx_buffer_smaller_than_frame,test_tx_checksum_offload," \
       "test_rx_dma_error_and_ring_reset,test_tx_dma_error_and_ring_reset,test_tx_larger_than_fifo_cut_through," \
       "test_dma_beyond_host_memory_gets_decerr"


@pytest.mark.parametrize("data_width", [64, 512])
def test_features(data_width):
    # 64 shares the default nic build with test_regs/test_mac/test_dma; 512 shares test_dma's wide build
    if data_width == 64:
        run_cocotb("tb_features", "nic")
    else:
        run_cocotb("tb_features", "nic", parameters={"DATA_WIDTH": 512}, testcase=WIDE)
