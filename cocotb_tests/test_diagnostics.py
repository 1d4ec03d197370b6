"""pytest entry for tb_diagnostics: the register and interrupt log, and io-pkt's diagnoses on the RTL."""

import pytest

from nicsim.runner import cocotb_test_names, run_cocotb


@pytest.mark.parametrize("testcase", cocotb_test_names("tb_diagnostics"))
def test_diagnostics(testcase):
    run_cocotb("tb_diagnostics", "nic_pair_tb", testcase=testcase)
