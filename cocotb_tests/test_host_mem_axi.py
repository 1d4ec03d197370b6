"""pytest entry for tb_host_mem_axi: the testbench host memory slave on its own, at 64 and 512 bits."""

import pytest

from nicsim.runner import run_cocotb


@pytest.mark.parametrize("width", [64, 512])
def test_host_mem_axi(width):
    run_cocotb("tb_host_mem_axi", "host_mem_axi", parameters={"DATA_WIDTH": width})
