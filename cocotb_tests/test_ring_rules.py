"""pytest entry for tb_ring_rules: ring registers, TX descriptor fields, RX_BUF_SIZE and DMA addresses
outside their legal ranges, on one NIC (the default build shared with test_features)."""

from nicsim.runner import run_cocotb


def test_ring_rules():
    run_cocotb("tb_ring_rules", "nic")
