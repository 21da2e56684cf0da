"""The reviewer's fake: the one loopback provider server (evalharness.testing), driven the way the reviewer
tests script a streamed Gemini chat.

`script` holds one reply per request to `:streamGenerateContent?alt=sse`: a list of text chunks (a 200 stream,
usage on the last frame), an int (that HTTP status with a Google error body echoing `error_message`),
("cut", chunks) (those chunks, then the connection drops) or ("raw", bytes). With no script left it answers
a default two-chunk reply. `hold_after_first` holds the stream after its first frame until `release()`;
`delay_s` holds every reply back that long (to exercise timeouts).
"""

from __future__ import annotations

from typing import Any

from evalharness.testing.fake_providers import FakeProviderServer


class FakeGemini(FakeProviderServer):
    @property
    def script(self) -> list[Any]:
        return self.stream_replies

    @script.setter
    def script(self, replies: list[Any]) -> None:
        self.stream_replies = list(replies)

    @property
    def delay_s(self) -> float:
        return self.behaviour.latency_s

    @delay_s.setter
    def delay_s(self, seconds: float) -> None:
        self.behaviour.latency_s = seconds

    @property
    def base_url(self) -> str:
        return self.url

    # -- what the tests look at: requests as dicts (path, body, headers) -----------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return [{"path": r.path, "body": r.body, "headers": r.headers} for r in self.recorded]

    def stream_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if ":streamGenerateContent" in r["path"]]

    @staticmethod
    def system_text(request: dict[str, Any]) -> str:
        return "".join(p.get("text", "") for p in request["body"]["systemInstruction"]["parts"])

    @staticmethod
    def turns(request: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c.get("role", ""), "".join(p.get("text", "") for p in c["parts"])) for c in request["body"]["contents"]]
