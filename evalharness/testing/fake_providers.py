"""A loopback HTTP server that speaks the providers' real protocols, for tests and benchmarks.

It answers the routes the real SDKs call, in the providers' own JSON shapes:

- OpenAI chat completions — `POST /v1/chat/completions`;
- OpenAI/vLLM completions with `echo` + `logprobs` — `POST /v1/completions` (vLLM's response shape:
  `choices[0].logprobs` with `tokens`, `token_logprobs`, `text_offset`, `top_logprobs`; the first token's
  logprob is null);
- Gemini — `POST /v1/models/{model}:generateContent` (camelCase; the key arrives as `x-goog-api-key`), and
  `:streamGenerateContent?alt=sse` (`data: {json}\r\n\r\n` frames, one per chunk, usage on the last);
- OpenAI models — `GET /v1/models/{model}` (`shutdown_date` from `FakeBehaviour.models`; an unknown model is
  a 404, as OpenAI answers for a model that is gone);
- chat `logprobs: true` — `choices[0].logprobs.content`, one entry per token of the reply.

What it answers: `FakeBehaviour.reply(prompt, system)` by default, or `FakeBehaviour.script(request)` — a function
of the recorded request returning the answer text, or an `HttpError` to send instead (a judge test grades each
answer; a reviewer test scripts a failure). Streamed replies can also be queued one per request in
`stream_replies` (a list of chunks, an HTTP status, `("cut", chunks)` for a connection dropped mid-stream, or
`("raw", bytes)`), and `hold_after_first` holds a stream after its first frame until `release()`. Every request
is recorded (`requests`: path, lower-cased headers, JSON body). This is the only place that writes the
providers' wire formats: tests and benchmarks all use it.

Faults can be injected at a rate (429 with Retry-After, 500, a reply slower than the client's timeout, a
malformed body), decided by a hash of (request content, how often that content was seen) so a run is
reproducible whatever the thread timing. Every request is counted. Nothing here touches the network
beyond 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULT_KINDS = ("429", "500", "timeout", "malformed")
DEFAULT_STREAM = ["Default ", "reply."]
_TOKEN = re.compile(r"\s*\S+|\s+$")


def tokenize(text: str) -> list[tuple[str, int]]:
    """The fake's tokenizer: whitespace-led words, with their character offsets."""
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]


def token_logprob(token: str) -> float:
    """The fake's model: each token's log-probability is -0.1 per visible character."""
    return -0.1 * len(token.strip()) if token.strip() else -0.05


def default_reply(prompt: str, system: str | None) -> str:
    return f"reply to: {prompt}"


@dataclass(frozen=True)
class HttpError:
    """A scripted error reply: the status, the message in the provider's error body, extra headers."""

    status: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it. `headers` keys are lower case."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def system(self) -> str | None:
        """The system text, whichever protocol."""
        if "messages" in self.body:
            return next((m["content"] for m in self.body["messages"] if m.get("role") == "system"), None)
        parts = (self.body.get("systemInstruction") or {}).get("parts") or []
        return "".join(p.get("text", "") for p in parts) if parts else None

    @property
    def user(self) -> str:
        """The last user message, whichever protocol."""
        if "messages" in self.body:
            return next((m["content"] for m in reversed(self.body["messages"]) if m.get("role") == "user"), "")
        return self.turns[-1][1] if self.turns else ""

    @property
    def turns(self) -> list[tuple[str, str]]:
        """Gemini `contents` as (role, text) pairs."""
        return [
            (c.get("role", ""), "".join(p.get("text", "") for p in c.get("parts", [])))
            for c in self.body.get("contents") or []
        ]

    @property
    def schema(self) -> dict[str, Any]:
        """The structured-output schema the request asked for."""
        if "messages" in self.body:
            return self.body["response_format"]["json_schema"]["schema"]
        return self.body["generationConfig"]["responseJsonSchema"]


Script = Callable[[RecordedRequest], "str | HttpError | None"]
StreamReply = Any  # list[str] | int | tuple[Literal["cut"], list[str]] | tuple[Literal["raw"], bytes]


@dataclass
class FakeBehaviour:
    """What the fake does. Change it between runs; it is read on every request."""

    latency_s: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    fault_seed: str = "seed"
    #: requests whose prompt contains one of these always get a 500 (items that must end "failed")
    always_fail: tuple[str, ...] = ()
    #: the first request of a body whose prompt contains one of these stalls (held `timeout_sleep_s`)
    stall_first: tuple[str, ...] = ()
    #: the first N requests of each distinct body get `first_fault` (then the rate-based faults apply)
    fail_first_n: int = 0
    first_fault: str = "429"
    retry_after_s: float = 0.0
    timeout_sleep_s: float = 1.0
    #: the key the fake expects (401 otherwise); None accepts anything
    expected_key: str | None = None
    reply: Callable[[str, str | None], str] = default_reply
    #: when set, the answer to each request (text), or an HttpError to send; None falls back to `reply`
    script: Script | None = None
    #: (prompt, completion) tokens to report instead of counting words (None: count)
    fixed_usage: tuple[int, int] | None = None
    #: Gemini thinking tokens reported in usageMetadata.thoughtsTokenCount (billed as output)
    thoughts_tokens: int = 0
    #: False: /v1/completions ignores echo/logprobs like a server that does not support them
    supports_echo: bool = True
    #: GET /v1/models/{id}: model id → its shutdown_date (None: not announced); a model not listed answers 404.
    #: None: every model exists and announces no date.
    models: dict[str, str | None] | None = None
    #: chat `logprobs: true`: (prompt, token) → the token's log-probability
    chat_logprob: Callable[[str, str], float] = lambda prompt, token: token_logprob(token)


@dataclass
class FakeStats:
    requests: int = 0
    by_path: Counter = field(default_factory=Counter)
    by_outcome: Counter = field(default_factory=Counter)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    seen: Counter = field(default_factory=Counter)
    in_flight: int = 0
    peak_in_flight: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the default 5 drops connections when a client opens dozens at once


class FakeProviderServer:
    """`with FakeProviderServer() as fake:` → `fake.url` ("http://127.0.0.1:PORT"), `fake.stats`."""

    def __init__(self, behaviour: FakeBehaviour | None = None, *, keep_bodies: bool = True) -> None:
        self.behaviour = behaviour or FakeBehaviour()
        self.recorded: list[RecordedRequest] = []
        self.stream_replies: list[StreamReply] = []
        self.error_message = "request failed"
        self.hold_after_first = False
        self.frames_sent = 0
        self._release = threading.Event()
        self.stats = FakeStats()
        self.keep_bodies = keep_bodies
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-provider", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeProviderServer:
        self._thread.start()
        return self

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order."""
        return self.recorded

    def release(self) -> None:
        """Let a stream held by `hold_after_first` go on."""
        self._release.set()

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- decisions --------------------------------------------------------------------------------
    def _count(self, path: str, body: dict[str, Any], content_key: str) -> int:
        with self._lock:
            self.stats.requests += 1
            self.stats.by_path[path] += 1
            if self.keep_bodies:
                self.stats.bodies.append(body)
            self.stats.seen[content_key] += 1
            return self.stats.seen[content_key]

    def _outcome(self, content_key: str, nth: int, prompt: str) -> str:
        b = self.behaviour
        if any(marker in prompt for marker in b.always_fail):
            return "500"
        if nth == 1 and any(marker in prompt for marker in b.stall_first):
            return "timeout"
        if nth <= b.fail_first_n:
            return b.first_fault
        if b.fault_rate <= 0 or not b.fault_kinds:
            return "ok"
        digest = hashlib.sha256(f"{b.fault_seed}|{content_key}|{nth}".encode()).digest()
        if int.from_bytes(digest[:4], "big") / 2**32 >= b.fault_rate:
            return "ok"
        return b.fault_kinds[digest[4] % len(b.fault_kinds)]

    def _record(self, outcome: str) -> None:
        with self._lock:
            self.stats.by_outcome[outcome] += 1


def _handler_for(fake: FakeProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        current: RecordedRequest

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests capture output
            return None

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout fault)
                pass

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            from urllib.parse import unquote

            path = self.path.split("?", 1)[0]
            if "/models/" not in path:
                self._send(404, {"error": {"message": f"no route {path}"}})
                return
            model = unquote(path.split("/models/", 1)[1])
            with fake._lock:
                fake.stats.requests += 1
                fake.stats.by_path["GET /models"] += 1
            expected = fake.behaviour.expected_key
            if expected is not None and self._key(False) != expected:
                self._send(401, {"error": {"code": 401, "message": "invalid api key"}})
                return
            models = fake.behaviour.models
            if models is not None and model not in models:
                self._send(
                    404,
                    {
                        "error": {
                            "message": f"The model '{model}' does not exist",
                            "type": "invalid_request_error",
                            "param": "model",
                            "code": "model_not_found",
                        }
                    },
                )
                return
            self._send(
                200,
                {
                    "id": model,
                    "object": "model",
                    "created": 1_700_000_000,
                    "owned_by": "system",
                    "shutdown_date": None if models is None else models[model],
                },
            )

        def do_POST(self) -> None:
            with fake._lock:
                fake.stats.in_flight += 1
                fake.stats.peak_in_flight = max(fake.stats.peak_in_flight, fake.stats.in_flight)
            try:
                self._post()
            finally:
                with fake._lock:
                    fake.stats.in_flight -= 1

        def _post(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, {"error": {"message": "request body is not JSON"}})
                return
            path = self.path.split("?", 1)[0]
            # this request's own record: under concurrency "the last one received" may be another's
            self.current = RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if fake.keep_bodies:  # a benchmark's thousands of requests need not be kept
                with fake._lock:
                    fake.recorded.append(self.current)
            if ":streamGenerateContent" in path:
                self._gemini_stream(path, body)
            elif path.endswith("/chat/completions"):
                self._chat(path, body)
            elif path.endswith("/completions"):
                self._completions(path, body)
            elif ":generateContent" in path:
                self._gemini(path, body)
            else:
                self._send(404, {"error": {"message": f"no route {path}"}})

        # -- shared fault handling --------------------------------------------------------------------
        def _key(self, gemini: bool) -> str | None:
            if gemini:
                return self.headers.get("x-goog-api-key")
            auth = self.headers.get("Authorization") or ""
            return auth[7:] if auth.lower().startswith("bearer ") else None

        def _fault(self, path: str, body: dict[str, Any], prompt: str, *, gemini: bool) -> bool:
            """Count the request, apply latency and faults. True when a fault reply was sent."""
            b = fake.behaviour
            content_key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
            nth = fake._count(path, body, content_key)
            expected = b.expected_key
            if expected is not None and self._key(gemini) != expected:
                fake._record("401")
                status = "UNAUTHENTICATED" if gemini else None
                self._send(401, {"error": {"code": 401, "message": "invalid api key", "status": status}})
                return True
            outcome = fake._outcome(content_key, nth, prompt)
            fake._record(outcome)
            if b.latency_s:
                time.sleep(b.latency_s)
            if outcome == "ok":
                return False
            if outcome == "429":
                self._send(
                    429,
                    {
                        "error": {
                            "code": 429,
                            "message": "rate limit reached, slow down",
                            "status": "RESOURCE_EXHAUSTED" if gemini else None,
                        }
                    },
                    {"Retry-After": f"{b.retry_after_s:g}"},
                )
            elif outcome == "500":
                # Some proxies echo what they got, credentials included: the client must scrub it.
                auth = self.headers.get("Authorization") or self.headers.get("x-goog-api-key") or ""
                self._send(
                    500,
                    {
                        "error": {
                            "code": 500,
                            "message": f"upstream failure (request had {auth})",
                            "status": "INTERNAL" if gemini else None,
                        }
                    },
                )
            elif outcome == "timeout":
                time.sleep(b.timeout_sleep_s)
                try:
                    self._send(504, {"error": {"code": 504, "message": "too late"}})
                except OSError:
                    pass
            elif outcome == "malformed":
                if int(hashlib.sha256(content_key.encode()).hexdigest(), 16) % 2:
                    self._send(200, b'{"choices": [{"index": 0, "message": {"role": "assist')
                else:
                    self._send(200, {"id": "x", "object": "unexpected", "note": "no choices or candidates here"})
            return True

        # -- OpenAI chat --------------------------------------------------------------------------
        def _chat(self, path: str, body: dict[str, Any]) -> None:
            messages = body.get("messages") or []
            system = next((m["content"] for m in messages if m.get("role") == "system"), None)
            prompt = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
            if self._fault(path, body, prompt, gemini=False):
                return
            text = self._answer(prompt, system, gemini=False)
            if text is None:
                return
            p_tok, c_tok = self._usage(sum(len(tokenize(m.get("content") or "")) for m in messages), text)
            logprobs = None
            if body.get("logprobs"):
                logprobs = {
                    "content": [
                        {
                            "token": t,
                            "logprob": fake.behaviour.chat_logprob(prompt, t),
                            "bytes": list(t.encode("utf-8")),
                            "top_logprobs": [],
                        }
                        for t, _ in tokenize(text)
                    ],
                    "refusal": None,
                }
            self._send(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text, "refusal": None},
                            "finish_reason": "stop",
                            "logprobs": logprobs,
                        }
                    ],
                    "usage": {"prompt_tokens": p_tok, "completion_tokens": c_tok, "total_tokens": p_tok + c_tok},
                },
            )

        # -- OpenAI / vLLM completions --------------------------------------------------------------
        def _completions(self, path: str, body: dict[str, Any]) -> None:
            prompt = body.get("prompt") or ""
            if isinstance(prompt, list):
                prompt = prompt[0]
            if self._fault(path, body, prompt, gemini=False):
                return
            echo = bool(body.get("echo")) and fake.behaviour.supports_echo
            generated = " next" if (body.get("max_tokens") or 0) > 0 else ""
            text = (prompt if echo else "") + generated
            tokens = tokenize(prompt + generated) if echo else tokenize(generated)
            logprobs = None
            if echo and body.get("logprobs") is not None:
                values: list[float | None] = [token_logprob(t) for t, _ in tokens]
                values[0] = None  # vLLM: no logprob for the first prompt token
                logprobs = {
                    "tokens": [t for t, _ in tokens],
                    "token_logprobs": values,
                    "text_offset": [o for _, o in tokens],
                    "top_logprobs": [None] + [{t: v} for (t, _), v in zip(tokens[1:], values[1:])],
                }
            p_tok = len(tokenize(prompt))
            c_tok = len(tokenize(generated))
            self._send(
                200,
                {
                    "id": "cmpl-fake",
                    "object": "text_completion",
                    "created": int(time.time()),
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "text": text,
                            "logprobs": logprobs,
                            "finish_reason": "length",
                            "stop_reason": None,
                            "prompt_logprobs": None,
                        }
                    ],
                    "usage": {"prompt_tokens": p_tok, "completion_tokens": c_tok, "total_tokens": p_tok + c_tok},
                },
            )

        # -- Gemini ---------------------------------------------------------------------------------
        def _gemini(self, path: str, body: dict[str, Any]) -> None:
            contents = body.get("contents") or []
            prompt = " ".join(
                p.get("text", "") for c in contents if c.get("role", "user") == "user" for p in c.get("parts", [])
            )
            system_parts = (body.get("systemInstruction") or {}).get("parts") or []
            system = " ".join(p.get("text", "") for p in system_parts) or None
            if self._fault(path, body, prompt, gemini=True):
                return
            text = self._answer(prompt, system, gemini=True)
            if text is None:
                return
            model = path.split("/models/", 1)[1].split(":", 1)[0]
            p_tok, c_tok = self._usage(len(tokenize(prompt)) + len(tokenize(system or "")), text)
            self._send(
                200,
                {
                    "candidates": [
                        {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
                    ],
                    "usageMetadata": _gemini_usage(p_tok, c_tok, fake.behaviour.thoughts_tokens),
                    "modelVersion": model,
                },
            )

        # -- scripted answers -----------------------------------------------------------------------------
        def _answer(self, prompt: str, system: str | None, *, gemini: bool) -> str | None:
            """The answer text; None when a scripted HTTP error was sent instead."""
            script = fake.behaviour.script
            if script is None:
                return fake.behaviour.reply(prompt, system)
            answer = script(self.current)
            if isinstance(answer, HttpError):
                self._error(answer.status, answer.message, answer.headers, gemini=gemini)
                return None
            return fake.behaviour.reply(prompt, system) if answer is None else answer

        def _usage(self, counted_prompt: int, text: str) -> tuple[int, int]:
            fixed = fake.behaviour.fixed_usage
            return fixed if fixed is not None else (counted_prompt, len(tokenize(text)))

        def _error(self, status: int, message: str, headers: dict[str, str] | None = None, *, gemini: bool) -> None:
            """The provider's error body: Google's carries a status name, OpenAI's does not."""
            name = ("UNAVAILABLE" if status >= 500 else "INVALID_ARGUMENT") if gemini else None
            self._send(status, {"error": {"code": status, "message": message, "status": name}}, headers)

        # -- Gemini streaming (server-sent events) ----------------------------------------------------------
        def _gemini_stream(self, path: str, body: dict[str, Any]) -> None:
            if "alt=sse" not in self.path:
                self._send(404, {"error": {"code": 404, "message": f"no route {self.path}", "status": "NOT_FOUND"}})
                return
            with fake._lock:
                reply = fake.stream_replies.pop(0) if fake.stream_replies else None
            if reply is None:
                scripted = fake.behaviour.script(self.current) if fake.behaviour.script else None
                reply = (
                    scripted.status
                    if isinstance(scripted, HttpError)
                    else ([scripted] if isinstance(scripted, str) else DEFAULT_STREAM)
                )
            if fake.behaviour.latency_s:
                time.sleep(fake.behaviour.latency_s)
            if isinstance(reply, int):
                self._error(reply, fake.error_message, gemini=True)
                return
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
                frame: dict[str, Any] = {
                    "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}],
                    "modelVersion": "fake-gemini",
                }
                if index == len(chunks) - 1 and not cut:
                    frame["candidates"][0]["finishReason"] = "STOP"
                    prompt_tokens, completion = fake.behaviour.fixed_usage or (120, len(chunks))
                    frame["usageMetadata"] = _gemini_usage(prompt_tokens, completion, fake.behaviour.thoughts_tokens)
                data = b"data: " + json.dumps(frame).encode() + b"\r\n\r\n"
                # counted before it is written: a client may read the frame before this thread runs again
                with fake._lock:
                    fake.frames_sent += 1
                self.wfile.write(data if cut else b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                if index == 0 and fake.hold_after_first:
                    fake._release.wait(timeout=120)  # released by the test; the bound only stops a stuck server
            if cut:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler


def _gemini_usage(prompt_tokens: int, completion_tokens: int, thoughts: int) -> dict[str, int]:
    usage = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": completion_tokens,
        "totalTokenCount": prompt_tokens + completion_tokens + thoughts,
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage
