#!/usr/bin/env python3
"""A real HTTP/1.1 server on 127.0.0.1 for the end-to-end tests (Python 3 standard library only).

It serves every endpoint the shipped runbooks call (runbooks/clinic.md, runbooks/invitations.md),
routed by path only, so one server stands in for all their hosts: point each of them at it with
`--target clinic.example.com=http://127.0.0.1:PORT` (and invites.example.com,
api.mailer.example.com). By default every answer is healthy, so a normal run takes the
"everything is fine" branches.

Usage:
    tests/support/http_server.py [--port 0] [--watch PID] [--verbose]

The first line on stdout is the port, alone (flushed); nothing else is written to stdout.
With --watch PID the server exits once that process is gone. Logs go to stderr with --verbose.

Runbook endpoints (those marked * answer 401 without an `Authorization: Bearer <token>` header):
    GET    /api/health                        200 {"status": "ok", "components": {"auth": "ok", ...}}
    GET    /api/metrics *                     200 {"http": {"p95_ms": 350, ...}}
    GET    /api/video/health                  200 {"provider": "ok", ...}
    GET    /health                            200 {"status": "ok", "checks": {...}}
    GET    /metrics                           200 {"queue": {"pending": 7, "oldest_pending_seconds": 95}, ...}
    GET    /v1/status *                       200 {"status": "operational", ...}
    GET    /v1/suppressions/<email> *         200 {"email": ..., "suppressed": false}
    DELETE /v1/suppressions/<email> *         204 (no body)
    GET    /admin/invitations/<uuid> *        200 {"id", "status": "sent", "attempts", "last_error", "delivery"}
    POST   /admin/invitations/<uuid>/resend * 202 {"id", "status": "pending", "queued": true}
  A malformed <email> or <uuid> (e.g. an unfilled `{{ EMAIL }}`) answers 404; so does any other
  path. A known path with another method answers 405. HEAD is answered like GET, without body.

Control endpoints for the tests (all under /__; never recorded, never affected by modes):
    POST /__mode       {"mode": "ok"|"500"|"slow"|"badjson"|"close", "path": "/health", "delay_ms": 2000}
                       Without "path" the mode is global; with it, it applies to that path only
                       (compared without the query string, raw or percent-decoded; a trailing "*"
                       matches a prefix) and wins over the global mode. "ok" on a path exempts it
                       from a global failure mode.
                         500     status 500, JSON error body
                         slow    sleeps delay_ms (default 2000) then answers normally
                         badjson 200, Content-Type application/json, body that is not JSON
                         close   closes the connection without sending anything
    POST /__respond    {"path": "/api/video/health", "method": "GET", "status": 200,
                        "json": {...} | "body": "text", "headers": {"X-A": "b"}}
                       A canned answer for that path (and method, if given) instead of the
                       default one, e.g. to drive a runbook down its failure branches (any
                       path, also one not listed above). A mode still applies on top of it, and
                       the endpoints marked * still answer 401 without a bearer token.
    POST /__reset      Back to defaults: modes, canned answers, recorded requests, counters.
    GET  /__requests   {"requests": [{"method", "path" (the request target exactly as received),
                        "headers" ({lower-case name: value}), "header_list" ([[name, value], ...]
                        as sent), "body" (text), "http_version", "connection" (connection number),
                        "mode" (the failure mode applied, or null), "time"}]}
    GET  /__connections {"connections": N, "total": T, "control": C}
                       N = TCP connections accepted so far that served the runbook endpoints.
                       Every accepted connection is counted in the handler's setup() (T); a
                       connection whose first request is to a /__ endpoint is a control
                       connection (C) and subtracted: N = T - C. A connection opened but not yet
                       used counts in N until its first request arrives. Use a fresh connection
                       (e.g. a new curl) for /__ calls.
"""

import argparse
import json
import os
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EMAIL_RE = re.compile(r"^[^@\s/{}]+@[^@\s/{}]+\.[^@\s/{}]+$")
MODES = ("ok", "500", "slow", "badjson", "close")
DEFAULT_DELAY_MS = 2000

VERBOSE = False


def log(msg):
    if VERBOSE:
        sys.stderr.write("http_server: %s\n" % msg)
        sys.stderr.flush()


class State:
    """Everything the control endpoints change or report; guarded by one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.total_connections = 0
        self.control_connections = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.global_mode = {"mode": "ok", "delay_ms": DEFAULT_DELAY_MS}
            self.path_modes = {}  # path (may end in "*") -> {"mode", "delay_ms"}
            self.canned = {}  # (method or None, path) -> {"status", "body", "headers"}
            self.requests = []
            self.total_connections = 0
            self.control_connections = 0

    def new_connection(self):
        with self.lock:
            self.total_connections += 1
            return self.total_connections

    def mark_control(self):
        with self.lock:
            self.control_connections += 1

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def mode_for(self, paths):
        """The mode for a request path: exact per-path, then longest prefix, then global."""
        with self.lock:
            for p in paths:
                if p in self.path_modes:
                    return dict(self.path_modes[p])
            best = None
            for key, mode in self.path_modes.items():
                if key.endswith("*") and any(p.startswith(key[:-1]) for p in paths):
                    if best is None or len(key) > len(best[0]):
                        best = (key, mode)
            if best is not None:
                return dict(best[1])
            return dict(self.global_mode)

    def canned_for(self, method, paths):
        with self.lock:
            for p in paths:
                for key in ((method, p), (None, p)):
                    if key in self.canned:
                        return dict(self.canned[key])
        return None


STATE = State()


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


# --- the runbook endpoints -------------------------------------------------------------------
# Each route: (regex on the decoded path, {method: handler}, needs_auth). A handler takes the
# regex match and returns (status, json_or_None).


def api_health(_m):
    return 200, {
        "status": "ok",
        "components": {"auth": "ok", "database": "ok", "video": "ok", "storage": "ok"},
        "version": "2024.11.3",
    }


def api_metrics(_m):
    return 200, {
        "http": {"p50_ms": 120, "p95_ms": 350, "p99_ms": 610, "requests_per_s": 42.5, "error_rate_pct": 0.1},
        "logins": {"succeeded_1h": 318, "failed_1h": 12, "locked_accounts": 1},
    }


def api_video_health(_m):
    return 200, {"provider": "ok", "region": "eu-west-1", "active_sessions": 4, "latency_ms": 38}


def invites_health(_m):
    return 200, {"status": "ok", "checks": {"api": "ok", "database": "ok", "queue_consumer": "ok"}}


def invites_metrics(_m):
    return 200, {
        "queue": {"pending": 7, "oldest_pending_seconds": 95, "retrying": 3},
        "mailer": {"sent_15m": 12, "failed_15m": 0},
    }


def mailer_status(_m):
    return 200, {
        "status": "operational",
        "components": {"api": "operational", "smtp": "operational", "webhooks": "operational"},
        "updated_at": iso(time.time() - 300),
    }


def suppression_get(m):
    email = m.group("email")
    if not EMAIL_RE.match(email):
        return 404, {"error": "not an e-mail address", "email": email}
    return 200, {"email": email, "suppressed": False, "reason": None, "created_at": None}


def suppression_delete(m):
    email = m.group("email")
    if not EMAIL_RE.match(email):
        return 404, {"error": "not an e-mail address", "email": email}
    return 204, None


def invitation_get(m):
    inv = m.group("id")
    if not UUID_RE.match(inv):
        return 404, {"error": "no such invitation", "id": inv}
    now = time.time()
    return 200, {
        "id": inv.lower(),
        "status": "sent",
        "attempts": 1,
        "last_error": None,
        "created_at": iso(now - 7200),
        "sent_at": iso(now - 7190),
        "delivery": {
            "provider_message_id": "msg-" + inv.lower()[:8],
            "last_event": "delivered",
            "last_event_at": iso(now - 7185),
        },
    }


def invitation_resend(m):
    inv = m.group("id")
    if not UUID_RE.match(inv):
        return 404, {"error": "no such invitation", "id": inv}
    return 202, {"id": inv.lower(), "status": "pending", "attempts": 0, "queued": True}


ROUTES = [
    (re.compile(r"^/api/health/?$"), {"GET": api_health}, False),
    (re.compile(r"^/api/metrics/?$"), {"GET": api_metrics}, True),
    (re.compile(r"^/api/video/health/?$"), {"GET": api_video_health}, False),
    (re.compile(r"^/health/?$"), {"GET": invites_health}, False),
    (re.compile(r"^/metrics/?$"), {"GET": invites_metrics}, False),
    (re.compile(r"^/v1/status/?$"), {"GET": mailer_status}, True),
    (re.compile(r"^/v1/suppressions/(?P<email>[^/]+)$"), {"GET": suppression_get, "DELETE": suppression_delete}, True),
    (re.compile(r"^/admin/invitations/(?P<id>[^/]+)$"), {"GET": invitation_get}, True),
    (re.compile(r"^/admin/invitations/(?P<id>[^/]+)/resend$"), {"POST": invitation_resend}, True),
]


def has_bearer(headers):
    value = headers.get("Authorization") or ""
    scheme, _, token = value.strip().partition(" ")
    return scheme.lower() == "bearer" and token.strip() != ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection is closed after this many seconds

    def version_string(self):
        return "runbook-test-http/1.0"

    def setup(self):
        super().setup()
        # Without this, a keep-alive client waits on Nagle's algorithm and delayed ACKs
        # (about 40 ms a request) whenever a response takes more than one segment.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_id = STATE.new_connection()
        self.requests_on_conn = 0

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    # Every method goes through one dispatcher.
    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_OPTIONS(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    # -- plumbing ------------------------------------------------------------------------------

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status, payload=None, raw=None, content_type="application/json", extra_headers=None):
        if raw is not None:
            body = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        elif payload is not None:
            body = (json.dumps(payload, indent=2) + "\n").encode("utf-8")
        else:
            body = b""
        self.send_response(status)
        if status != 204 and status != 304:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, str(value))
        # Status line, headers and body leave in one write (end_headers() would send the
        # headers on their own), so the response is one segment when it fits in one.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and status not in (204, 304) and body:
            self._headers_buffer.append(body)
        self.flush_headers()
        self.wfile.flush()

    def dispatch(self):
        try:
            self._dispatch()
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    def _dispatch(self):
        body = self.read_body()
        target = self.path
        path = urlsplit(target).path if not target.startswith("/") else target.split("?", 1)[0]
        decoded = unquote(path)
        self.requests_on_conn += 1
        if path.startswith("/__"):
            if self.requests_on_conn == 1:
                STATE.mark_control()
            return self.control(path, body)

        mode = STATE.mode_for([path, decoded])
        applied = mode["mode"] if mode["mode"] != "ok" else None
        STATE.record({
            "method": self.command,
            "path": target,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "header_list": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", errors="replace"),
            "http_version": self.request_version,
            "connection": self.conn_id,
            "mode": applied,
            "time": time.time(),
        })

        if mode["mode"] == "close":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode["mode"] == "slow":
            time.sleep(max(0, int(mode.get("delay_ms", DEFAULT_DELAY_MS))) / 1000.0)
        if mode["mode"] == "500":
            return self.send(500, {"error": "internal server error", "detail": "failure mode 500 is on", "path": path})
        if mode["mode"] == "badjson":
            return self.send(200, raw='{"status": "ok", "components": {"auth": "ok",, <html>')

        method = "GET" if self.command == "HEAD" else self.command
        route = next(((r.match(decoded), methods, auth) for r, methods, auth in ROUTES if r.match(decoded)), None)
        # Authentication comes first, also for canned answers: a test sees whether the secret was sent.
        if route is not None and route[2] and not has_bearer(self.headers):
            return self.send(
                401,
                {"error": "missing or invalid Authorization header (expected: Bearer <token>)"},
                extra_headers={"WWW-Authenticate": 'Bearer realm="runbook-test"'},
            )
        canned = STATE.canned_for(method, [path, decoded])
        if canned is not None:
            return self.send(
                canned["status"],
                raw=canned["body"],
                content_type=canned["content_type"],
                extra_headers=canned["headers"],
            )
        if route is None:
            return self.send(404, {"error": "not found", "path": path})
        match, methods, _ = route
        handler = methods.get(method)
        if handler is None:
            allow = ", ".join(sorted(set(methods) | ({"HEAD"} if "GET" in methods else set())))
            return self.send(405, {"error": "method not allowed", "allow": allow}, extra_headers={"Allow": allow})
        status, payload = handler(match)
        return self.send(status, payload)

    # -- control endpoints ---------------------------------------------------------------------

    def control(self, path, body):
        def parse():
            if not body.strip():
                return {}
            data = json.loads(body.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            return data

        try:
            if path == "/__requests" and self.command == "GET":
                with STATE.lock:
                    reqs = list(STATE.requests)
                return self.send(200, {"requests": reqs})
            if path == "/__connections" and self.command == "GET":
                with STATE.lock:
                    total, control = STATE.total_connections, STATE.control_connections
                return self.send(200, {"connections": total - control, "total": total, "control": control})
            if path == "/__reset" and self.command == "POST":
                STATE.reset()
                # This connection was counted before the reset: count it again as control.
                STATE.new_connection()
                STATE.mark_control()
                return self.send(200, {"reset": True})
            if path == "/__mode" and self.command == "POST":
                data = parse()
                mode = str(data.get("mode", ""))
                if mode not in MODES:
                    return self.send(400, {"error": "mode must be one of %s" % ", ".join(MODES)})
                entry = {"mode": mode, "delay_ms": int(data.get("delay_ms", DEFAULT_DELAY_MS))}
                target = data.get("path")
                with STATE.lock:
                    if target:
                        STATE.path_modes[str(target).split("?", 1)[0]] = entry
                    else:
                        STATE.global_mode = entry
                return self.send(200, {"path": target, **entry})
            if path == "/__respond" and self.command == "POST":
                data = parse()
                target = data.get("path")
                if not target:
                    return self.send(400, {"error": "path is required"})
                headers = {str(k): str(v) for k, v in (data.get("headers") or {}).items()}
                content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None)
                if "json" in data:
                    raw = json.dumps(data["json"], indent=2) + "\n"
                    content_type = content_type or "application/json"
                else:
                    raw = str(data.get("body", ""))
                    content_type = content_type or "text/plain; charset=utf-8"
                canned = {
                    "status": int(data.get("status", 200)),
                    "body": raw,
                    "content_type": content_type,
                    "headers": headers,
                }
                method = data.get("method")
                with STATE.lock:
                    STATE.canned[(str(method).upper() if method else None, str(target).split("?", 1)[0])] = canned
                return self.send(200, {"path": target, "method": method, "status": canned["status"]})
        except (ValueError, TypeError) as e:
            return self.send(400, {"error": "bad control request: %s" % e})
        return self.send(404, {"error": "unknown control endpoint", "path": path, "method": self.command})


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def watch(pid):
    while alive(pid):
        time.sleep(0.2)
    log("watched process %d is gone; exiting" % pid)
    os._exit(0)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    global VERBOSE
    parser = argparse.ArgumentParser(description="HTTP server for the runbook end-to-end tests")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a random free one)")
    parser.add_argument("--watch", type=int, metavar="PID", help="exit once this process is gone")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args()
    VERBOSE = args.verbose

    if args.watch is not None and not alive(args.watch):
        sys.stderr.write("http_server: --watch: no process %d\n" % args.watch)
        return 1

    server = Server(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    # Nothing else goes to stdout; a caller that stops reading must not break us.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    log("listening on 127.0.0.1:%d" % port)

    if args.watch is not None:
        threading.Thread(target=watch, args=(args.watch,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
