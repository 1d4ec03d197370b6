"""pytest entry for tb_phy: MDIO, the PHY model, auto-negotiation, link and speed (nic_pair_tb)."""

from nicsim.runner import run_cocotb


def test_phy():
    run_cocotb("tb_phy", "nic_pair_tb")
