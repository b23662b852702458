#!/usr/bin/env python3
"""Time unchanged rescans served by running daemons: tapedeck and MPD, alternately.

Usage: rescan.py --runs N [--warmup W] [--pause S] [--tapedeck PORT [--tapedeck-pid PID]]
                 [--mpd PORT [--mpd-pid PID]]

Both clients hold their connections open for the whole run, so no process or
connection start is timed, and both are timed the same way: from the moment the
request is sent to the moment the daemon says the rescan is complete.

- tapedeck: an event stream (GET /api/v1/events) is open first; then
  POST /api/v1/scan on a fresh loopback connection; complete = the `scan` event
  with phase "done" (published after the scan, the rematch and the coverage
  count); phase "failed" is an error.
- MPD: `update` on the protocol connection, then what `mpc update --wait`
  does: `idle update`, `status`, until updating_db no longer shows the job.

Between two runs each daemon is let go idle (tapedeck: GET /api/v1/status until
library.scanning is false; MPD: its job gone) and PAUSE seconds pass, untimed.
The runs alternate (tapedeck, MPD, tapedeck, ...) so that a change in the
machine's load weighs on both alike. Output: one line per timed run,
"tool<TAB>seconds<TAB>cpu seconds", on stdout; the CPU time (user + system, all
threads, in clock ticks of 10 ms: sum many runs before reading it) is the
daemon's over the rescan, when its PID is given, else empty.
"""

import argparse
import http.client
import json
import os
import socket
import sys
import time


class Tapedeck:
    """A tapedeck daemon on 127.0.0.1:port, with an event stream held open."""

    def __init__(self, port):
        self.port = port
        self.host = "127.0.0.1:%d" % port
        self.ev = socket.create_connection(("127.0.0.1", port))
        # HTTP/1.0: no chunked encoding, the stream is plain SSE lines.
        self.ev.sendall(("GET /api/v1/events HTTP/1.0\r\nHost: %s\r\n"
                         "Accept: text/event-stream\r\n\r\n" % self.host).encode())
        self.evf = self.ev.makefile("rb")
        status = self.evf.readline()
        if b" 200 " not in status:
            raise SystemExit("tapedeck: /api/v1/events answered %r" % status)
        self._until(lambda typ, data: typ == "status", 10)

    def _until(self, pred, timeout):
        """Read events until pred(type, data) holds; returns data."""
        self.ev.settimeout(timeout)
        typ = None
        for raw in self.evf:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event: "):
                typ = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if pred(typ, data):
                    return data
        raise SystemExit("tapedeck: the event stream ended")

    def idle(self):
        for _ in range(400):
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            c.request("GET", "/api/v1/status", headers={"Host": self.host})
            st = json.loads(c.getresponse().read())
            c.close()
            if not st["library"]["scanning"]:
                return
            time.sleep(0.01)
        raise SystemExit("tapedeck: still scanning after 4 s")

    def rescan(self):
        req = ("POST /api/v1/scan HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
               "Content-Length: 0\r\nConnection: close\r\n\r\n" % self.host).encode()
        t0 = time.perf_counter()
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(req)
            answer = s.recv(4096)
        if not answer.startswith(b"HTTP/1.1 202"):
            raise SystemExit("tapedeck: POST /api/v1/scan answered %r" % answer[:200])
        data = self._until(lambda typ, d: typ == "scan" and d.get("phase") in ("done", "failed"), 60)
        t1 = time.perf_counter()
        if data["phase"] != "done":
            raise SystemExit("tapedeck: scan failed: %s" % data.get("error"))
        res = data.get("result") or {}
        if res.get("added") or res.get("updated") or res.get("removed"):
            raise SystemExit("tapedeck: the rescan was not unchanged: %s" % res)
        return t1 - t0


class MPD:
    """An MPD daemon on 127.0.0.1:port, over one protocol connection."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        hello = self.f.readline()
        if not hello.startswith(b"OK MPD"):
            raise SystemExit("mpd: unexpected greeting %r" % hello)

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        out = {}
        for raw in self.f:
            r = raw.decode().rstrip("\n")
            if r == "OK":
                return out
            if r.startswith("ACK"):
                raise SystemExit("mpd: %s: %s" % (line, r))
            k, _, v = r.partition(": ")
            out[k] = v
        raise SystemExit("mpd: connection closed")

    def job(self):
        return int(self.cmd("status").get("updating_db", "0"))

    def idle(self):
        while self.job():
            self.cmd("idle update")

    def rescan(self):
        t0 = time.perf_counter()
        job = int(self.cmd("update")["updating_db"])
        while True:  # as mpc update --wait
            self.cmd("idle update")
            cur = self.job()
            if cur == 0 or cur > job:
                break
        return time.perf_counter() - t0


def cpu_seconds(pid):
    """User + system time of process pid (all its threads, ended ones included)."""
    if not pid:
        return None
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--pause", type=float, default=0.2)
    ap.add_argument("--tapedeck", type=int)
    ap.add_argument("--mpd", type=int)
    ap.add_argument("--tapedeck-pid", type=int)
    ap.add_argument("--mpd-pid", type=int)
    a = ap.parse_args()
    tools = []
    if a.tapedeck:
        tools.append(("tapedeck", Tapedeck(a.tapedeck), a.tapedeck_pid))
    if a.mpd:
        tools.append(("mpd", MPD(a.mpd), a.mpd_pid))
    for i in range(a.warmup + a.runs):
        for name, t, pid in tools:
            t.idle()
            time.sleep(a.pause)
            c0 = cpu_seconds(pid)
            secs = t.rescan()
            c1 = cpu_seconds(pid)
            if i >= a.warmup:
                cpu = "" if c0 is None else "%.2f" % (c1 - c0)
                print("%s\t%.6f\t%s" % (name, secs, cpu), flush=True)
    for _, t, _ in tools:
        t.idle()


if __name__ == "__main__":
    sys.exit(main())
