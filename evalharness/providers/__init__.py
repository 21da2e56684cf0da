"""Provider plumbing shared by everything that calls an external model: remote checkpoints, the LLM judge,
the reviewer chat.

One job per module:

- `settings`    — the `[providers.<name>]` config section (limits, retries, timeouts, prices);
- `keys`        — API keys from the environment, a `Secret` that never prints, `scrub()` for any text;
- `failures`    — SDK exceptions → a `Failure` (retryable? fatal? Retry-After?) with a key-free reason;
- `concurrency` — an adaptive limit on requests in flight: shrinks on 429, recovers on success;
- `ratelimit`   — optional requests- and tokens-per-minute budgets;
- `retry`       — jittered exponential backoff that honours Retry-After;
- `audit`       — every external call as a row of `external_calls`, written in batches;
- `pricing`     — the price table → cost of calls and runs;
- `clients`     — `openai.AsyncOpenAI` / `genai.Client` built with our timeouts and SDK retries off;
- `session`     — all of the above around one awaited call: `ProviderSession.call(...)`;
- `bridge`      — an asyncio loop on a background thread, results handed to a plain iterator.
"""
