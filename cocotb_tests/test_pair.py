"""pytest entry for tb_pair: two NICs joined by a GMII cable (nic_pair_tb)."""

from nicsim.runner import run_cocotb


def test_pair():
    run_cocotb("tb_pair", "nic_pair_tb")
