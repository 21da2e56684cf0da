"""Monitoring what is deployed: canary checks, a drift alarm across checks, retirement, alerts, live answers.

A check (`check.run_check`) asks the endpoint a fixed canary sample of held-out items again — fresh
answers, never the cache — scores them with the usual metrics, compares them with the baseline using the
gate's paired statistics, and feeds an anytime-valid sequential test (`sequential`) whose false-alarm
probability stays below α however many checks run. Alerts go out on state changes only (`alerts`,
`sinks`). Conversation logs of the deployed app become live answers for reviewers (`importlog`).
"""
