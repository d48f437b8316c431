"""The one Settings: secrets never shown, clear errors when missing, `.env` and relative paths under ASSIST_HOME,
and every CLI reading the same values."""
from __future__ import annotations

import pytest

from core.settings import MissingSecretError, Settings, load_settings, setting_names

SECRET = "sk-test-SECRET123"
ENV_NAMES = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "ASSIST_LLM", "OPENAI_BASE_URL", "ASSIST_DATABASE_URL",
             "ASSIST_SEND_WEBHOOK_URL", "AZURE_OPENAI_ENDPOINT")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No provider settings in the environment and an empty ASSIST_HOME (no `.env`)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("env_name, field", [
    ("OPENAI_API_KEY", "openai_api_key"),
    ("AZURE_OPENAI_API_KEY", "azure_openai_api_key"),
    ("ASSIST_DATABASE_URL", "database_url"),
    ("ASSIST_SEND_WEBHOOK_URL", "send_webhook_url"),
])
def test_settings_never_show_a_secret(clean_env, monkeypatch, env_name, field):
    monkeypatch.setenv(env_name, SECRET)

    settings = Settings()

    assert getattr(settings, field).get_secret_value() == SECRET, "the secret was read"
    for shown in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())):
        assert "SECRET123" not in shown


def test_settings_secret_from_dotenv_is_read_and_hidden(clean_env):
    (clean_env / ".env").write_text(f"OPENAI_API_KEY={SECRET}\n", encoding="utf-8")

    settings = Settings()

    assert settings.require("openai_api_key") == SECRET
    assert settings.llm == "openai:gpt-4o-mini"
    assert "SECRET123" not in repr(settings) + str(settings) + settings.model_dump_json()


def test_settings_require_missing_key_says_how_to_fix(clean_env):
    settings = Settings()

    with pytest.raises(MissingSecretError) as excinfo:
        settings.require("openai_api_key")

    message = str(excinfo.value)
    assert "OPENAI_API_KEY" in message
    assert "ASSIST_LLM=offline" in message


def test_settings_require_blank_key_counts_as_missing(clean_env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "   ")

    with pytest.raises(MissingSecretError, match="OPENAI_API_KEY"):
        Settings().require("openai_api_key")


def test_settings_without_key_choose_the_offline_engine(clean_env):
    assert Settings().llm == "offline"


def test_settings_explicit_llm_wins(clean_env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ASSIST_LLM", "offline")

    assert Settings().llm == "offline"


def test_load_chat_model_openai_without_key_raises_missing_secret(clean_env):
    from chains.models import load_chat_model

    with pytest.raises(MissingSecretError, match="OPENAI_API_KEY"):
        load_chat_model("openai:gpt-4o-mini", Settings())


def test_settings_read_dotenv_from_assist_home_not_the_working_directory(clean_env, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cwd")
    (elsewhere / ".env").write_text("ASSIST_COMPANY_NAME=Wrong Shop\n", encoding="utf-8")
    (clean_env / ".env").write_text("ASSIST_COMPANY_NAME=Hana Books\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)

    assert Settings().company_name == "Hana Books"


def test_settings_resolve_relative_paths_against_assist_home(clean_env, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.setenv("ASSIST_INDEX_DIR", "data/index")
    monkeypatch.setenv("ASSIST_MODEL_CACHE", "/opt/models")

    settings = Settings()

    assert settings.index_path == clean_env / "data" / "index"
    assert str(settings.model_cache_path) == "/opt/models"
    assert settings.default_sqlite_path == clean_env / "var" / "assist.db"


def test_settings_default_kb_and_tickets_are_the_shipped_demo(clean_env):
    from core.settings import DEMO_ARTICLES, DEMO_TICKETS

    settings = Settings()

    assert settings.kb_path == DEMO_ARTICLES and settings.tickets_path == DEMO_TICKETS
    assert any(DEMO_ARTICLES.glob("*.md")) and any(DEMO_TICKETS.glob("*.json"))


def test_settings_company_name_has_a_legacy_alias(clean_env, monkeypatch):
    assert Settings().company_name == "Maru Market"
    monkeypatch.setenv("ASSIST_SHOP_NAME", "Old Name")
    assert Settings().company_name == "Old Name"
    monkeypatch.setenv("ASSIST_COMPANY_NAME", "Hana Books")
    assert Settings().company_name == "Hana Books"


def test_settings_sign_off_fills_in_agent_and_company(clean_env, monkeypatch):
    assert Settings().sign_off("Alex") == ""
    monkeypatch.setenv("ASSIST_COMPANY_NAME", "Hana Books")
    monkeypatch.setenv("ASSIST_AGENT_SIGNATURE", "Warm regards,\\n{agent} | {company} Care")

    assert Settings().sign_off("Alex") == "Warm regards,\nAlex | Hana Books Care"


def test_settings_customer_citations_default_to_remove(clean_env):
    assert Settings().customer_citations == "remove"


def test_settings_customer_citations_read_sources_in_any_case(clean_env, monkeypatch):
    monkeypatch.setenv("ASSIST_CUSTOMER_CITATIONS", " Sources ")

    assert Settings().customer_citations == "sources"


def test_settings_customer_citations_refuse_an_unknown_mode(clean_env, monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("ASSIST_CUSTOMER_CITATIONS", "footnotes")

    with pytest.raises(ValidationError, match="ASSIST_CUSTOMER_CITATIONS"):
        Settings()


def test_settings_overrides_win_over_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("ASSIST_AGENT_NAME", "From env")

    assert load_settings({"ASSIST_AGENT_NAME": "From secrets"}).agent_name == "From secrets"
    assert load_settings({"ASSIST_AGENT_NAME": None}).agent_name == "From env"


def test_setting_names_list_every_assist_variable():
    names = setting_names()

    for name in ("ASSIST_INDEX_DIR", "ASSIST_MODEL_CACHE", "ASSIST_EMBEDDINGS", "ASSIST_DATABASE_URL",
                 "ASSIST_COMPANY_NAME", "ASSIST_AGENT_SIGNATURE", "ASSIST_CUSTOMER_CITATIONS", "ASSIST_LLM",
                 "OPENAI_API_KEY"):
        assert name in names


def test_knowledge_build_and_chains_assist_read_the_index_dir_from_dotenv(clean_env, tmp_path_factory, capsys):
    """The bug this fixes: ASSIST_INDEX_DIR in .env moved the app's index but not the build's."""
    from chains.__main__ import main as chains_main
    from desk.tickets import demo_tickets_dir
    from knowledge.__main__ import main as knowledge_main

    source = tmp_path_factory.mktemp("kb")
    (source / "refunds.md").write_text("---\ntitle: Refunds\n---\n# Refunds\n\nRefunds reach your card within "
                                       "five business days after we receive the return.\n", encoding="utf-8")
    (clean_env / ".env").write_text("ASSIST_INDEX_DIR=shared/index\nASSIST_LLM=offline\n", encoding="utf-8")

    assert knowledge_main(["build", "--source", str(source)]) == 0
    assert (clean_env / "shared" / "index" / "CURRENT").is_file()
    capsys.readouterr()

    assert chains_main(["assist", str(demo_tickets_dir() / "T-1001.json"), "--json"]) == 0
    assert '"article_id": "refunds"' in capsys.readouterr().out
