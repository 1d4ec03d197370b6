"""pytest entry for tb_driver_modes: devnp-nic's interrupt styles, shared line, moderation and PHY thread."""

import pytest

from nicsim.runner import cocotb_test_names, run_cocotb


@pytest.mark.parametrize("testcase", cocotb_test_names("tb_driver_modes"))
def test_driver_mode(testcase):
    run_cocotb("tb_driver_modes", "nic_pair_tb", testcase=testcase)
