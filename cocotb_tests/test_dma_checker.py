"""pytest entry for tb_dma_checker: the DMA permission checker against deliberately wrong drivers, each test
in a simulation of its own (a broken driver leaves nothing fit for the next)."""

import pytest

from nicsim.runner import cocotb_test_names, run_cocotb


@pytest.mark.parametrize("testcase", cocotb_test_names("tb_dma_checker"))
def test_dma_checker(testcase):
    run_cocotb("tb_dma_checker", "nic_pair_tb", testcase=testcase)
