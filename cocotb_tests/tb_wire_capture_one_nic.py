"""The pcap of each wire of the one-NIC bench (its cocotbext-eth GMII models,
``nicsim.pcap.record_gmii``) with good and bad frames, read back with scapy
and tshark; the cable of nic_pair_tb is ``tb_wire_capture``'s."""

from __future__ import annotations

from cocotb.utils import get_sim_time, get_time_from_sim_steps
from cocotbext.eth import GmiiFrame
from tb_wire_capture import BAD, GOOD, check_times, folder, read_wire, tshark, with_fcs

from nicsim import testing
from nicsim.nic_harness import GmiiBench

TOPLEVEL = "nic"


@testing.test()
async def test_one_nic_bench_wires(dut):
    """The one-NIC bench's two wires (cocotbext-eth models): into the NIC a good frame, one with a bad FCS,
    one with gmii_rx_er on three bytes and a burst with no SFD, in that order, each as sent (the burst with no
    SFD whole) and the bad ones in wire-to-nic.errors.txt; out of the NIC the frame it sent, padded, with a
    good FCS. Timestamps are the SFD's time: 7 clocks after the first preamble byte, and the test's own
    tx_complete callback still runs."""
    tb = GmiiBench(dut)
    nic = await tb.start()
    t0 = get_sim_time("ns")
    good = bytes.fromhex("020000000001" "020000000002" "88b5") + bytes(range(50))
    bad_fcs = with_fcs(good)[:-1] + bytes([with_fcs(good)[-1] ^ 0xFF])
    starts = []  # the test's own tx_complete still runs: the first byte's time of each frame it marks
    await tb.inject(GmiiFrame.from_payload(good, tx_complete=lambda f: starts.append(f.sim_time_start)))
    await tb.inject(GmiiFrame.from_raw_payload(bad_fcs))
    marked = GmiiFrame.from_payload(good)
    marked.error = [0] * 20 + [1] * 3 + [0] * (len(marked.data) - 23)
    await tb.inject(marked)
    no_sfd = b"\x55" * 4 + b"\x12\x34" + bytes(60)
    await tb.inject(GmiiFrame(no_sfd))

    sent = bytes.fromhex("020000000002" "020000000001" "88b5") + bytes(range(30))
    await nic.send([(0x40000, sent)])
    await tb.sink.recv()

    records = read_wire("wire-to-nic")
    check_times(records, t0)
    # stamped at the SFD: 7 preamble bytes, one per 8 ns clock, after the first byte
    assert len(starts) == 1 and records[0][1] == get_time_from_sim_steps(starts[0], "ns") + 7 * 8
    assert [raw for raw, _, _ in records] == [with_fcs(good), bad_fcs, with_fcs(good), no_sfd]
    lines = (folder() / "wire-to-nic.errors.txt").read_text().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"frame {n} at {records[n - 1][1]} ns, {len(records[n - 1][0])} bytes" for n in (2, 3, 4)]
    assert "bad FCS" in lines[0]
    # the error bits fell on bytes 20..22 of the burst, 12..14 after the preamble and SFD
    assert "gmii_rx_er on bytes 12..14" in lines[1] and "bad FCS" not in lines[1]
    assert "no SFD" in lines[2]

    [(raw, t, _)] = read_wire("wire-from-nic")
    assert raw == with_fcs(sent)
    assert records[-1][1] < t <= get_sim_time("ns")
    assert not (folder() / "wire-from-nic.errors.txt").exists()

    # tshark: good, bad FCS, rx_er (its FCS good), no SFD (read as if it were a frame); the NIC's frame good
    read = tshark("wire-to-nic", "frame.len", "eth.fcs.status")
    assert read in (None, [["68", GOOD], ["68", BAD], ["68", GOOD], ["66", BAD]]), read
    read = tshark("wire-from-nic", "frame.len", "eth.fcs.status")
    assert read in (None, [["64", GOOD]]), read
