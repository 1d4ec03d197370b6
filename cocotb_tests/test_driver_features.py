"""pytest entry for tb_driver_features: devnp-nic features against the live RTL."""

import pytest

from nicsim.runner import run_cocotb

TESTS = [
    "test_nicinfo_reports_the_nic_counters",
    "test_media_follows_the_phy",
    "test_media_follows_what_the_phys_resolve",
    "test_multicast_filter_from_the_group_list",
    "test_jumbo_frames_with_mtu_9000",
    "test_checksum_offload_both_ways",
]


@pytest.mark.parametrize("testcase", TESTS)
def test_driver_feature(testcase):
    run_cocotb("tb_driver_features", "nic_pair_tb", testcase=testcase)
