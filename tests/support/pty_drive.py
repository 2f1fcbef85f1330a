#!/usr/bin/env python3
"""Runs a command in a real pseudo-terminal and types into it, for testing interactive prompts.

    pty_drive.py [--timeout S] [--expect TEXT --send KEYS]... -- COMMAND ARGS...

Each --expect waits (up to the timeout) until TEXT has appeared in the output since the previous
expectation, then sends KEYS. KEYS understands \\r (Enter), \\x1b[B (arrow down), \\x1b[A (up).
Everything the program printed is written to stdout; the exit code is the program's, or 124 on
a timeout (the program is then killed).
"""
import os, pty, re, select, signal, sys, time

def main():
    args = sys.argv[1:]
    timeout = 20.0
    steps = []
    while args and args[0] != "--":
        a = args.pop(0)
        if a == "--timeout":
            timeout = float(args.pop(0))
        elif a == "--expect":
            steps.append([args.pop(0), None])
        elif a == "--send":
            steps[-1][1] = args.pop(0).encode().decode("unicode_escape").encode()
        else:
            sys.exit(f"unknown option {a}")
    cmd = args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.environ.setdefault("COLUMNS", "120")
        os.execvp(cmd[0], cmd)
    out = b""
    seen = 0
    deadline = time.time() + timeout
    plain = lambda b: re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", b).decode("utf-8", "replace")
    step = 0
    status = None
    while True:
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            sys.stdout.write(plain(out))
            sys.stdout.write("\n[pty_drive: timeout]\n")
            sys.exit(124)
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            out += data
        if step < len(steps) and steps[step][0] in plain(out[seen:]):
            seen = len(out)
            time.sleep(0.15)
            os.write(fd, steps[step][1] or b"")
            step += 1
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            # Drain what is left.
            while True:
                r, _, _ = select.select([fd], [], [], 0.1)
                if not r:
                    break
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            break
    if status is None:
        _, status = os.waitpid(pid, 0)
    sys.stdout.write(plain(out))
    if step < len(steps):
        sys.stdout.write(f"\n[pty_drive: expectation {step} not met: {steps[step][0]!r}]\n")
        sys.exit(125)
    sys.exit(os.waitstatus_to_exitcode(status))

if __name__ == "__main__":
    main()
