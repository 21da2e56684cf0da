"""The reviewer against a loopback Gemini, through the real google-genai SDK."""

import logging
import socket
import threading

import pytest

from evalharness.reviewer import open_session
from evalharness.reviewer.prompt import SYSTEM_INSTRUCTION
from evalharness.store import Store

from .conftest import DECISION_ID, INJECTION, KEY, REASON, RUN_ID

ASSESSMENT = ["The project gates ", "Stoney Nakoda checkpoints ", f"[docs/gate.md > The gate > Policy]; ",
              f"stoney-v2 was reverted [decision:{DECISION_ID}]."]


def _session(project, fake, retriever, **reviewer):
    config = project.config(base_url=fake.base_url, **reviewer)
    return open_session(config, retriever=retriever, api_key=KEY, sleep=lambda s: None)


def _data_block(text: str) -> tuple[int, int]:
    return text.index("<project_data>"), text.rindex("</project_data>")


def test_the_assessment_streams_chunk_by_chunk(project, fake_gemini, retriever):
    fake_gemini.script = [ASSESSMENT]
    fake_gemini.hold_after_first = True
    session = _session(project, fake_gemini, retriever)
    reply = session.assess()
    chunks = []
    for chunk in reply:
        chunks.append(chunk)
        if len(chunks) == 1:
            # the first chunk is here while the server still holds back the rest: it really streams
            assert fake_gemini.frames_sent == 1
            fake_gemini.release()
    assert chunks == ASSESSMENT
    answer = reply.result()
    assert answer.status == "answered" and answer.kind == "assessment" and answer.text == "".join(ASSESSMENT)
    assert answer.cited == ("docs/gate.md > The gate > Policy", f"decision:{DECISION_ID}")
    assert answer.usage == {"prompt_tokens": 120, "completion_tokens": 4}
    request = fake_gemini.stream_requests()[0]
    assert request["path"].startswith("/v1/models/gemini-2.5-flash:streamGenerateContent")
    assert request["body"]["generationConfig"]["temperature"] == pytest.approx(0.2)


def test_the_request_carries_the_passages_and_the_run_report(project, fake_gemini, retriever):
    fake_gemini.script = [ASSESSMENT]
    session = _session(project, fake_gemini, retriever)
    answer = session.assess().result()
    (role, text), = fake_gemini.turns(fake_gemini.stream_requests()[0])
    assert role == "user" and "<request>" in text
    for ranked in answer.passages:  # everything the answer may cite was in the request
        assert f'source="{ranked.passage.label}"' in text
        assert ranked.passage.text in text
    assert f'source="run:{RUN_ID}"' in text and "chrf++: 22.210" in text
    assert f'source="decision:{DECISION_ID}"' in text and REASON in text and "revert (exit code 1)" in text
    # a question about the gate brings the gate's report sections
    fake_gemini.script = [["Because chrF++ regressed."]]
    session.ask("What does the gate report say about the metrics of stoney-v2?").result()
    text = fake_gemini.turns(fake_gemini.stream_requests()[1])[-1][1]
    assert f'source="decision:{DECISION_ID} > Gate report: stoney-v2 against stoney-base > Metrics"' in text
    assert "| chrF++ | -2.10 | [-3.02, -1.21] | 0.001 |" in text


def test_a_follow_up_carries_the_history(project, fake_gemini, retriever):
    fake_gemini.script = [ASSESSMENT, ["It was reverted ", "because chrF++ fell."]]
    session = _session(project, fake_gemini, retriever)
    session.assess().result()
    answer = session.ask("Why was stoney-v2 reverted?").result()
    assert answer.text == "It was reverted because chrF++ fell."
    turns = fake_gemini.turns(fake_gemini.stream_requests()[1])
    assert [r for r, _ in turns] == ["user", "model", "user"]
    assert turns[0][1].startswith("<request>") and "<project_data>" not in turns[0][1]
    assert turns[1][1] == "".join(ASSESSMENT)
    assert "<question>\nWhy was stoney-v2 reverted?\n</question>" in turns[2][1] and "<project_data>" in turns[2][1]
    assert answer.passages[0].passage.source == f"decision:{DECISION_ID}"


def test_history_is_bounded_oldest_first(project, fake_gemini, retriever):
    fake_gemini.script = [["a" * 300], ["b" * 300], ["c" * 300]]
    session = _session(project, fake_gemini, retriever, max_history_chars=400)
    session.ask("first question?").result()
    session.ask("second question?").result()
    answer = session.ask("third question?").result()
    turns = fake_gemini.turns(fake_gemini.stream_requests()[2])
    assert [t for _, t in turns[:-1]] == ["<question>\nsecond question?\n</question>", "b" * 300]
    assert answer.history_turns_dropped == 2


def test_an_injected_document_stays_data(project, fake_gemini, retriever):
    fake_gemini.script = [["Noted."], ["Noted again."]]
    session = _session(project, fake_gemini, retriever, top_k=100, context_chars=100_000)
    session.assess().result()
    session.ask("What do the notes say?").result()
    for request in fake_gemini.stream_requests():
        assert fake_gemini.system_text(request) == SYSTEM_INSTRUCTION
        assert INJECTION not in fake_gemini.system_text(request)
        text = fake_gemini.turns(request)[-1][1]
        start, end = _data_block(text)
        where = text.index(INJECTION)
        assert start < where < end and text.count(INJECTION) == 1
        # the document's own "</project_data>" cannot close the block early
        assert text.count("</project_data>") == 1 and "&lt;/project_data>" in text


def test_retries_before_the_first_chunk_and_audits_every_call(project, fake_gemini, retriever):
    fake_gemini.script = [503, ["Recovered."]]
    session = _session(project, fake_gemini, retriever)
    answer = session.ask("What is the gate?").result()
    assert answer.status == "answered" and answer.text == "Recovered."
    assert len(fake_gemini.stream_requests()) == 2
    rows = Store(project.db).query("SELECT provider, model, purpose, status, http_status, prompt_tokens, item_id "
                                   "FROM external_calls ORDER BY called_at, status")
    assert sorted(rows) == [("gemini", "gemini-2.5-flash", "review", "ok", 200, 120, None),
                            ("gemini", "gemini-2.5-flash", "review", "retried", 503, None, None)]


def test_a_refused_request_falls_back_to_retrieval_without_the_key(project, fake_gemini, retriever, caplog):
    caplog.set_level(logging.DEBUG)
    fake_gemini.script = [400]
    fake_gemini.error_message = f"API key not valid: {KEY}"  # a server that echoes the key
    session = _session(project, fake_gemini, retriever)
    reply = session.ask("What is the gate?")
    text = "".join(reply)
    answer = reply.result()
    assert len(fake_gemini.stream_requests()) == 1  # a 400 is not retried
    assert answer.status == "retrieval_only" and "HTTP 400" in answer.note
    assert text.startswith("**No model answered.**") and answer.passages
    assert fake_gemini.requests[0]["headers"]["x-goog-api-key"] == KEY  # the key was used...
    for shown in (text, answer.note, str(answer.to_json()), caplog.text, repr(session)):
        assert KEY not in shown  # ...and appears nowhere we print, log or return
    assert KEY.encode() not in project.db.read_bytes()


def test_offline_means_retrieval_only(project, retriever):
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = project.config(base_url=f"http://127.0.0.1:{port}", retries=1)
    session = open_session(config, retriever=retriever, api_key=KEY, sleep=lambda s: None)
    reply = session.ask("Why was stoney-v2 reverted?")
    text = "".join(reply)
    answer = reply.result()
    assert answer.status == "retrieval_only" and not answer.to_json()["model_answered"]
    assert "No model answered" in text and "could not reach" in answer.note and "2 attempts" in answer.note
    assert f"[decision:{DECISION_ID}]" in text  # the best passage, with its citation
    assert session.history == []


def test_a_slow_endpoint_times_out_and_falls_back(project, fake_gemini, retriever):
    fake_gemini.delay_s = 1.5
    session = _session(project, fake_gemini, retriever, timeout_s=0.3, retries=1)
    answer = session.ask("What is the gate?").result()
    assert answer.status == "retrieval_only" and "Timeout" in answer.note and "2 attempts" in answer.note
    assert len(fake_gemini.stream_requests()) == 2


def test_without_a_key_nothing_is_sent(project, fake_gemini, retriever):
    config = project.config(base_url=fake_gemini.base_url)
    session = open_session(config, retriever=retriever)  # key from the (empty) environment
    assert not session.has_model
    reply = session.assess()
    text = "".join(reply)
    answer = reply.result()
    assert fake_gemini.requests == []
    assert answer.status == "retrieval_only" and "No model answered" in text and "GOOGLE_API_KEY" in text
    assert f"run:{RUN_ID}" in answer.sources and f"decision:{DECISION_ID}" in answer.sources


def test_a_reply_cut_mid_stream_is_marked_and_kept_out_of_the_history(project, fake_gemini, retriever):
    fake_gemini.script = [("cut", ["Partial answer "])]
    session = _session(project, fake_gemini, retriever)
    reply = session.ask("What is the gate?")
    chunks = list(reply)
    answer = reply.result()
    assert chunks[0] == "Partial answer " and "interrupted" in chunks[-1]
    assert answer.status == "interrupted" and answer.text == "Partial answer "
    assert len(fake_gemini.stream_requests()) == 1  # never retried once text was shown
    assert session.history == []


def test_a_malformed_stream_is_a_stated_failure(project, fake_gemini, retriever):
    fake_gemini.script = [("raw", b"data: {not json\r\n\r\n")]
    answer = _session(project, fake_gemini, retriever).ask("What is the gate?").result()
    assert answer.status == "retrieval_only" and "UnknownApiResponseError" in answer.note
    assert len(fake_gemini.stream_requests()) == 1  # a malformed reply is not retried


def test_sessions_in_threads_share_one_retriever(project, fake_gemini, retriever):
    fake_gemini.script = [["one"], ["two"], ["three"]]
    results = []

    def ask(question):
        results.append(_session(project, fake_gemini, retriever).ask(question).result().status)

    threads = [threading.Thread(target=ask, args=(q,)) for q in ("gate?", "suites?", "rubric?")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == ["answered"] * 3
