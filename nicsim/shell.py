"""``nicsim shell`` (``make shell``): a console on each simulated host, live.

The terminal side. It starts the simulation (:mod:`nicsim.shell_backend`'s
cocotb test, built and run by :func:`nicsim.runner.run_cocotb`) in a child
process of its own session, so the terminal's Ctrl-C never reaches the
simulator, and talks to it over a UNIX socket (:mod:`nicsim.shell_wire`).
It reads lines with readline (editing, history kept in
``~/.nicsim_shell_history`` or ``NICSIM_SHELL_HISTORY``, Tab completes
command and host names), shows ``hostA# `` and sends each command to the
simulation, printing its output and io-pkt's log lines as they come.

Ctrl-C while a command runs is sent on as an interrupt (ping stops and
prints its statistics); at the prompt it gives a new prompt. Ctrl-D or
``exit`` ends the simulation: every interface destroyed, the simulator gone.
With stdin not a terminal each line is echoed after its prompt, so the
output reads as a transcript; ``#`` starts a comment line.

Exit status: 0 when every command succeeded, 1 when one failed (a nonzero
status: ping with no reply, a usage error, an unknown command) or the
simulation stopped on its own, 2 for a simulator that cannot run here.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nicsim import lifeline
from nicsim.shell_wire import CONFIG_ENV, SOCKET_ENV, Channel

# what the terminal side answers itself
LOCAL_HELP = {
    "help": "help [COMMAND]: this list, or one command's line",
    "host": "host [A | B | hostA | hostB]: the host the prompt types to (no name: show it)",
    "@HOST": "@hostB COMMAND: run one command on another host",
    "exit": "exit [N] (or Ctrl-D): end the simulation; N (0..255) is the exit status, as sh's exit",
}
START_TIMEOUT_S = 900  # a cold Verilator build of nic_pair_tb on a busy machine takes minutes
EXIT_TIMEOUT_S = 60
HISTORY_ENV = "NICSIM_SHELL_HISTORY"
TMP_PREFIX = "nicsim-shell-"  # + the terminal side's pid + "-": a folder of a dead pid is stale


def backend_main() -> int:
    """The child process: run the simulation's cocotb test until the terminal side ends it.
    Its output (the runner's notes, a failure report) goes to the file the terminal side gave."""
    from nicsim.runner import CocotbTestFailed, SimulatorKilled, SimulatorMissing, run_cocotb
    from nicsim.shell_backend import BENCHES

    config = json.loads(os.environ.get(CONFIG_ENV) or "{}")
    bench = BENCHES[config.get("bench", "pair")]
    try:
        # a folder of its own (the terminal side's pid): sessions run side by side, none empties another's
        run_cocotb("nicsim.shell_backend", bench.toplevel, parameters=bench.parameters, testcase="shell_session",
                   folder_suffix=f"-{os.getppid()}",
                   extra_env={SOCKET_ENV: os.environ[SOCKET_ENV], CONFIG_ENV: os.environ.get(CONFIG_ENV, "{}"),
                              "COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR",
                              lifeline.PARENT_ENV: str(os.getpid())})
    except SimulatorMissing as e:
        print(e)
        return 2
    except (CocotbTestFailed, SimulatorKilled) as e:
        print(e)
        return 1
    return 0


class Simulation:
    """The child process running the simulation, and the socket to it.
    ``start()`` returns the simulation's ``ready`` message; ``messages`` is a
    queue of everything it sends after (None once the socket closes)."""

    def __init__(self, sim: str, config: dict):
        self.sim = sim
        self.config = config
        clean_stale_tmp()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-"))
        self.log_path = self.tmp / "simulation.log"
        self.proc: subprocess.Popen | None = None
        self.chan: Channel | None = None
        self.messages: queue.Queue = queue.Queue()

    def start(self) -> dict:
        path = str(self.tmp / "socket")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(0.2)
        env = {**os.environ, "SIM": self.sim, SOCKET_ENV: path, CONFIG_ENV: json.dumps(self.config)}
        with open(self.log_path, "w") as log:
            # a session of its own: the terminal's Ctrl-C is the shell's to handle, never the simulator's;
            # SIGTERM from the kernel if this process dies (killed): no backend outlives its terminal side
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "import sys; from nicsim.shell import backend_main; sys.exit(backend_main())"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=lifeline.preexec())
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                try:
                    conn, _ = listener.accept()
                    break
                except TimeoutError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise SimulationGone(self.why()) from None
        finally:
            listener.close()
        self.chan = Channel(conn)
        try:
            ready = self.chan.recv()
        except EOFError:
            raise SimulationGone(self.why()) from None
        threading.Thread(target=self._read, daemon=True).start()
        return ready

    def _read(self) -> None:
        try:
            while True:
                self.messages.put(self.chan.recv())
        except (EOFError, OSError, ValueError):
            self.messages.put(None)

    def send(self, msg: dict) -> bool:
        try:
            self.chan.send(msg)
            return True
        except OSError:
            return False

    def why(self) -> str:
        """What the simulation printed (the runner's failure report, a build error), for a start or end gone wrong."""
        if self.proc is not None and self.proc.poll() is None:
            return "the simulation did not answer"
        text = self.log_path.read_text(errors="replace").strip() if self.log_path.exists() else ""
        status = self.proc.returncode if self.proc is not None else "?"
        return f"the simulation ended (status {status})" + (f":\n{text}" if text else "")

    def stop(self, timeout_s: float = EXIT_TIMEOUT_S) -> int | None:
        """Wait up to ``timeout_s`` for the child to end (it does once told ``exit``), then end its
        process group; returns its status."""
        if self.proc is None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return None
        if self.chan is not None:
            self.chan.close()  # the simulation takes the socket's end as exit (after `exit`, it has ended)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, sig)
                try:
                    self.proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # the simulator itself (a grandchild) is in the same process group: nothing of it may stay
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode


class SimulationGone(Exception):
    """The simulation stopped or never started; the text says what it printed."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP reached the terminal side: end the session as ``exit`` would, then with
    status 128 + ``signum``."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame) -> None:
    raise Terminated(signum)


def clean_stale_tmp() -> list[Path]:
    """Remove the socket folders of sessions whose terminal side is gone (killed before it could);
    returns them. Those of live sessions are left alone."""
    removed = []
    for entry in Path(tempfile.gettempdir()).glob(f"{TMP_PREFIX}*-*"):
        m = re.fullmatch(re.escape(TMP_PREFIX) + r"(\d+)-\w+", entry.name)
        if m and entry.is_dir():
            try:
                os.kill(int(m.group(1)), 0)
                continue
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


class Console:
    """The prompt loop: reads lines, runs them on the current host, prints what comes back."""

    def __init__(self, simulation: Simulation, ready: dict, interactive: bool, out=sys.stdout):
        self.simulation = simulation
        self.hosts: list[str] = ready["hosts"]
        self.host = self.hosts[0]
        self.remote_help: dict[str, str] = ready["commands"]
        self.interactive = interactive
        self.out = out
        self.failed = 0
        self.gone = False
        self.exit_status: int | None = None  # exit N
        self._reading = False  # at the prompt: Ctrl-C gives a new prompt
        self._running = False  # a command runs: Ctrl-C is sent on to it

    def _sigint(self, signum, frame) -> None:
        """Ctrl-C: at the prompt a new prompt; while a command runs, its SIGINT. Never an
        exception anywhere else: one raised while a log line is printed would end the shell."""
        if self._running:
            self.simulation.send({"op": "intr"})
        elif self._reading:
            raise KeyboardInterrupt

    # ------------------------------------------------------------ reading
    def loop(self, lines=None) -> None:
        """Until ``exit``, end of input or the simulation's end. ``lines``: an
        iterator of input lines (default: readline on a terminal, else stdin)."""
        in_main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, self._sigint) if in_main else None
        try:
            self._loop(lines)
        finally:
            if in_main:
                signal.signal(signal.SIGINT, old)

    def _loop(self, lines) -> None:
        while not self.gone:
            try:
                self._reading = True
                try:
                    line = self._read(lines)
                finally:
                    self._reading = False
            except KeyboardInterrupt:
                self.say("")  # Ctrl-C at the prompt: a new prompt, as sh gives
                continue
            except EOFError:
                if self.interactive:
                    self.say("")
                return
            if not self.onecmd(line):
                return

    def _read(self, lines) -> str:
        prompt = f"{self.host}# "
        if lines is not None:
            line = next(lines, None)
            if line is None:
                raise EOFError
        elif self.interactive:
            self._show_waiting_logs()  # what io-pkt logged while simulated time ran at the prompt
            if self.gone:
                raise EOFError
            return input(prompt)
        else:
            line = sys.stdin.readline()
            if not line:
                raise EOFError
        line = line.rstrip("\n")
        self.say(prompt + line)  # the transcript shows what was typed where
        return line

    # ------------------------------------------------------------ commands
    def onecmd(self, line: str) -> bool:
        """Run one line; False when the session is to end."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word in ("exit", "quit", "logout"):
            if not rest:
                return False
            if re.fullmatch(r"\d{1,3}", rest) and int(rest) <= 255:
                self.exit_status = int(rest)
                return False
            self.say(f"usage: {word} [N]   (N: the exit status, 0..255)")
            self.failed += 1
            return True
        if word == "help":
            self.help(rest)
            return True
        if word == "host":
            return self.switch(rest)
        host = self.host
        if word.startswith("@"):
            host = self.host_named(word[1:])
            if host is None or not rest:
                self.say(f"usage: @HOST COMMAND   (HOST one of {', '.join(self.hosts)})")
                self.failed += 1
                return True
            line = rest
        status = self.run(host, line)
        if status:
            self.failed += 1
        return not self.gone

    def host_named(self, name: str) -> str | None:
        for h in self.hosts:
            if name in (h, h.removeprefix("host"), h.lower(), h.removeprefix("host").lower()):
                return h
        return None

    def switch(self, name: str) -> bool:
        if not name:
            self.say(f"{self.host} (hosts: {', '.join(self.hosts)})")
            return True
        host = self.host_named(name)
        if host is None:
            self.say(f"usage: host [{' | '.join(self.hosts)}]")
            self.failed += 1
        else:
            self.host = host
        return True

    def local_help(self) -> dict[str, str]:
        """The console's own commands, the host ones naming this bench's hosts."""
        if len(self.hosts) > 1:
            return LOCAL_HELP
        only = f"(this bench has one host, {self.hosts[0]})"
        return {**LOCAL_HELP, "host": f"host: show the host the prompt types to {only}",
                "@HOST": f"@{self.hosts[0]} COMMAND: run one command on a host {only}"}

    def help(self, name: str) -> None:
        local = self.local_help()
        table = {**self.remote_help, **local}
        if name:
            if name in table:
                self.say(f"{name:<9} {table[name]}")
            else:
                self.say(f"help: no command {name!r}; help lists them")
                self.failed += 1
            return
        self.say("io-pkt's utilities, on the host the prompt names:")
        for n, text in self.remote_help.items():
            if n in UTILITY_NAMES:
                self.say(f"  {n:<9} {text}")
        self.say("the simulation:")
        for n, text in self.remote_help.items():
            if n not in UTILITY_NAMES:
                self.say(f"  {n:<9} {text}")
        self.say("this console:")
        for n, text in local.items():
            self.say(f"  {n:<9} {text}")

    def run(self, host: str, line: str) -> int:
        """Send one command and print what comes back until it is done; Ctrl-C meanwhile
        is sent on as an interrupt. Returns its status (1 if the simulation went away)."""
        if not self.simulation.send({"op": "run", "host": host, "line": line}):
            return self._gone()
        self._running = True
        try:
            while True:
                msg = self.simulation.messages.get()
                if msg is None:
                    return self._gone()
                if msg["op"] in ("out", "log"):
                    self.say(msg["line"])
                elif msg["op"] == "done":
                    return msg["status"]
        finally:
            self._running = False

    def _show_waiting_logs(self) -> None:
        while True:
            try:
                msg = self.simulation.messages.get_nowait()
            except queue.Empty:
                return
            if msg is None:
                self._gone()
                return
            if msg["op"] == "log":
                self.say(msg["line"])

    def _gone(self) -> int:
        self.gone = True
        self.say(f"nicsim shell: {self.simulation.why()}")
        return 1

    def finish(self) -> list[str]:
        """Tell the simulation to end; returns what it said (teardown's result)."""
        if self.gone or not self.simulation.send({"op": "exit"}):
            return []
        while True:
            try:
                msg = self.simulation.messages.get(timeout=EXIT_TIMEOUT_S)
            except queue.Empty:
                return ["the simulation did not answer exit"]
            if msg is None:
                return []
            if msg["op"] == "log":
                self.say(msg["line"])
            if msg["op"] == "bye":
                return msg["lines"]

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


# the names io-pkt's shell runs (the rest of the simulation's list is its own commands)
UTILITY_NAMES = ("ifconfig", "ping", "arp", "netstat", "nicinfo", "pidin", "mount", "umount", "udpsend",
                 "udprecv")


def _readline_setup(console: Console) -> str | None:
    """Line editing, history and Tab completion of command and host names; returns the history file."""
    try:
        import readline
    except ImportError:
        return None
    history = os.environ.get(HISTORY_ENV) or str(Path.home() / ".nicsim_shell_history")
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)
    names = sorted({*console.remote_help, "help", "host", "exit"})

    def complete(text: str, state: int):
        words = readline.get_line_buffer()[:readline.get_begidx()].split()
        if not words:
            options = [n for n in names if n.startswith(text)]
            options += ["@" + h for h in console.hosts if ("@" + h).startswith(text)]
        elif words[0] in ("host", "help"):
            options = [n for n in (console.hosts if words[0] == "host" else names) if n.startswith(text)]
        else:
            options = []
        return options[state] if state < len(options) else None

    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    return history


@contextlib.contextmanager
def _foreground_group(interactive: bool):
    """On a terminal shared with a parent that is not a shell (``make shell``), become the
    terminal's foreground process group for the session, so Ctrl-C reaches this process
    only (make, which would otherwise take it too, exits when its child ends)."""
    fd = sys.stdin.fileno()
    if not interactive or os.getpgrp() == os.getpid():
        yield
        return
    try:
        before = os.tcgetpgrp(fd)
        if before != os.getpgrp():
            yield
            return
        os.setpgid(0, 0)
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # tcsetpgrp from a background group
        os.tcsetpgrp(fd, os.getpgrp())
        signal.signal(signal.SIGTTOU, old)
    except OSError:
        yield
        return
    try:
        yield
    finally:
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, before)
        signal.signal(signal.SIGTTOU, old)


def run_shell(sim: str = "icarus", bare: bool = False, bench: str = "pair", run_while_idle: bool = False,
              lines=None, interactive: bool | None = None) -> int:
    """Start the simulation on ``sim`` and run the console until ``exit``; returns the
    exit status (module docstring). ``bare``: no driver mounted at the start;
    ``bench``: a name in ``shell_backend.BENCHES``; ``run_while_idle``: simulated time runs
    at the prompt; ``lines``: input lines instead of stdin (tests). Raises
    :class:`nicsim.runner.SimulatorMissing` when ``sim`` cannot run here, ValueError for
    an unknown ``bench``."""
    from nicsim.runner import check_simulator
    from nicsim.shell_backend import BENCHES

    if bench not in BENCHES:
        raise ValueError(f"no bench {bench!r} (have {', '.join(BENCHES)})")
    check_simulator(sim)
    if interactive is None:
        interactive = lines is None and sys.stdin.isatty()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the caller ignored it
    # killed politely: the session ends as for exit (teardown, the socket's folder removed)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    lifeline.die_with_make()  # `make shell` killed: SIGTERM here, handled as above
    simulation = Simulation(sim, {"bench": bench, "bare": bare, "run_while_idle": run_while_idle,
                                  "cwd": os.getcwd()})
    print(f"nicsim shell: starting the simulation on {sim} (built first if needed) ...", flush=True)
    t0 = time.perf_counter()
    ready: dict = {}
    console = None
    terminated = None
    try:
        with _foreground_group(interactive):
            try:
                ready = simulation.start()
            except (SimulationGone, KeyboardInterrupt) as e:
                simulation.stop(timeout_s=0)  # a build or start cut short: nothing of it stays
                print(f"nicsim shell: {str(e) or 'interrupted while starting'}", file=sys.stderr)
                return 1
            console = Console(simulation, ready, interactive)
            ready_in = f"{sim}, ready in {time.perf_counter() - t0:.1f} s"
            banner = ready["banner"]
            console.say(f"{banner}\n({ready_in})." if "\n" in banner else f"{banner} ({ready_in}).")
            console.say(("Simulated time runs at the prompt" if ready.get("run_while_idle") else
                         "Simulated time stands still at the prompt")
                        + "; `help` lists the commands, "
                        + ("`host B` switches hosts, " if len(ready["hosts"]) > 1 else "")
                        + "Ctrl-C stops a command, "
                          "Ctrl-D or `exit` ends the simulation.")
            for line in ready.get("log", []):
                console.say(line)
            console.say(f"the session's files: {_rel(ready.get('artifacts', ''))}/")
            history = _readline_setup(console) if interactive else None
            try:
                console.loop(lines)
                for line in console.finish():
                    console.say(line)
            except Terminated as e:
                terminated = e.signum
            finally:
                if history:
                    import readline

                    with contextlib.suppress(OSError):
                        readline.write_history_file(history)
    except Terminated as e:  # while starting
        terminated = e.signum
    finally:
        status = simulation.stop()
    if terminated is not None:
        print(f"nicsim shell: ended by {signal.Signals(terminated).name}", file=sys.stderr)
        return 128 + terminated
    folder = ready.get("artifacts")
    if folder and Path(folder).is_dir():
        files = ", ".join(sorted(p.name for p in Path(folder).iterdir()))
        print(f"the session's files: {_rel(folder)}/ ({files})")
    if console.gone or status not in (0, None):
        return 1
    if console.exit_status is not None:
        return console.exit_status
    return 1 if console.failed else 0


def _rel(path: str) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(path).relative_to(Path.cwd()))
    return path
