"""Runs a command with a fresh pseudo-terminal as its controlling terminal, answering prompts.

    python3 pty_run.py [--answer TEXT]... [--trigger TEXT]... [--hidden] [--stdio] [--timeout S]
                       [--tty-log FILE] -- COMMAND ARGS...

The command's stdin, stdout and stderr are this process's own (pipes, in the tests), as when the
AWS CLI runs a credential process: only /dev/tty reaches the terminal. Each time the terminal
shows a trigger (default "MFA code for") and the prompt after it is whole (the
output ends with a space), the next --answer is typed, followed by Enter; with no answers left,
nothing is typed. With --hidden, each answer also waits until the program has turned the terminal's
echo off (a hidden prompt), as a person would see it; typing earlier would echo a secret (exit 97 if
echo never goes off within 10 s). With --stdio the terminal is also the command's stdin, stdout and
stderr (a person's shell session). With --timeout, a command still running after S seconds is killed
with its process group (exit 124). What the terminal showed is written to --tty-log. Exits with the
command's code.
"""
import argparse
import fcntl
import os
import select
import subprocess
import sys
import termios
import time

PROMPT = b"MFA code for"


def wait_for_echo_off(master):
    # On Linux the master reports the terminal's settings, which the program changes on its side.
    deadline = time.monotonic() + 10
    while termios.tcgetattr(master)[3] & termios.ECHO:
        if time.monotonic() > deadline:
            sys.stderr.write("pty_run: the prompt never turned echo off\n")
            sys.exit(97)
        time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--trigger", action="append", default=[])
    ap.add_argument("--tty-log")
    ap.add_argument("--hidden", action="store_true")
    ap.add_argument("--stdio", action="store_true")
    ap.add_argument("--timeout", type=float)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    triggers = [t.encode() for t in args.trigger] or [PROMPT]
    master, slave = os.openpty()

    def take_terminal():
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    stdio = {"stdin": slave, "stdout": slave, "stderr": slave} if args.stdio else {}
    child = subprocess.Popen(
        command, start_new_session=True, preexec_fn=take_terminal, pass_fds=(slave,), **stdio
    )
    os.close(slave)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    timed_out = False
    seen, answers, answered, open_ = b"", list(args.answer), 0, True
    while open_:
        if deadline and time.monotonic() > deadline:
            os.killpg(child.pid, 9)
            timed_out = True
            break
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every process holding the terminal is gone
                chunk = b""
            open_ = bool(chunk)
            seen += chunk
            # Type only once the prompt is whole: prompts end with a space and wait for input
            # (typing earlier would echo the answer into the middle of a prompt).
            while (
                sum(seen.count(t) for t in triggers) > answered
                and answers
                and seen.endswith(b" ")
            ):
                if args.hidden:
                    wait_for_echo_off(master)
                os.write(master, answers.pop(0).encode() + b"\n")
                answered += 1
        elif child.poll() is not None:
            break
    child.wait()
    if args.tty_log:
        with open(args.tty_log, "wb") as f:
            f.write(seen)
    if timed_out:
        sys.exit(124)
    sys.exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)


if __name__ == "__main__":
    main()
