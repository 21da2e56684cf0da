"""The LLM judge behind the Cultural Authenticity Score (CAS).

One job per module:

- `rubric`    — the community-editable rubric file (TOML), validated; its sha256 is its identity;
- `verdict`   — the verdict schema built from the rubric, and the strict parser every answer goes through;
- `prompt`    — fixed instructions + the graded texts as delimited data;
- `settings`  — the `[judge]` config section; which judges count as external for governance;
- `clients`   — Gemini, OpenAI and OpenAI-compatible judges, with structured output;
- `records`   — the judge cache (`judge_calls`), per-run verdicts, stored rubrics (migration 0003);
- `engine`    — judge (item, candidate) pairs k times each: cache, retries, audit, aggregation;
- `ratings`   — human ratings from CSV/JSONL or the dashboard's `ratings` table;
- `calibrate` — judge–human agreement: quadratic-weighted κ and Spearman ρ with bootstrap CIs.

Nothing heavy is imported here: the config imports `settings`.
"""
