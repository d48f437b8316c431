"""Bad-input campaign: every case runs a real CLI in its own process and is classified by what a user sees.

Outcomes: `clear` (refused with one message that names the input, exit status not 0, no traceback), `accepted`
(the input is fine, e.g. a UTF-8 BOM, and the command did its work), `traceback`, `hang` (no answer within the
case's time limit), `wrong` (exit status 0 for input that cannot be right, or a message that names nothing),
`lost` (the command destroyed or dropped something it had, e.g. a live index or the good rows of a file).

`python -m tests.robustness.campaign` prints the counts per outcome; the tests assert every case's expected outcome.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
DEMO_TICKET = ROOT / "desk" / "demo" / "tickets" / "T-1001.json"
PER_CASE_SECONDS = 90
ESC = "\x1b"


@dataclass
class Case:
    name: str
    surface: str                                   # which command or loader
    setup: Callable[[Path], list[str]]             # writes the input under a temp folder, returns the argv
    expect: str = "clear"                          # clear | accepted
    names: Callable[[Path], str] | None = None     # text the message must contain (the input's name)
    check: Callable[[Path, "Result"], str] | None = None  # "" or the reason the outcome is wrong/lost
    env: dict[str, str] = field(default_factory=dict)
    seconds: int = PER_CASE_SECONDS


@dataclass
class Result:
    code: int | None
    out: str
    err: str


def _ticket(**changes) -> dict:
    data = json.loads(DEMO_TICKET.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _assist(path_fn: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda tmp: ["chains", "assist", str(path_fn(tmp)), "--llm", "offline"]


def _ticket_file(content: str | bytes, name: str = "ticket.json") -> Callable[[Path], Path]:
    return lambda tmp: _write(tmp / name, content)


def _fifo(tmp: Path, name: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _nested(depth: int) -> str:
    return '{"id": "T-1", "x": ' + "[" * depth + "]" * depth + "}"


def _kb(files: dict[str, str | bytes], fifo: str = "") -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        for name, content in files.items():
            _write(tmp / "kb" / name, content)
        if fifo:
            _fifo(tmp / "kb", fifo)
        return ["knowledge", "build", "--source", str(tmp / "kb"), "--index", str(tmp / "index"), "--json"]
    return setup


def _article(body: str, front: str = "id: probe\ntitle: Probe article\nlang: en\n") -> str:
    return f"---\n{front}---\n# Probe\n\n{body}\n"


GOOD_BODY = "Refunds reach your card within five business days after we inspect the returned parcel."
BILLION_LAUGHS = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9 if i else ["lol"] * 9)
                         + "]\n" for i in range(9))


def _no_escape_in_output(tmp: Path, result: Result) -> str:
    return "raw control characters reached the terminal" if ESC in result.out or ESC in result.err else ""


def _kept_good_articles(tmp: Path, result: Result) -> str:
    try:
        report = json.loads(result.out)
    except json.JSONDecodeError:
        return "the build printed no JSON report"
    return "" if report.get("articles", 0) >= 1 or report.get("added") else "the good articles were dropped"


def _skipped(result: Result, name: str) -> str:
    report = json.loads(result.out)
    return "" if any(n == name for n, _ in report.get("skipped", [])) else f"{name} was not reported as skipped"


def _calibrate_questions(lines: list[str]) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        path = _write(tmp / "questions.jsonl", "\n".join(lines) + "\n")
        return ["knowledge", "calibrate", str(path), "--index", str(tmp / "index")]
    return setup


def _broken_index(tmp: Path) -> list[str]:
    version = tmp / "index" / "versions" / "v1"
    _write(version / "manifest.json", "{not json")
    _write(tmp / "index" / "CURRENT", "v1")
    return ["knowledge", "search", "refund", "--index", str(tmp / "index")]


def _eval_data(lines: list[str]) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        _write(tmp / "data" / "banking77" / "dev.jsonl", "\n".join(lines) + "\n")
        return ["evals", "--data-dir", str(tmp / "data"), "--only", "banking77", "--json", str(tmp / "out.json"),
                "--no-cache"]
    return setup


BANKING_ROWS = [json.dumps({"text": text, "category": label}) for text, label in
                [("my card was charged twice", "transaction_charged_twice"), ("I was billed two times", "transaction_charged_twice"),
                 ("where is my new card", "card_arrival"), ("my card has not arrived yet", "card_arrival"),
                 ("double charge on my statement", "transaction_charged_twice")]]

CASES: list[Case] = [
    # python -m chains assist TICKET
    Case("ticket missing path", "chains assist", lambda tmp: ["chains", "assist", str(tmp / "nope.json")],
         names=lambda tmp: "nope.json"),
    Case("ticket is a directory", "chains assist", lambda tmp: ["chains", "assist", str(tmp)],
         names=lambda tmp: tmp.name),
    Case("ticket is a named pipe", "chains assist", _assist(lambda tmp: _fifo(tmp, "pipe.json")),
         names=lambda tmp: "pipe.json", seconds=30),
    Case("ticket invalid UTF-8", "chains assist", _assist(_ticket_file(b'{"id": "T-1", "subject": "\xff\xfe"}')),
         names=lambda tmp: "ticket.json"),
    Case("ticket lone surrogate", "chains assist",
         _assist(_ticket_file(json.dumps(_ticket(subject="broken \ud800 text")))), names=lambda tmp: "ticket.json"),
    Case("ticket UTF-8 BOM", "chains assist",
         _assist(_ticket_file("\ufeff" + json.dumps(_ticket(), ensure_ascii=False))), expect="accepted"),
    Case("ticket nested 100000 deep", "chains assist", _assist(_ticket_file(_nested(100_000))),
         names=lambda tmp: "ticket.json"),
    Case("ticket unknown field", "chains assist", _assist(_ticket_file(json.dumps(_ticket(colour="blue")))),
         names=lambda tmp: "colour"),
    Case("ticket wrong type", "chains assist", _assist(_ticket_file(json.dumps(_ticket(messages="hello")))),
         names=lambda tmp: "messages"),
    Case("ticket time without timezone", "chains assist",
         _assist(_ticket_file(json.dumps(_ticket(messages=[{"role": "customer", "author": "A", "text": "Hi, where is it?",
                                                             "at": "2026-11-18T13:10:00"}])))),
         expect="accepted"),  # read as UTC, as the ticket format documents
    Case("ticket empty file", "chains assist", _assist(_ticket_file("")), names=lambda tmp: "ticket.json"),
    Case("ticket JSON array", "chains assist", _assist(_ticket_file("[1, 2]")), names=lambda tmp: "ticket.json"),
    Case("ticket 5 MB message", "chains assist",
         _assist(_ticket_file(json.dumps(_ticket(messages=[{"role": "customer", "author": "A", "at": "2026-11-18T13:10:00Z",
                                                             "text": "where is my parcel? " * 250_000}])))),
         expect="accepted", check=lambda tmp, r: "" if "ASSIST_MAX_MESSAGE_CHARS" in r.out else "no note of the cut",
         seconds=60),
    Case("ticket ANSI escapes in text", "chains assist",
         _assist(_ticket_file(json.dumps(_ticket(subject="\x1b[2J\x1b[31mRED\x1b[0m refund"))), ),
         expect="accepted", check=_no_escape_in_output),
    # python -m knowledge build --source
    Case("kb missing path", "knowledge build",
         lambda tmp: ["knowledge", "build", "--source", str(tmp / "none"), "--index", str(tmp / "index")],
         names=lambda tmp: "none"),
    Case("kb empty folder", "knowledge build", _kb({"notes.txt.bak": "not an article"}), names=lambda tmp: "kb"),
    Case("kb invalid UTF-8 article", "knowledge build",
         _kb({"good.md": _article(GOOD_BODY), "bad.md": b"---\nid: bad\n---\n\xff\xfe broken"}), expect="accepted",
         check=_kept_good_articles),
    Case("kb UTF-8 BOM article", "knowledge build", _kb({"bom.md": "\ufeff" + _article(GOOD_BODY)}), expect="accepted",
         check=_kept_good_articles),
    Case("kb YAML alias bomb", "knowledge build",
         _kb({"good.md": _article(GOOD_BODY, "id: good\ntitle: Good\n"),
              "bomb.md": _article(GOOD_BODY, "id: bomb\ntitle: Bomb\n" + BILLION_LAUGHS)}),
         expect="accepted", check=_kept_good_articles, seconds=60),
    Case("kb YAML python tag", "knowledge build",
         _kb({"good.md": _article(GOOD_BODY, "id: good\ntitle: Good\n"),
              "tag.md": _article(GOOD_BODY, "id: tag\ntitle: !!python/object/apply:os.system ['echo pwned']\n")}),
         expect="accepted", check=_kept_good_articles),
    Case("kb named pipe among articles", "knowledge build", _kb({"good.md": _article(GOOD_BODY)}, fifo="pipe.md"),
         expect="accepted", check=_kept_good_articles, seconds=60),
    Case("kb 20 MB article", "knowledge build", _kb({"good.md": _article(GOOD_BODY),
                                                     "huge.md": _article("Long text here. " * 1_300_000)}),
         expect="accepted", check=lambda tmp, r: _kept_good_articles(tmp, r) or _skipped(r, "huge.md"), seconds=120),
    # python -m knowledge search / calibrate
    Case("search k zero", "knowledge search", lambda tmp: ["knowledge", "search", "refund", "--k", "0"],
         names=lambda tmp: "--k"),
    Case("search k negative", "knowledge search", lambda tmp: ["knowledge", "search", "refund", "--k", "-3"],
         names=lambda tmp: "--k"),
    Case("search broken manifest", "knowledge search", _broken_index, names=lambda tmp: "index"),
    Case("calibrate missing file", "knowledge calibrate",
         lambda tmp: ["knowledge", "calibrate", str(tmp / "q.jsonl"), "--index", str(tmp / "index")],
         names=lambda tmp: "q.jsonl"),
    Case("calibrate bad line", "knowledge calibrate",
         _calibrate_questions([json.dumps({"question": "q", "article_id": "a"}), "{broken"]),
         names=lambda tmp: "line 2"),
    # python -m evals --data-dir
    Case("evals missing data dir", "evals", lambda tmp: ["evals", "--data-dir", str(tmp / "nodata"), "--only", "banking77"],
         names=lambda tmp: "nodata"),
    Case("evals unknown dataset", "evals", lambda tmp: ["evals", "--only", "no_such_set"], names=lambda tmp: "no_such_set"),
    Case("evals one bad JSONL line", "evals", _eval_data(BANKING_ROWS + ["{broken"] + BANKING_ROWS),
         expect="accepted", check=lambda tmp, r: "" if "line 6" in r.err else "the bad line was not reported"),
    Case("evals rows lack a field", "evals", _eval_data([json.dumps({"text": "card charged twice"})] * 4),
         names=lambda tmp: "category"),
    Case("evals limit zero", "evals", lambda tmp: ["evals", "--only", "banking77", "--limit", "0"],
         names=lambda tmp: "--limit"),
    # python -m desk
    Case("desk unreachable database", "desk users",
         lambda tmp: ["desk", "users", "list"],
         env={"ASSIST_DATABASE_URL": "postgresql+psycopg://u:s3cret-pw@127.0.0.1:1/none"},
         names=lambda tmp: "127.0.0.1", check=lambda tmp, r: "the password was printed" if "s3cret-pw" in r.err + r.out else "",
         seconds=60),
    Case("desk database under a file", "desk users",
         lambda tmp: (_write(tmp / "plain.txt", "x"), ["desk", "users", "list"])[1],
         env={"ASSIST_DATABASE_URL": "sqlite:///{tmp}/plain.txt/desk.db"}, names=lambda tmp: "plain.txt"),
]


def run(case: Case, tmp: Path) -> Result | None:
    """The case's command in a fresh process, or None when it did not answer in time."""
    argv = case.setup(tmp)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "HF_HUB_OFFLINE": "1",
           "ASSIST_DATABASE_URL": f"sqlite:///{tmp / 'desk.db'}",
           **{k: v.replace("{tmp}", str(tmp)) for k, v in case.env.items()}}
    try:
        done = subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env=env, capture_output=True,
                              timeout=case.seconds, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    return Result(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def classify(case: Case, tmp: Path, result: Result | None) -> tuple[str, str]:
    """(outcome, why) for one case's result."""
    if result is None:
        return "hang", f"no answer within {case.seconds} s"
    if "Traceback (most recent call last)" in result.err or "Traceback (most recent call last)" in result.out:
        return "traceback", result.err.strip().splitlines()[-1] if result.err.strip() else "traceback"
    problem = case.check(tmp, result) if case.check else ""
    if case.expect == "accepted":
        if result.code != 0:
            return "wrong", f"refused good input: {result.err.strip()[:200]}"
        return ("lost" if "dropped" in problem else "wrong", problem) if problem else ("accepted", "")
    if result.code == 0:
        return "wrong", "exit status 0 for bad input"
    message = error_message(result)
    wanted = case.names(tmp) if case.names else ""
    if not message or (wanted and wanted.lower() not in message.lower()):
        return "wrong", f"message does not name {wanted!r}: {message[:200]}"
    if problem:
        return "wrong", problem
    return "clear", ""


def error_message(result: Result) -> str:
    """The lines the command printed as its error (progress bars and warnings of libraries left out)."""
    lines = [line for line in result.err.splitlines() if line.lower().startswith(("error", "refused", "warning"))]
    return "\n".join(lines) or result.err.strip()[-500:] or result.out.strip()[-500:]


def campaign(root: Path) -> list[tuple[Case, str, str]]:
    outcomes = []
    for n, case in enumerate(CASES):
        tmp = root / f"case{n:02d}"
        tmp.mkdir(parents=True)
        outcomes.append((case, *classify(case, tmp, run(case, tmp))))
    return outcomes


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bad-inputs-") as tmp:
        outcomes = campaign(Path(tmp))
    for case, outcome, why in outcomes:
        print(f"{outcome:10s} {case.surface:20s} {case.name}{': ' + why if why else ''}")
    print(json.dumps({"tried": len(outcomes), **Counter(o for _, o, _ in outcomes)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
