"""pytest entry for the end-to-end ping between two hosts (tb_two_hosts on nic_pair_tb)."""

from nicsim.runner import run_cocotb


def test_ping_ten_replies():
    run_cocotb("tb_two_hosts", "nic_pair_tb", testcase="test_ping_ten_replies")


def test_down_up_and_reinit_keep_working():
    run_cocotb("tb_two_hosts", "nic_pair_tb", testcase="test_down_up_and_reinit_keep_working")


def test_udp_burst_overfills_tx_ring_and_recovers():
    run_cocotb("tb_two_hosts", "nic_pair_tb", testcase="test_udp_burst_overfills_tx_ring_and_recovers")
