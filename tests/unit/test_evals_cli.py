"""`python -m evals` on a tiny data folder: any split name, skipped datasets, and the JSON metric names."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.__main__ import main

DOCS = [
    {"title": "Change of address#1_0", "domain": "dmv", "doc_text": (
        "Change your address\n\nYou must report a change of address to the DMV within ten days of moving. "
        "You can change the address on your license and registration online. There is no fee to change an address.")},
    {"title": "Retirement benefits#1_0", "domain": "ssa", "doc_text": (
        "Retirement benefits\n\nYou can apply for retirement benefits online when you are at least 61 years "
        "and 9 months old. Your benefit amount depends on your earnings record. Benefits are paid monthly by direct deposit.")},
    {"title": "Student loan repayment#1_0", "domain": "studentaid", "doc_text": (
        "Repaying student loans\n\nYour first student loan payment is due six months after you graduate. "
        "An income-driven repayment plan sets the monthly payment based on your income and family size.")},
]
TURNS = [
    ("d1", "Change of address#1_0", ["I moved last week.", "Do I have to tell the DMV about my new address?"]),
    ("d2", "Retirement benefits#1_0", ["When can I apply for retirement benefits?"]),
    ("d3", "Student loan repayment#1_0", ["When is my first student loan payment due?"]),
    ("d4", "Change of address#1_0", ["Is there a fee to change the address on my license?"]),
    ("d5", "Retirement benefits#1_0", ["How are retirement benefits paid each month?"]),
    ("d6", "Student loan repayment#1_0", ["Can my loan payment depend on my income?"]),
]
INTENTS = {
    "card_arrival": ["Where is my new card?", "My card has not arrived yet", "When will my card be delivered?",
                     "Is my card in the mail?", "Still waiting for the card you sent"],
    "lost_card": ["I lost my card", "My card was stolen", "Someone took my wallet with my card",
                  "I can't find my card anywhere", "Please block my lost card"],
    "exchange_rate": ["What exchange rate do you use?", "How much is the euro rate today?", "Is the currency rate fair?",
                      "Which rate applies when I exchange money?", "Why was my exchange rate bad?"],
}


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _doc2dial_row(dial: str, title: str, user_turns: list[str]) -> dict:
    history = [f"user:{t}" for t in reversed(user_turns)]
    return {"id": f"{dial}_{len(user_turns)}", "dial_id": dial, "turn_id": len(user_turns), "domain": "x", "title": title,
            "question": " \t".join(history), "latest_user_utterance": user_turns[-1],
            "answers": {"text": [next(d["doc_text"] for d in DOCS if d["title"] == title).split("\n\n")[1]],
                        "answer_start": [0], "spans": {}}}


def _tweetsumm_row(n: int) -> dict:
    turns = [{"speaker": "Customer", "text": "@Shop my order 1234 has not arrived and the tracking page shows nothing."},
             {"speaker": "Agent", "text": "@55 Sorry about that. Please send us your order number by DM so we can check."},
             {"speaker": "Customer", "text": "@Shop I sent it. When will the parcel arrive?"}]
    return {"conversation_id": f"c{n}", "turns": turns,
            "abstractive_summaries": [["Customer says the order has not arrived.", "Agent asks for the order number."]] * 3}


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    _write(root / "doc2dial" / "docs.jsonl", DOCS)
    _write(root / "doc2dial" / "dev.jsonl", [_doc2dial_row(*t) for t in TURNS])
    _write(root / "doc2dial" / "holdout.jsonl", [_doc2dial_row(*t) for t in TURNS[:3]])
    rows = [{"text": text, "category": label} for label, texts in INTENTS.items() for text in texts]
    _write(root / "banking77" / "dev.jsonl", [r for i, r in enumerate(rows) if i % 5])
    _write(root / "banking77" / "holdout.jsonl", [r for i, r in enumerate(rows) if not i % 5])
    _write(root / "tweetsumm" / "holdout.jsonl", [_tweetsumm_row(n) for n in range(2)])
    _write(root / "ko_3i4k" / "holdout.jsonl", [{"text": "배송 언제 와요?", "label": 2}])
    _write(root / "abcd_kb" / "guidelines.jsonl", [
        {"flow": "Orders", "flow_description": "order issues", "subflow": "Status Delivery",
         "instructions": ["Check the order."],
         "actions": [{"type": "interaction", "button": "Pull up Account", "text": "Ask for the account ID.",
                      "subtext": []}]}])
    return root


def test_cli_scores_another_split_skips_absent_data_and_names_metrics(data_dir: Path, tmp_path: Path, capsys):
    out, md = tmp_path / "out" / "eval.json", tmp_path / "out" / "eval.md"
    only = "doc2dial,banking77,bitext_customer_support,tweetsumm,ko_3i4k,abcd_kb"
    code = main(["--data-dir", str(data_dir), "--split", "holdout", "--only", only, "--no-cache",
                 "--json", str(out), "--markdown", str(md)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "skipping bitext_customer_support" in printed
    assert "skipping ko_3i4k" in printed and "dev.jsonl" in printed  # training labels only ever come from dev
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"doc2dial", "banking77", "tweetsumm", "abcd_kb", "_meta"}
    d2d = doc["doc2dial"]
    for name in ("recall@1", "recall@5", "recall@10", "mrr", "ms_per_query", "abstain_when_gold_removed",
                 "answered_when_gold_present", "span_token_recall", "supported_sentence_rate", "abstain_rate",
                 "draft_token_precision", "draft_token_recall", "draft_token_f1", "draft_body_words"):
        assert isinstance(d2d[name], (int, float)), name
    for group in ("bm25_only", "dense_only"):
        assert set(d2d[group]) >= {"recall@1", "recall@5", "recall@10", "mrr"}
        assert d2d[f"{group}_recall@5"] == d2d[group]["recall@5"]
    assert {"accuracy", "macro_f1", "nearest_centroid", "nearest_centroid_accuracy"} <= set(doc["banking77"])
    assert {"rouge1", "rouge2", "rougeL", "mean_words", "lead3"} <= set(doc["tweetsumm"])
    assert doc["abcd_kb"] == {"articles": 1, "chunks": doc["abcd_kb"]["chunks"], "skipped": 0}
    meta = doc["_meta"]
    assert meta["split"] == "holdout" and meta["engine"] == "offline"
    assert meta["notes"]["banking77"]["items"] == 3 and meta["notes"]["doc2dial"]["queries"] == 3
    assert {"wall_seconds", "versions", "embedding_model", "date", "data_dir"} <= set(meta)
    report = md.read_text(encoding="utf-8")
    assert "engine offline" in report and "| doc2dial | recall@5 |" in report


def test_cli_rejects_unknown_dataset(data_dir: Path):
    with pytest.raises(SystemExit):
        main(["--data-dir", str(data_dir), "--only", "nope"])
