"""``nicsim shell``'s parts that need no simulator: durations as the
simulation commands take them, and the console's own commands (host
switching, ``@host``, ``help``, usage lines) against a stand-in for the
simulation that records what it is sent."""

from __future__ import annotations

import io
import queue

import pytest

from nicsim.shell import Console
from nicsim.shell_backend import parse_duration


@pytest.mark.parametrize("text, ns", [("10ms", 10_000_000), ("250us", 250_000), ("1.5s", 1_500_000_000),
                                      ("800ns", 800), ("0.01", 10_000_000), ("60s", 60_000_000_000)])
def test_durations(text, ns):
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text, message", [("10 ms", "not a duration"), ("-1ms", "not a duration"),
                                           ("61s", "out of range"), ("0.1ns", "out of range"),
                                           ("1e3", "not a duration"), ("", "not a duration")])
def test_bad_durations_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


class FakeSimulation:
    """Answers every command with one line naming it and status 0 (``fail`` names lines answered with 1)."""

    def __init__(self, fail=()):
        self.sent: list[dict] = []
        self.messages: queue.Queue = queue.Queue()
        self.fail = set(fail)

    def send(self, msg: dict) -> bool:
        self.sent.append(msg)
        if msg["op"] == "run":
            self.messages.put({"op": "out", "line": f"ran {msg['line']!r} on {msg['host']}"})
            self.messages.put({"op": "done", "status": 1 if msg["line"] in self.fail else 0})
        return True

    def why(self) -> str:
        return "gone"


def console(fail=()):
    ready = {"hosts": ["hostA", "hostB"], "commands": {"ping": "ICMP echo", "cable": "the cable"}}
    out = io.StringIO()
    return Console(FakeSimulation(fail), ready, interactive=False, out=out), out


def test_lines_go_to_the_host_the_prompt_names_and_the_transcript_shows_them():
    c, out = console()
    c.loop(iter(["ping x", "host B", "ping y", "@A ping z", "host", "# a comment", "", "exit", "ping never"]))
    assert [m["host"] for m in c.simulation.sent if m["op"] == "run"] == ["hostA", "hostB", "hostA"]
    assert out.getvalue().splitlines() == [
        "hostA# ping x", "ran 'ping x' on hostA", "hostA# host B", "hostB# ping y", "ran 'ping y' on hostB",
        "hostB# @A ping z", "ran 'ping z' on hostA", "hostB# host", "hostB (hosts: hostA, hostB)",
        "hostB# # a comment", "hostB# ", "hostB# exit"]
    assert c.failed == 0


def test_bad_console_input_gets_a_usage_line_and_counts_as_failed():
    c, out = console(fail={"ping"})
    c.loop(iter(["host C", "@hostC ping", "@hostB", "help nothing", "ping"]))
    text = out.getvalue()
    assert "usage: host [hostA | hostB]" in text
    assert text.count("usage: @HOST COMMAND   (HOST one of hostA, hostB)") == 2
    assert "help: no command 'nothing'; help lists them" in text
    assert c.failed == 5


def test_help_lists_every_command_once():
    c, out = console()
    c.help("")
    names = [line.split()[0] for line in out.getvalue().splitlines() if line.startswith("  ")]
    assert sorted(names) == sorted(["ping", "cable", "help", "host", "@HOST", "exit"])
