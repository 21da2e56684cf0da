"""Loopback fake judge servers that speak the real Gemini and OpenAI protocols (enough of them for a judge).

Each server binds 127.0.0.1 on a free port, records every request (path, headers, JSON body), and answers
from a script: a function of the request that returns the judge's answer text, or an `HttpError` to send
an HTTP error instead. It serves until `close()`; a test's request loop is bounded by the judge's own
retry limits, so nothing here runs on by itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class HttpError:
    status: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    # -- what the judge sent, whichever protocol ---------------------------------------------------
    @property
    def system(self) -> str:
        if "messages" in self.body:
            return next(m["content"] for m in self.body["messages"] if m["role"] == "system")
        return self.body["systemInstruction"]["parts"][0]["text"]

    @property
    def user(self) -> str:
        if "messages" in self.body:
            return next(m["content"] for m in self.body["messages"] if m["role"] == "user")
        return self.body["contents"][0]["parts"][0]["text"]

    @property
    def schema(self) -> dict[str, Any]:
        if "messages" in self.body:
            return self.body["response_format"]["json_schema"]["schema"]
        return self.body["generationConfig"]["responseJsonSchema"]


Script = Callable[[Recorded], "str | HttpError"]


def verdict_json(overall: Any = 4, *, criteria: dict[str, Any] | None = None, flags: list[str] | None = None,
                 rationale: str = "Matches the reference.", **extra: Any) -> str:
    ids = ("stoney_form", "faithful_meaning", "cultural_context", "no_invented_words", "respectful_tone")
    fill = overall if isinstance(overall, int) and not isinstance(overall, bool) and 1 <= overall <= 5 else 4
    body = {"rationale": rationale, "criteria": criteria if criteria is not None else {c: fill for c in ids},
            "flags": flags or [], "overall": overall, **extra}
    return json.dumps(body)


class FakeJudgeServer:
    """Answers both `/v1*/models/{m}:generateContent` (Gemini) and `/v1/chat/completions` (OpenAI)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                rec = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.requests.append(rec)
                answer = server.script(rec)
                if isinstance(answer, HttpError):
                    self._send(answer.status, {"error": {"code": answer.status, "message": answer.message,
                                                         "status": "ERROR"}}, answer.headers)
                elif ":generateContent" in self.path:
                    self._send(200, _gemini_body(answer))
                elif self.path.endswith("/chat/completions"):
                    self._send(200, _openai_body(answer, body.get("model", "m")))
                else:
                    self._send(404, {"error": {"code": 404, "message": f"no route {self.path}"}})

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _gemini_body(text: str) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP",
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 120},
            "modelVersion": "fake"}


def _openai_body(text: str, model: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text, "refusal": None}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
