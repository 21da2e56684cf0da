"""A loopback Gemini API that speaks the real wire protocol, for driving the real `google-genai` SDK.

`POST /v1/models/{model}:streamGenerateContent?alt=sse` answers `data: {json}\r\n\r\n` frames, one per
chunk. Each request's path, body and headers are recorded. Replies are scripted per request:
- a list of text chunks → a 200 stream of those chunks (usage metadata on the last frame);
- an int → that HTTP status with a Google-style error body (echoing `error_message`);
- ("cut", chunks) → those chunks, then the connection is dropped mid-stream;
- ("raw", bytes) → a 200 stream with exactly those bytes (e.g. a malformed frame).
With no script left, it answers a default two-chunk reply. `hold_after_first` makes the server wait, after
the first frame, until the test calls `release()` — proof that chunks reach the caller as they are sent.
`delay_s` holds every reply back that long before answering (to exercise timeouts).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client that gave up (timeout) is expected
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeGemini:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Any] = []
        self.error_message = "request failed"
        self.hold_after_first = False
        self.delay_s = 0.0
        self.frames_sent = 0
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                if ":streamGenerateContent" not in self.path or "alt=sse" not in self.path:
                    return self._error(404, "NOT_FOUND", f"no route {self.path}")
                reply = fake.script.pop(0) if fake.script else ["Default ", "reply."]
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                if isinstance(reply, int):
                    return self._error(reply, "UNAVAILABLE" if reply >= 500 else "INVALID_ARGUMENT",
                                       fake.error_message)
                if isinstance(reply, tuple) and reply[0] == "raw":
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("content-length", str(len(reply[1])))
                    self.end_headers()
                    self.wfile.write(reply[1])
                    return
                cut = isinstance(reply, tuple) and reply[0] == "cut"
                chunks = list(reply[1] if cut else reply)
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                if cut:
                    self.send_header("content-length", "100000")  # promise more than is sent
                else:
                    self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for index, text in enumerate(chunks):
                    frame: dict[str, Any] = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                                             "index": 0}], "modelVersion": "fake-gemini"}
                    if index == len(chunks) - 1 and not cut:
                        frame["candidates"][0]["finishReason"] = "STOP"
                        frame["usageMetadata"] = {"promptTokenCount": 120, "candidatesTokenCount": len(chunks),
                                                  "totalTokenCount": 120 + len(chunks)}
                    data = b"data: " + json.dumps(frame).encode() + b"\r\n\r\n"
                    self.wfile.write(data if cut else b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                    fake.frames_sent += 1
                    if index == 0 and fake.hold_after_first:
                        fake._release.wait(timeout=120)  # released by the test; the bound only stops a stuck server
                if cut:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _error(self, code: int, status: str, message: str) -> None:
                data = json.dumps({"error": {"code": code, "message": message, "status": status}}).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeGemini":
        self._thread.start()
        return self

    def release(self) -> None:
        self._release.set()

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    # -- what the tests look at ------------------------------------------------------------------------

    def stream_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if ":streamGenerateContent" in r["path"]]

    @staticmethod
    def system_text(request: dict[str, Any]) -> str:
        return "".join(p.get("text", "") for p in request["body"]["systemInstruction"]["parts"])

    @staticmethod
    def turns(request: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c.get("role", ""), "".join(p.get("text", "") for p in c["parts"]))
                for c in request["body"]["contents"]]
