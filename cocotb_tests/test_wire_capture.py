"""pytest entry for the pcap of each wire (tb_wire_capture): each test in a
simulation of its own with NICSIM_ARTIFACTS set to a fresh folder, and the
pcaps it leaves read again with tshark (Wireshark's reader), where installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nicsim.runner import run_cocotb

GOOD, BAD = "1", "0"  # tshark's eth.fcs.status


def tshark(pcap: Path, *fields: str) -> list[list[str]]:
    """tshark's fields of each record of ``pcap``, told that every record ends in
    its FCS and to check it (skips the test if tshark is not installed)."""
    if not shutil.which("tshark"):
        pytest.skip("tshark is not installed (apt-get install tshark)")
    done = subprocess.run(["tshark", "-o", "eth.fcs:Always", "-o", "eth.check_fcs:TRUE", "-r", str(pcap),
                           "-T", "fields", *(a for f in fields for a in ("-e", f))],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


def run(tmp_path: Path, testcase: str, toplevel: str = "nic_pair_tb") -> Path:
    folder = tmp_path / "artifacts"
    run_cocotb("tb_wire_capture", toplevel, testcase=testcase, extra_env={"NICSIM_ARTIFACTS": str(folder)})
    return folder


def test_ping_on_both_wires(tmp_path):
    folder = run(tmp_path, "test_ping_on_both_wires")
    fields = ("eth.src", "eth.dst", "arp.opcode", "icmp.type", "eth.fcs.status")
    ab = tshark(folder / "wire-a-to-b.pcap", *fields)
    ba = tshark(folder / "wire-b-to-a.pcap", *fields)
    assert ["02:00:00:00:0a:01", "ff:ff:ff:ff:ff:ff", "1", "", GOOD] in ab
    assert ["02:00:00:00:0b:01", "02:00:00:00:0a:01", "2", "", GOOD] in ba
    assert sum(row[3] == "8" for row in ab) == 2 and sum(row[3] == "0" for row in ba) == 2
    assert {row[4] for row in ab + ba} == {GOOD}


def test_wrong_speed_frame_marked(tmp_path):
    folder = run(tmp_path, "test_wrong_speed_frame_marked")
    assert tshark(folder / "wire-a-to-b.pcap", "frame.len", "eth.type", "eth.fcs.status") == [["64", "0x88b5", GOOD]]


def test_one_nic_bench_wires(tmp_path):
    folder = run(tmp_path, "test_one_nic_bench_wires", toplevel="nic")
    # good, bad FCS, rx_er (its FCS good), no SFD (read as if it were a frame)
    assert tshark(folder / "wire-to-nic.pcap", "frame.len", "eth.fcs.status") == [
        ["68", GOOD], ["68", BAD], ["68", GOOD], ["66", BAD]]
    assert tshark(folder / "wire-from-nic.pcap", "frame.len", "eth.fcs.status") == [["64", GOOD]]
