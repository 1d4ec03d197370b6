"""The bench's own correctness checks, on ``nic_pair_tb``: a flood that
loses a datagram fails, naming the loss and where it was counted."""


from nicsim import testing
from nicsim.jobs import Probe, bench_flood
from nicsim.two_hosts import Hosts, bring_up_pair, build_hosts, inject_dma_error

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)


async def _lose_one_on_b(hosts: Hosts) -> None:
    inject_dma_error(hosts, "hostB", "rx_buffer_write")


@testing.test()
async def test_bench_flood_fails_on_a_lost_datagram(dut):
    """A DMA error on B's receive side drops one datagram of a 16-datagram
    flood: the driver recovers and counts it, and the bench's flood fails
    with a message naming the loss and the accounting line. A flood with
    nothing lost afterwards passes, and its window counts every frame."""
    hosts = await build_hosts(dut)
    probe = Probe(hosts)
    await bring_up_pair(hosts)
    message = ""
    try:
        await bench_flood(hosts, probe, [("hostA", "hostB")], 64, 16, "flood A->B 64 B",
                          fault=_lose_one_on_b, fault_at=4)
    except AssertionError as e:
        message = str(e)
    assert "flood A->B 64 B [hostA->hostB]: 1 of 16 datagrams not delivered" in message, message
    assert "B rx DMA error 1 (holds)" in message, message
    r = await bench_flood(hosts, probe, [("hostA", "hostB")], 64, 16, "flood A->B 64 B")
    # the interfaces' counters saw every frame (A's also a ping the driver harvested late)
    assert r["datagrams"] == 16 and r["ifnet"]["hostA if_opackets"] >= 16 and r["ifnet"]["hostB if_ipackets"] >= 16, r
    assert r["reg_reads"] + r["reg_writes"] > 0 and r["isr_entries"] > 0 and r["sim_ns"] > 0, r
    await hosts.teardown()
