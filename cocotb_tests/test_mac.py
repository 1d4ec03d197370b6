"""pytest entry for tb_mac: GMII transmit and receive through DMA on one NIC."""

from nicsim.runner import run_cocotb


def test_mac():
    run_cocotb("tb_mac", "nic")
