"""nicsim.proctable against processes this test starts, and against os's own view of itself."""

import os
import subprocess
import sys

from nicsim import proctable


def test_the_table_knows_a_child_and_its_child_until_they_end():
    # a shell that starts a sleep: the shell is this process's child, the sleep its grandchild
    shell = subprocess.Popen(["sh", "-c", "sleep 30 & echo $!; wait"], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        grandchild = int(shell.stdout.readline())
        assert shell.pid in proctable.children(os.getpid())
        assert {shell.pid, grandchild} <= proctable.descendants(os.getpid())
        assert proctable.descendants(shell.pid) == {grandchild}
        assert proctable.alive({shell.pid, grandchild}) == {shell.pid, grandchild}
        assert sorted(proctable.in_session(shell.pid)) == sorted([shell.pid, grandchild])  # its own session
        assert proctable.wait_gone({grandchild}, within_s=0.2) == {grandchild}
        os.kill(grandchild, 9)
        shell.wait(timeout=10)  # reaped: neither is in the table any more
        assert proctable.wait_gone({shell.pid, grandchild}, within_s=5) == set()
        assert proctable.stat_fields(shell.pid) is None and not proctable.running(shell.pid)
    finally:
        shell.kill()
        shell.wait()
        shell.stdout.close()


def test_a_zombie_is_not_running():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        assert proctable.wait_gone({child.pid}, within_s=10) == set()  # exited, not yet reaped: a zombie
        assert proctable.stat_fields(child.pid)[0] == "Z"
    finally:
        child.wait()
    fields = proctable.stat_fields(os.getpid())
    assert int(fields[1]) == os.getppid() and int(fields[3]) == os.getsid(0)
