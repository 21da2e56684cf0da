"""`evalharness review` end to end (typer's runner, the real SDK, a loopback Gemini)."""

import json

from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.errors import EvalHarnessError

from .conftest import DECISION_ID, KEY, RUN_ID

runner = CliRunner()


def _invoke(args, env=None, input=None):
    return runner.invoke(app, ["review", *args], env=env or {}, input=input, catch_exceptions=True)


def test_ask_json_with_a_model(project, fake_gemini, retriever, tmp_path):
    config = project.write_config(tmp_path / "eh.toml", base_url=fake_gemini.base_url)
    fake_gemini.script = [["stoney-v2 was reverted ", f"[decision:{DECISION_ID}]."]]
    result = _invoke(["--ask", "Why was stoney-v2 reverted?", "--json", "--config", str(config)],
                     env={"GOOGLE_API_KEY": KEY})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model_configured"] and len(data["turns"]) == 1  # --ask alone skips the assessment
    turn = data["turns"][0]
    assert turn["status"] == "answered" and turn["model_answered"]
    assert turn["answer"] == f"stoney-v2 was reverted [decision:{DECISION_ID}]."
    assert turn["cited"] == [f"decision:{DECISION_ID}"]
    assert turn["passages"][0]["source"] == f"decision:{DECISION_ID}" and turn["passages"][0]["text"]
    assert data["corpus"]["passages"] > 10 and f"run:{RUN_ID}" in data["corpus"]["results"]
    assert KEY not in result.output
    assert len(fake_gemini.stream_requests()) == 1


def test_json_without_ask_gives_the_assessment(project, fake_gemini, retriever, tmp_path):
    config = project.write_config(tmp_path / "eh.toml", base_url=fake_gemini.base_url)
    fake_gemini.script = [["An assessment."]]
    result = _invoke(["--json", "--config", str(config)], env={"GEMINI_API_KEY": KEY})
    assert result.exit_code == 0, result.output
    (turn,) = json.loads(result.stdout)["turns"]
    assert turn["kind"] == "assessment" and turn["answer"] == "An assessment."


def test_ask_without_a_key_prints_retrieval_only(project, tmp_path):
    config = project.write_config(tmp_path / "eh.toml")
    result = _invoke(["--ask", "Why was stoney-v2 reverted?", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "No model answered" in result.stdout and f"[decision:{DECISION_ID}]" in result.stdout
    assert "retrieval only" in result.stderr


def test_interactive_session_streams_the_assessment_then_answers(project, fake_gemini, retriever, tmp_path):
    config = project.write_config(tmp_path / "eh.toml", base_url=fake_gemini.base_url)
    fake_gemini.script = [["Opening ", "assessment [docs/gate.md > The gate > Policy]."], ["Follow-up ", "answer."]]
    result = _invoke(["--config", str(config)], env={"GOOGLE_API_KEY": KEY}, input="What is the gate?\nexit\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Opening assessment") < out.index("Sources cited") < out.index("Follow-up answer.")
    assert "docs/gate.md > The gate > Policy" in out
    turns = fake_gemini.turns(fake_gemini.stream_requests()[1])
    assert turns[1] == ("model", "Opening assessment [docs/gate.md > The gate > Policy].")


def _failure(result) -> tuple[int, str]:
    """Exit code and message, whether the app itself turns typed errors into exit codes or leaves it to main()."""
    if isinstance(result.exception, EvalHarnessError):
        return result.exception.exit_code, str(result.exception)
    return result.exit_code, result.output


def test_an_empty_question_is_bad_input(project, tmp_path):
    config = project.write_config(tmp_path / "eh.toml")
    code, message = _failure(_invoke(["--ask", "  ", "--config", str(config)]))
    assert code == 2 and "question is empty" in message


def test_a_misspelt_reviewer_key_is_a_config_error(project, tmp_path):
    config = project.write_config(tmp_path / "eh.toml", temprature=0.5)
    code, message = _failure(_invoke(["--ask", "x", "--config", str(config)]))
    assert code == 2 and "reviewer.temprature" in message
