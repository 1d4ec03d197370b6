"""pytest entry for tb_one_host: both NICs of nic_pair_tb on one io-pkt."""

from nicsim.runner import run_cocotb


def test_two_nics_one_driver_destroy_one_by_one():
    run_cocotb("tb_one_host", "nic_pair_tb", testcase="test_two_nics_one_driver_destroy_one_by_one")
