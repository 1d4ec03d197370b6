"""The main jobs as a user runs them: ``nicsim demo`` on the simulator under
test prints the whole shell transcript, ten replies included."""

import os

from nicsim.demo import run_demo


def test_demo_prints_the_transcript(capsys):
    status = run_demo(os.environ.get("SIM", "icarus"))
    out = capsys.readouterr().out
    assert status == 0, out
    assert "# mount -T io-pkt /lib/dll/devnp-nic.so" in out, out
    assert "10 packets transmitted, 10 packets received, 0.0% packet loss" in out, out
    assert "nicinfo nic0" in out and "Link is UP" in out, out
