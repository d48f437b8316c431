"""Assist tasks (redact, triage, summarize, draft), the two drafting engines and the pipeline."""
