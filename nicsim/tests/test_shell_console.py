"""``nicsim shell``'s parts that need no simulator: durations as the
simulation commands take them, and the console's own commands (host
switching, ``@host``, ``help``, usage lines) against a stand-in for the
simulation that records what it is sent."""

from __future__ import annotations

import io
import os
import queue
import signal

import pytest

from nicsim.shell import Console
from nicsim.shell_backend import MAX_FORCED_SLEEP_NS, parse_duration


@pytest.mark.parametrize("text, ns", [("10ms", 10_000_000), ("250us", 250_000), ("0.1s", 100_000_000),
                                      ("800ns", 800), ("100ms", 100_000_000)])
def test_durations(text, ns):
    assert parse_duration(text) == ns


def test_longer_durations_only_when_forced():
    with pytest.raises(ValueError, match="out of range 1ns..100ms"):
        parse_duration("1.5s")
    assert parse_duration("1.5s", MAX_FORCED_SLEEP_NS) == 1_500_000_000
    with pytest.raises(ValueError, match="out of range 1ns..60s"):
        parse_duration("61s", MAX_FORCED_SLEEP_NS)


@pytest.mark.parametrize("text, message", [("10 ms", "not a duration"), ("-1ms", "not a duration"),
                                           ("101ms", "out of range"), ("0.1ns", "out of range"),
                                           ("1e3", "not a duration"), ("", "not a duration"),
                                           ("10", "give a unit"), ("0.01", "give a unit")])
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


@pytest.mark.parametrize("line, status", [("exit 3", 3), ("exit 0", 0), ("exit 255", 255), ("quit 7", 7)])
def test_exit_n_sets_the_status_as_sh_does(line, status):
    c, _ = console()
    c.loop(iter([line, "ping never"]))
    assert c.exit_status == status
    assert not [m for m in c.simulation.sent if m["op"] == "run"]


@pytest.mark.parametrize("line", ["exit abc", "exit 0 1", "exit 256", "exit -1"])
def test_exit_with_junk_gets_a_usage_line_and_the_session_goes_on(line):
    c, out = console()
    c.loop(iter([line, "ping x"]))
    assert "usage: exit [N]   (N: the exit status, 0..255)" in out.getvalue()
    assert c.exit_status is None and c.failed == 1
    assert [m["line"] for m in c.simulation.sent if m["op"] == "run"] == ["ping x"]


class CtrlCWhilePrinting(io.StringIO):
    """An output where the user's Ctrl-C lands while a given line is being printed."""

    def __init__(self, on: str):
        super().__init__()
        self.on = on

    def write(self, text: str) -> int:
        if self.on in text:
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs in this thread, before write returns
        return super().write(text)


@pytest.mark.parametrize("on, sent_on", [("ran 'ping x'", True), ("ICMP echo", False)])
def test_ctrl_c_while_a_line_is_printed_never_ends_the_session(on, sent_on):
    """Ctrl-C while a command's output (or help) is printed: sent on to a running command as its
    SIGINT, dropped otherwise, never an exception that would end the shell."""
    out = CtrlCWhilePrinting(on)
    c = Console(FakeSimulation(), {"hosts": ["hostA"], "commands": {"ping": "ICMP echo"}}, interactive=False, out=out)
    c.loop(iter(["ping x", "help", "ping y"]))
    assert [m["line"] for m in c.simulation.sent if m["op"] == "run"] == ["ping x", "ping y"]
    assert ({"op": "intr"} in c.simulation.sent) == sent_on
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the prompt's handler put back
