#!/usr/bin/env python3
"""Followers of `runbook serve`'s event streams, for the load tests (tests/serve, scripts/bench-team).

    sse_follow.py BASE_URL FOLLOWERS TIMEOUT_S SESSION_ID...

Starts FOLLOWERS threads; follower k follows session k mod len(ids) from its first event
(`/sessions/ID/events`, server-sent events) until the session's end line, and checks that the
lines arrive as seq 1, 2, 3... each once. For each line written after the follower connected it
records the delay from the line's own time (when the driver committed it) to its arrival here.
A token, if the server wants one, comes from RUNBOOK_SERVE_TOKEN. Prints one JSON object:
{"followers", "events", "problems": [...], "delays_ms": [...], "per_session": {id: last seq}}.
"""

import json
import multiprocessing
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

ENDS = {"finished", "aborted", "needs-answer"}
DATETIME = re.compile(r'datetime="([^"]+)"')


def ts_ms(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000.0


def follow(base, session, deadline, out):
    # HTTP/1.0 and a buffered file over the socket: the stream comes without chunked framing,
    # and lines are read at C speed (http.client reads a chunked line a byte at a time, which
    # with fifty followers measured Python, not the server).
    u = urllib.parse.urlsplit(base)
    sock = socket.create_connection((u.hostname, u.port), timeout=max(1.0, deadline - time.time()))
    request = "GET /sessions/%s/events HTTP/1.0\r\nHost: %s\r\nAccept: text/event-stream\r\n" % (session, u.netloc)
    token = os.environ.get("RUNBOOK_SERVE_TOKEN")
    if token:
        request += "Authorization: Bearer %s\r\n" % token
    connected = time.time() * 1000.0
    sock.sendall((request + "\r\n").encode())
    stream = sock.makefile("rb")
    status = stream.readline().split()
    if len(status) < 2 or status[1] != b"200":
        out["problems"].append("%s: %s" % (session, b" ".join(status).decode(errors="replace")))
        return
    while stream.readline() not in (b"\r\n", b"\n", b""):
        pass
    expect, data = 1, None
    while time.time() < deadline:
        line = stream.readline()
        if not line:
            out["problems"].append("%s: the stream ended at seq %d" % (session, expect - 1))
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if line.startswith("data: "):
            data = line[6:]
        elif line == "" and data is not None:
            f = json.loads(data)
            data = None
            now = time.time() * 1000.0
            if f["seq"] != expect:
                out["problems"].append("%s: seq %d where %d was expected" % (session, f["seq"], expect))
                return
            expect += 1
            m = DATETIME.search(f["html"])
            if m:
                written = ts_ms(m.group(1))
                if written >= connected:
                    out["delays"].append(now - written)
            if f.get("state") in ENDS:
                out["last"] = f["seq"]
                return
    out["problems"].append("%s: no end within the time limit (at seq %d)" % (session, expect - 1))


def run_group(base, assigned, deadline, results):
    """Followers `assigned` ([(k, session)]) as threads of one process; their outcomes to `results`."""
    outs, threads = [], []
    for k, session in assigned:
        out = {"k": k, "session": session, "problems": [], "delays": [], "last": None}
        outs.append(out)
        t = threading.Thread(target=lambda o=out: safe(base, o, deadline), daemon=True)
        threads.append(t)
        t.start()
    for t in threads:
        t.join(max(0.1, deadline - time.time() + 5))
    results.put(outs)


def main():
    base, followers, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    ids = sys.argv[4:]
    deadline = time.time() + timeout
    # Followers spread over a few processes: one Python process would measure its own lock
    # (fifty threads parsing lines) instead of the server.
    groups = max(1, min(8, followers))
    results = multiprocessing.Queue()
    procs = []
    for g in range(groups):
        assigned = [(k, ids[k % len(ids)]) for k in range(g, followers, groups)]
        p = multiprocessing.Process(target=run_group, args=(base, assigned, deadline, results), daemon=True)
        p.start()
        procs.append(p)
    outs = []
    for _ in procs:
        try:
            outs.extend(results.get(timeout=max(1.0, deadline - time.time() + 10)))
        except Exception:
            break
    for p in procs:
        p.join(1)
    problems = [p for o in outs for p in o["problems"]]
    if len(outs) != followers:
        problems.append("%d of %d followers reported" % (len(outs), followers))
    per_session = {}
    for o in outs:
        if o["last"] is None and not o["problems"]:
            problems.append("%s: the follower did not finish" % o["session"])
        per_session.setdefault(o["session"], set()).add(o["last"])
    print(json.dumps({
        "followers": followers,
        "events": sum(o["last"] or 0 for o in outs),
        "problems": problems,
        "delays_ms": sorted(d for o in outs for d in o["delays"]),
        "per_session": {s: sorted(v, key=lambda x: x or 0) for s, v in per_session.items()},
    }))


def safe(base, out, deadline):
    try:
        follow(base, out["session"], deadline, out)
    except Exception as e:  # a follower that failed is a problem reported, not a crash
        out["problems"].append("%s: %s" % (out["session"], e))


if __name__ == "__main__":
    main()
