"""pytest entry for tb_driver_faults: devnp-nic under faults, against the live RTL (one item per cocotb test)."""

import pytest

from nicsim.runner import cocotb_test_names, run_cocotb


@pytest.mark.parametrize("testcase", cocotb_test_names("tb_driver_faults"))
def test_driver_fault(testcase):
    run_cocotb("tb_driver_faults", "nic_pair_tb", testcase=testcase)
