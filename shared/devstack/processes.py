"""Child processes of the stack: output in a log file, stopped politely, restarted exactly as spawned.

Each child runs in its own session, so the terminal's Ctrl-C reaches ``fte dev`` only and the
stack stops in order. A child may have children of its own (functions-framework is a gunicorn
arbiter with a worker): a kill takes its whole process group, as a pod's containers go together,
so no orphaned worker keeps the port. On Linux each child also gets ``PR_SET_PDEATHSIG`` = SIGTERM, so it goes
when its parent goes, even when the parent is SIGKILLed. The kernel sends that signal when the
*thread* that spawned the child exits, not the process: spawn (and restart) children only from
the thread that lives as long as the stack, the main thread of ``fte dev`` or of a test.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1
# Loaded once here: dlopen between fork and exec could deadlock on the loader's lock.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: SIGTERM this child when ``parent`` (its spawning thread) goes."""

    def arrange() -> None:
        if _LIBC is None:
            return
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange


@dataclass(frozen=True)
class SpawnSpec:
    """All that makes a child what it is: a restart uses exactly this again."""

    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    quiet: bool
    pass_fds: tuple[int, ...] = ()  # a listening socket the stack keeps (activation.py)

    def popen(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                pass_fds=self.pass_fds,
                start_new_session=True,
                preexec_fn=_die_with(os.getpid()),
                stdout=subprocess.DEVNULL if self.quiet else log,
                stderr=subprocess.STDOUT,
            )


@dataclass
class Child:
    name: str
    spec: SpawnSpec
    process: subprocess.Popen[bytes]
    port: int | None = None
    started_at: float = field(default_factory=time.monotonic)
    killed: bool = False  # SIGKILLed on purpose (a fault injected), so its exit is no crash
    last_exit: int | None = None  # the exit code of the process before the last restart

    @property
    def log_path(self) -> Path:
        return self.spec.log_path

    def alive(self) -> bool:
        return self.process.poll() is None

    def uptime(self) -> float:
        return time.monotonic() - self.started_at

    def terminate(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, deadline: float) -> None:
        """Wait until ``deadline`` (monotonic) for the process to exit, then SIGKILL its group."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(max(0.0, deadline - time.monotonic()))
        self._kill_group()

    def _kill_group(self) -> None:
        """SIGKILL the child and what it spawned (its session's group, led by it); reap it."""
        with contextlib.suppress(ProcessLookupError):  # nothing left of the group
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 10.0) -> None:
        stop_together([self], timeout)

    def kill(self) -> None:
        """SIGKILL, as a node losing the pod would; the next supervision restarts it."""
        if self.alive():
            self._kill_group()
            self.killed = True

    def restart(self) -> None:
        """Stop the process if it still runs, then start it again from the same spec."""
        self.stop()
        self.last_exit = self.process.returncode
        self.process = self.spec.popen()
        self.started_at = time.monotonic()
        self.killed = False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def stop_together(children: Iterable[Child], timeout: float = 10.0) -> None:
    """SIGTERM them all at once, then wait for each; SIGKILL what still runs after ``timeout``."""
    group = list(children)
    for child in group:
        child.terminate()
    deadline = time.monotonic() + timeout
    for child in group:
        child.wait_stopped(deadline)


def spawn(
    name: str,
    argv: list[str],
    *,
    env: dict[str, str],
    log_dir: Path,
    cwd: Path,
    quiet: bool = False,
    port: int | None = None,
    pass_fds: tuple[int, ...] = (),
) -> Child:
    """Start ``argv`` in its own session, output to ``log_dir/name.log`` (or nowhere when ``quiet``).

    ``port`` is where it listens, when it does: kept with it, as a restart listens there again.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    spec = SpawnSpec(
        tuple(argv), {**os.environ, **env}, cwd, log_dir / f"{name}.log", quiet, pass_fds
    )
    return Child(name, spec, spec.popen(), port)
