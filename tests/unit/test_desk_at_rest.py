"""What the desk keeps at rest: encrypted text, private files, purged text with kept numbers, scrubbed errors."""
from __future__ import annotations

import logging
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.settings import load_settings
from core.types import AuditEvent, Ticket
from desk.__main__ import main
from desk.db import scrub_error
from desk.encryption import PREFIX, EncryptionKeyError, TextCipher
from desk.records import REMOVED_TEXT, ChosenSuggestion
from desk.report import lead_report
from desk.retention import purge_text
from desk.send import RecordSender, SuggestionRecord, send_reply
from desk.store import open_store

SECRET = "card 4111 1111 1111 1111, RRN 123456789012"
KEY, OTHER_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
NOW = datetime.now(timezone.utc)


def keyed(*keys: str):
    return load_settings({"ASSIST_ENCRYPTION_KEY": ",".join(keys)})


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "var" / "desk.db"


@pytest.fixture
def db_url(db_path):
    return f"sqlite:///{db_path}"


def ticket(ticket_id="T-1") -> Ticket:
    return Ticket(id=ticket_id, messages=[{"role": "customer", "author": "Minji", "text": "Where is my refund?"}])


def suggestion(text=SECRET) -> SuggestionRecord:
    return SuggestionRecord(engine="offline", model="offline-grounded", suggested=text, tone="warm")


def audit_event(sent_at: datetime, sent: str, suggested: str) -> AuditEvent:
    return AuditEvent(ticket_id="T-9", agent="alex", engine="offline", model="m", suggested=suggested, sent=sent,
                      edit_distance=0.25, similarity=0.5, sent_at=sent_at, suggested_at=sent_at - timedelta(minutes=3))


def store_everything(store) -> None:
    """One row of every kind that holds customer text."""
    send_reply(ticket(), SECRET + " sent", "alex", suggestion(), RecordSender(), store)
    store.save_working_state("T-2", "alex", text=SECRET + " typed", suggestion=ChosenSuggestion(
        engine="offline", model="m", text=SECRET + " suggested"))
    store.add_sent_reply("T-3", "sam", SECRET + " imported", NOW)
    store.cache_put("sha256:abc", '{"draft": "%s"}' % SECRET)


def raw_text(db_path) -> str:
    """Every value of every table of the SQLite file, as one string."""
    connection = sqlite3.connect(db_path)
    names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    values = [str(value) for name in names for row in connection.execute(f'SELECT * FROM "{name}"') for value in row]
    connection.close()
    return "\n".join(values)


def test_encrypted_store_database_holds_no_plaintext_and_reads_back(db_url, db_path):
    with open_store(db_url, keyed(KEY)) as store:
        store_everything(store)
        assert store.audit_events()[0].sent == SECRET + " sent" and store.audit_events()[0].suggested == SECRET
        assert store.sent_replies("T-1")[0].text == SECRET + " sent"
        assert store.outbox_entry(1).text == SECRET + " sent"
        state = store.working_state("T-2", "alex")
        assert state.text == SECRET + " typed" and state.suggestion.text == SECRET + " suggested"
        assert store.cache_get("sha256:abc") == '{"draft": "%s"}' % SECRET
    stored = raw_text(db_path)
    assert "4111" not in stored and "123456789012" not in stored and PREFIX in stored


def test_store_without_a_key_keeps_text_as_today_and_no_shared_cache(db_url, db_path):
    with open_store(db_url, keyed()) as store:
        store_everything(store)
        assert store.cache_get("sha256:abc") is None
    stored = raw_text(db_path)
    assert SECRET + " sent" in stored and PREFIX not in stored and '"draft"' not in stored


def test_store_plaintext_rows_keep_reading_after_encryption_is_turned_on(db_url):
    with open_store(db_url, keyed()) as store:
        store.add_sent_reply("T-1", "alex", "written in clear", NOW)
    with open_store(db_url, keyed(KEY)) as store:
        store.add_sent_reply("T-1", "alex", "written sealed", NOW + timedelta(seconds=1))
        assert [m.text for m in store.sent_replies("T-1")] == ["written in clear", "written sealed"]


def test_store_rotated_keys_read_old_text_and_seal_with_the_first(db_url):
    with open_store(db_url, keyed(OTHER_KEY)) as store:
        store.add_sent_reply("T-1", "alex", "old key", NOW)
    with open_store(db_url, keyed(KEY, OTHER_KEY)) as store:
        store.add_sent_reply("T-1", "alex", "new key", NOW + timedelta(seconds=1))
        assert [m.text for m in store.sent_replies("T-1")] == ["old key", "new key"]
    with pytest.raises(EncryptionKeyError):
        open_store(db_url, keyed(OTHER_KEY))  # the newest row needs the new key


@pytest.mark.parametrize("keys, message", [
    ((), "encrypted but ASSIST_ENCRYPTION_KEY is not set"),
    ((OTHER_KEY,), "encrypted with a key that is not in ASSIST_ENCRYPTION_KEY"),
])
def test_open_store_missing_or_wrong_key_is_a_clear_error(db_url, keys, message):
    with open_store(db_url, keyed(KEY)) as store:
        store.save_working_draft("T-1", "alex", SECRET)
    with pytest.raises(EncryptionKeyError, match=message) as caught:
        open_store(db_url, keyed(*keys))
    assert SECRET not in str(caught.value) and caught.value.__cause__ is None


def test_open_store_malformed_key_names_the_setting_not_the_key(db_url):
    with pytest.raises(EncryptionKeyError, match="ASSIST_ENCRYPTION_KEY key 2 is not a Fernet key") as caught:
        open_store(db_url, keyed(KEY, "not-a-key-hunter2"))
    assert "hunter2" not in str(caught.value) and "python -m desk keygen" in str(caught.value)


def test_cipher_plaintext_that_only_looks_like_the_prefix_reads_as_it_is():
    assert TextCipher().open("fernet: my favourite library") == "fernet: my favourite library"
    assert "enabled=True" in repr(TextCipher([KEY])) and KEY not in repr(TextCipher([KEY]))


def test_cache_entry_sealed_with_a_retired_key_is_a_miss(db_url):
    with open_store(db_url, keyed(OTHER_KEY)) as store:
        store.cache_put("sha256:abc", "{}")
    with open_store(db_url, keyed(KEY)) as store:
        assert store.cache_get("sha256:abc") is None
        store.cache_put("sha256:abc", '"fresh"')
        assert store.cache_get("sha256:abc") == '"fresh"'


def test_sqlite_database_and_wal_files_are_private(db_url, db_path):
    old_umask = os.umask(0o022)
    try:
        with open_store(db_url, keyed(KEY)) as store, store.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM audit_events"))
            store.save_working_draft("T-1", "alex", "hi")
            files = [db_path, db_path.with_name("desk.db-wal"), db_path.with_name("desk.db-shm")]
            assert all(path.exists() for path in files)
            assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
            assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old_umask)


def test_purge_removes_old_text_keeps_numbers_and_metrics(db_url):
    with open_store(db_url, keyed(KEY)) as store:
        old = NOW - timedelta(days=40)
        store.record_audit(audit_event(old, sent="same text", suggested="same text"))
        store.record_audit(audit_event(old, sent="edited " + SECRET, suggested=SECRET))
        store.record_audit(audit_event(NOW, sent="recent", suggested="recent draft"))
        store.add_sent_reply("T-9", "alex", SECRET, old)
        store.save_working_draft("T-9", "alex", SECRET)
        before = lead_report(store)
        _, dry = purge_text(store, timedelta(days=30), dry_run=True, now=NOW + timedelta(days=40))
        assert dry.audit_events == 3 and store.audit_events()[1].sent == SECRET.join(["edited ", ""])
        cutoff, counts = purge_text(store, timedelta(days=30))
        assert (counts.audit_events, counts.sent_replies, counts.working_drafts) == (2, 1, 0)
        events = store.audit_events()
        assert [e.sent for e in events] == ["recent", REMOVED_TEXT, REMOVED_TEXT]
        assert lead_report(store) == before
        assert purge_text(store, timedelta(days=30))[1].total() == 0
        assert store.sent_replies("T-9")[0].text == REMOVED_TEXT and store.working_draft("T-9", "alex") == SECRET


def test_purge_keeps_the_text_of_undelivered_replies(db_url):
    class Down:
        def send(self, *args):
            raise RuntimeError("down")

    with open_store(db_url) as store:
        send_reply(ticket(), SECRET, "alex", suggestion(), Down(), store)
        _, counts = purge_text(store, timedelta(days=1), now=NOW + timedelta(days=3))
        assert counts.outbox_replies == 0 and counts.undelivered_kept == 1
        assert store.undelivered()[0].text == SECRET


def test_purge_command_prints_counts_and_needs_a_period(db_url, monkeypatch, capsys):
    monkeypatch.setenv("ASSIST_DATABASE_URL", db_url)
    assert main(["purge"]) == 1
    assert "pass --older-than DAYS or set ASSIST_RETENTION_DAYS" in capsys.readouterr().err
    monkeypatch.setenv("ASSIST_RETENTION_DAYS", "30")
    assert main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Would remove text older than 30 days" in out and "audit events anonymised: 0" in out
    with pytest.raises(SystemExit):
        main(["purge", "--older-than", "0"])


def test_keygen_prints_a_working_fernet_key(capsys):
    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    assert TextCipher([key]).open(TextCipher([key]).seal("hi")) == "hi"


def test_scrub_error_drops_the_row_postgres_repeats_but_keeps_the_type():
    driver = Exception(f'new row violates check constraint "short"\nDETAIL:  Failing row contains (1, {SECRET}).')
    error = IntegrityError("INSERT INTO sent_replies ...", {"text": SECRET}, driver, hide_parameters=True)
    assert SECRET in str(error)  # what SQLAlchemy alone would show
    scrubbed = scrub_error(error)
    assert isinstance(scrubbed, IntegrityError) and SECRET not in str(scrubbed) and SECRET not in str(scrubbed.orig)
    assert 'violates check constraint "short"' in str(scrubbed)


def test_sqlite_failed_write_never_logs_or_shows_the_reply_text(db_url, caplog):
    with open_store(db_url) as store:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON sent_replies "
                                       "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        caplog.set_level(logging.DEBUG)
        outcome = send_reply(ticket(), SECRET, "alex", suggestion("x"), RecordSender(), store)
        with pytest.raises(IntegrityError) as caught:
            store.add_sent_reply("T-1", "alex", SECRET, NOW)
    assert not outcome.ok and "refused by a trigger" in outcome.message
    assert SECRET not in outcome.message and SECRET not in caplog.text and SECRET not in str(caught.value)


def test_purge_removes_feedback_text_and_keeps_rating_and_reason(db_url):
    from desk.feedback import Feedback, list_feedback, save_feedback

    with open_store(db_url) as store:
        save_feedback(store, Feedback(suggestion_key="k", user="alex", ticket_id="T-9", rating=-1,
                                      reason="wrong_facts", comment=SECRET, suggested=SECRET))
        _, kept = purge_text(store, timedelta(days=30))
        assert kept.feedback_texts == 0 and list_feedback(store)[0].comment == SECRET
        _, counts = purge_text(store, timedelta(days=30), now=NOW + timedelta(days=40))
        [row] = list_feedback(store)
        assert counts.feedback_texts == 1
        assert (row.rating, row.reason, row.suggested, row.comment) == (-1, "wrong_facts", REMOVED_TEXT, "")
