"""What the app process loads to assist an English and a Korean ticket: none of the heavy libraries that only fitting
and the evaluation need (scikit-learn, pandas, pyarrow, nltk ~350 MB resident together; scipy ~14 MB more), and one
MiniLM session shared by retrieval and intent (a second one is ~70 MB)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ONLY_FOR_FITTING_AND_EVALUATION = ("sklearn", "scipy", "pandas", "pyarrow", "nltk", "torch", "transformers")
ASSIST_TWO_TICKETS = """
import sys
from chains.pipeline import assist
from chains.runtime import build_deps
from core.settings import load_settings
from core.tickets import load_tickets
from desk.tickets import demo_tickets_dir

tickets = {t.id: t for t in load_tickets(demo_tickets_dir())}
deps = build_deps(load_settings())
for ticket_id in ("T-1001", "T-1003"):
    assert assist(tickets[ticket_id], deps).drafts, ticket_id
assert deps.offline.intent_classifier.embedder is deps.index.embedder, "intent and retrieval load two MiniLM sessions"
print(",".join(sorted(set(sys.argv[1].split(",")) & {m.split(".")[0] for m in sys.modules})) or "none")
"""


def test_app_footprint_assisting_tickets_imports_no_fitting_or_evaluation_library(demo_index_dir):
    env = dict(os.environ, ASSIST_INDEX_DIR=str(demo_index_dir), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", ASSIST_TWO_TICKETS, ",".join(ONLY_FOR_FITTING_AND_EVALUATION)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "none"
