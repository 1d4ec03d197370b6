"""pytest entry for tb_dma: DMA alignment, 4 KiB boundaries, scatter-gather, AXI burst rules, at several bus widths."""

import pytest

from nicsim.runner import run_cocotb


@pytest.mark.parametrize("data_width", [64, 128, 512])
def test_dma(data_width):
    # 64 is the RTL default: no parameter, so the build is shared with test_regs and test_mac
    run_cocotb("tb_dma", "nic", parameters={} if data_width == 64 else {"DATA_WIDTH": data_width})
