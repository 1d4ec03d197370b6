"""The GTKWave layout written beside a waveform (nicsim.wave_layout): the
traces name the dump's own signals with their bit ranges, the filters carry
the datasheet's register names and interrupt causes, and GTKWave itself (when
installed, under a virtual display) loads every trace."""

import re
import shutil
import subprocess

import pytest
from vcd import VCDWriter

from nicsim import wave_layout


def _write_vcd(path, signals):
    """A VCD holding ``signals`` ({full dotted name: width}), each changing once."""
    with open(path, "w") as f, VCDWriter(f, timescale="1 ps", date="today") as w:
        handles = []
        for name, width in signals.items():
            scope, _, leaf = name.rpartition(".")
            handles.append((w.register_var(scope, leaf, "wire", size=width), width))
        for t in (0, 1_000_000):
            for var, width in handles:
                w.change(var, t, 0 if t == 0 else (1 << width) - 1)


def _traces(gtkw_text):
    return re.findall(r"^\+\{([^}]*)\} (\S+)$", gtkw_text, re.M)


def test_traces_carry_the_dumps_bit_ranges_and_missing_signals_are_listed(tmp_path):
    signals = {
        "nic_pair_tb.clk": 1,
        "nic_pair_tb.nic_a_inst.tx_ring_head": 16,
        "nic_pair_tb.nic_a_inst.regs_inst.int_cause_reg": 6,
        "nic_pair_tb.nic_a_inst.m_axi_wdata": 512,  # a wide build: the width comes from the dump
        "nic_pair_tb.nic_b_inst.irq": 1,
    }
    vcd = tmp_path / "run.vcd"
    _write_vcd(vcd, signals)
    out = wave_layout.write_gtkw(vcd, "nic_pair_tb", end_ns=1000)
    text = out.read_text()
    traces = dict((name, label) for label, name in _traces(text))
    assert traces == {
        "nic_pair_tb.clk": "clk",
        "nic_pair_tb.nic_a_inst.tx_ring_head[15:0]": "TX_HEAD",
        "nic_pair_tb.nic_a_inst.regs_inst.int_cause_reg[5:0]": "INT_CAUSE",
        "nic_pair_tb.nic_a_inst.m_axi_wdata[511:0]": "WDATA",
        "nic_pair_tb.nic_b_inst.irq": "irq",
    }
    assert f'[dumpfile] "{vcd.resolve()}"' in text
    # groups named per NIC; a signal the dump lacks is named in a comment, not traced
    assert "-NIC A: rings" in text and "-NIC A: interrupts" in text and "-NIC B: interrupts" in text
    assert re.search(r"^\[\*\] not in this dump: .*nic_pair_tb\.nic_a_inst\.tx_ring_tail", text, re.M)


def test_filters_name_registers_causes_and_responses(tmp_path):
    vcd = tmp_path / "run.vcd"
    _write_vcd(vcd, {"nic.clk": 1, "nic.s_axil_awaddr": 12, "nic.regs_inst.int_mask_reg": 6, "nic.m_axi_bresp": 2})
    out = wave_layout.write_gtkw(vcd, "nic")
    regs = dict(line.split(" ", 1) for line in out.with_name("run.registers.txt").read_text().splitlines())
    causes = dict(line.split(" ", 1) for line in out.with_name("run.causes.txt").read_text().splitlines())
    resp = dict(line.split(" ", 1) for line in out.with_name("run.resp.txt").read_text().splitlines())
    # docs/registers.md: INT_MASK_SET at 0x028, TX_TAIL at 0x110; INT_CAUSE bits RX_DONE 0, TX_DONE 1, DMA_ERR 5
    assert regs["28"] == "INT_MASK_SET" and regs["110"] == "TX_TAIL"
    assert causes["3"] == "RX_DONE|TX_DONE" and causes["20"] == "DMA_ERR" and causes["0"] == "none"
    assert resp == {"0": "OKAY", "1": "EXOKAY", "2": "SLVERR", "3": "DECERR"}  # AMBA AXI: xRESP encoding
    text = out.read_text()
    # the AWADDR trace uses the register filter
    assert re.search(rf"^\^\d+ {re.escape(str(out.with_name('run.registers.txt').resolve()))}\n\+\{{AWADDR\}}",
                     text, re.M), text


def test_unknown_toplevel_is_a_key_error(tmp_path):
    vcd = tmp_path / "run.vcd"
    _write_vcd(vcd, {"top.clk": 1})
    with pytest.raises(KeyError):
        wave_layout.write_gtkw(vcd, "no_such_top")


@pytest.mark.skipif(not (shutil.which("gtkwave") and shutil.which("xvfb-run")),
                    reason="GTKWave or xvfb-run not installed (apt-get install gtkwave xvfb)")
def test_gtkwave_loads_every_trace(tmp_path):
    signals = {path: 1 if path.endswith(("clk", "irq", "_en")) else 8
               for _, rows in wave_layout.layout_groups("nic_pair_tb") for _, path, _, _ in rows}
    vcd = tmp_path / "run.vcd"
    _write_vcd(vcd, signals)
    out = wave_layout.write_gtkw(vcd, "nic_pair_tb", end_ns=1)
    script = tmp_path / "count.tcl"
    script.write_text('puts "DISPLAYED [llength [gtkwave::getDisplayedSignals]]"\ngtkwave::/File/Quit\n')
    done = subprocess.run(["xvfb-run", "-a", "gtkwave", "-S", str(script), str(out)], capture_output=True,
                          text=True, timeout=120, check=False)
    shown = re.search(r"DISPLAYED (\d+)", done.stdout)
    assert shown, done.stdout + done.stderr
    # every trace found in the dump (a name GTKWave cannot resolve is dropped from the display)
    assert int(shown.group(1)) == len(signals), done.stdout
