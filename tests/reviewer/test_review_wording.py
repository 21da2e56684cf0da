"""What the reviewer says when no model answered, and what the docs say its JSON holds."""

import re
import socket
from pathlib import Path

from evalharness.reviewer import open_session

from .conftest import KEY

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reviewer.md"


def test_a_failed_request_says_no_model_answered_once(project, retriever):
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = open_session(project.config(base_url=f"http://127.0.0.1:{port}", retries=0), retriever=retriever,
                           api_key=KEY, sleep=lambda s: None)
    reply = session.ask("Why was stoney-v2 reverted?")
    text = "".join(reply)
    assert reply.result().status == "retrieval_only"
    assert text.count("No model answered") == 1 and "could not reach" in text


def test_docs_name_the_passage_keys_the_json_has(project, retriever):
    session = open_session(project.config(), retriever=retriever, api_key=None, sleep=lambda s: None)
    passage = session.ask("Why was stoney-v2 reverted?").result().to_json()["passages"][0]
    documented = re.search(r"`passages` \(([^)]*)\)", DOCS.read_text(encoding="utf-8"))
    assert documented is not None
    assert [k.strip() for k in documented.group(1).split(";")[0].split(",")] == list(passage)
