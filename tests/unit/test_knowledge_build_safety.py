"""Safe rebuilds: a build that would empty the index or remove most of it is refused unless confirmed,
and the kept versions can be listed and restored."""
from __future__ import annotations

import json

import pytest

from core.types import Article
from knowledge.__main__ import main as knowledge_main
from knowledge.build import ShrinkRefused, SourcesMissing, build_articles, build_sources
from knowledge.index import current_version, load_index
from knowledge.versions import (
    RestoreError,
    list_versions,
    prune_versions,
    restore_version,
)

ARTICLE_MD = """---
title: Bicycle repair service
url: https://help.example/bike-repair
lang: en
---
# Bicycle repair service

We repair bicycles bought from us within 14 days.
"""


@pytest.fixture
def cli_embedder(monkeypatch, fake_embedder):
    """`python -m knowledge` embeds with the fake embedder, so CLI tests need no model files."""
    monkeypatch.setattr("knowledge.__main__.load_embedder", lambda backend="": fake_embedder)
    return fake_embedder


def live_root(tmp_path, demo_articles, fake_embedder):
    """An index root whose live version holds the 35 demo articles."""
    root = tmp_path / "index"
    build_articles(demo_articles, root, fake_embedder)
    return root


def versions_root(tmp_path, demo_articles, fake_embedder, builds: int = 3):
    """An index root with `builds` versions, each one demo article larger than the one before; the newest is live."""
    root = tmp_path / "index"
    for extra in range(builds):
        build_articles(demo_articles[: 30 + extra], root, fake_embedder)
    return root


def one_article_folder(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "bike-repair.md").write_text(ARTICLE_MD, encoding="utf-8")
    return folder


def extra_article(article_id: str) -> Article:
    return Article(id=article_id, title=f"Extra {article_id}", text=f"# Extra {article_id}\nSome text about {article_id}.",
                   lang="en", url=f"https://help.example/{article_id}")


# -- refusing builds that shrink the live index ---------------------------------------------------------
def test_build_articles_refuses_a_build_with_no_articles(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    live = current_version(root)

    with pytest.raises(ShrinkRefused) as excinfo:
        build_articles([], root, fake_embedder)

    message = str(excinfo.value)
    assert "has 35 articles" in message and "keep 0" in message and "remove 35" in message
    assert "pass --allow-shrink (CLI) or confirm on the Knowledge page to replace it anyway" in message
    assert current_version(root) == live
    assert [v.name for v in list_versions(root)] == [live], "nothing was written"


def test_build_articles_refuses_removing_more_than_half_of_the_live_articles(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    live = current_version(root)

    with pytest.raises(ShrinkRefused, match="keep 17 of them and remove 18"):
        build_articles(demo_articles[:17], root, fake_embedder)

    assert current_version(root) == live
    assert len(load_index(root, fake_embedder).manifest.articles) == 35


def test_build_articles_allows_removing_up_to_half_of_the_live_articles(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)

    report = build_articles(demo_articles[:18], root, fake_embedder)

    assert report.articles == 18 and len(report.removed) == 17


def test_build_articles_counts_removed_articles_even_when_new_ones_replace_them(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    replacement = demo_articles[:10] + [extra_article(f"new-{n}") for n in range(30)]

    with pytest.raises(ShrinkRefused, match="remove 25"):
        build_articles(replacement, root, fake_embedder)


def test_build_articles_with_allow_shrink_replaces_the_live_index(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)

    report = build_articles(demo_articles[:2], root, fake_embedder, allow_shrink=True)

    assert current_version(root) == report.version
    assert set(load_index(root, fake_embedder).manifest.articles) == {a.id for a in demo_articles[:2]}


def test_build_articles_first_build_of_no_articles_is_refused(tmp_path, fake_embedder):
    root = tmp_path / "index"

    with pytest.raises(ShrinkRefused, match="no articles"):
        build_articles([], root, fake_embedder)

    assert current_version(root) is None and list_versions(root) == []


def test_build_articles_first_build_of_no_articles_is_written_with_allow_shrink(tmp_path, fake_embedder):
    root = tmp_path / "index"

    build_articles([], root, fake_embedder, allow_shrink=True)

    assert len(load_index(root, fake_embedder)) == 0


def test_build_sources_of_only_bad_files_is_refused(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody", encoding="utf-8")

    with pytest.raises(ShrinkRefused, match="remove 35"):
        build_sources([folder], root, fake_embedder)


def test_build_sources_refuses_when_every_source_is_missing(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    live = current_version(root)
    missing = [tmp_path / "mistyped", tmp_path / "uploads"]

    with pytest.raises(SourcesMissing) as excinfo:
        build_sources(missing, root, fake_embedder, allow_shrink=True)

    assert all(str(path) in str(excinfo.value) for path in missing)
    assert current_version(root) == live


def test_build_sources_reports_one_missing_source_as_skipped(tmp_path, fake_embedder):
    folder = one_article_folder(tmp_path)

    report = build_sources([folder, tmp_path / "uploads"], tmp_path / "index", fake_embedder)

    assert report.articles == 1
    assert report.skipped == [(str(tmp_path / "uploads"), "folder does not exist")]


# -- the build command ----------------------------------------------------------------------------------
def test_build_cli_refused_build_exits_3_with_the_message_and_keeps_the_live_version(
        tmp_path, demo_articles, fake_embedder, cli_embedder, capsys):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    live = current_version(root)
    folder = one_article_folder(tmp_path)

    code = knowledge_main(["build", "--source", str(folder), "--index", str(root)])

    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("error: The live index has 35 articles") and "--allow-shrink" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert current_version(root) == live


def test_build_cli_allow_shrink_replaces_the_live_index(tmp_path, demo_articles, fake_embedder, cli_embedder, capsys):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    folder = one_article_folder(tmp_path)

    code = knowledge_main(["build", "--source", str(folder), "--index", str(root), "--allow-shrink"])

    assert code == 0
    assert "1 articles" in capsys.readouterr().out
    assert set(load_index(root, fake_embedder).manifest.articles) == {"bike-repair"}


def test_build_cli_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as excinfo:
        knowledge_main(["build", "--help"])

    out = capsys.readouterr().out
    assert excinfo.value.code == 0
    assert "--allow-shrink" in out and "exit codes:" in out and "3  build refused" in out


# -- listing and restoring versions ---------------------------------------------------------------------
def test_list_versions_lists_newest_first_and_marks_the_live_one(tmp_path, demo_articles, fake_embedder):
    root = versions_root(tmp_path, demo_articles, fake_embedder)

    versions = list_versions(root)

    assert [v.articles for v in versions] == [32, 31, 30]
    assert [v.live for v in versions] == [True, False, False]
    assert versions[0].name == current_version(root) and versions[0].chunks > 0 and versions[0].created


def test_list_versions_skips_an_unreadable_version(tmp_path, demo_articles, fake_embedder):
    root = versions_root(tmp_path, demo_articles, fake_embedder, builds=2)
    oldest = list_versions(root)[-1].name
    (root / "versions" / oldest / "manifest.json").write_text("{not json", encoding="utf-8")

    assert [v.name for v in list_versions(root)] == [current_version(root)]


def test_list_versions_of_a_missing_index_folder_is_empty(tmp_path):
    assert list_versions(tmp_path / "nowhere") == []


def test_restore_version_goes_back_one_version_at_a_time(tmp_path, demo_articles, fake_embedder):
    root = versions_root(tmp_path, demo_articles, fake_embedder)
    newest, middle, oldest = [v.name for v in list_versions(root)]

    assert restore_version(root) == middle
    assert current_version(root) == middle
    assert len(load_index(root, fake_embedder).manifest.articles) == 31
    assert restore_version(root) == oldest
    assert len(load_index(root, fake_embedder).manifest.articles) == 30
    assert [v.name for v in list_versions(root)] == [newest, middle, oldest], "restoring deletes nothing"


def test_restore_version_by_name_can_go_forward_again(tmp_path, demo_articles, fake_embedder):
    root = versions_root(tmp_path, demo_articles, fake_embedder)
    newest = current_version(root)
    restore_version(root)

    assert restore_version(root, newest) == newest
    assert current_version(root) == newest
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")], "no pointer file is left behind"


def test_restore_version_without_an_older_version_is_a_clear_error(tmp_path, demo_articles, fake_embedder):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    live = current_version(root)

    with pytest.raises(RestoreError, match="no version older than the live one"):
        restore_version(root)

    assert current_version(root) == live


def test_restore_version_with_an_unknown_name_is_a_clear_error(tmp_path, demo_articles, fake_embedder):
    root = versions_root(tmp_path, demo_articles, fake_embedder, builds=2)
    live = current_version(root)

    with pytest.raises(RestoreError, match="No readable version 'v-nope'"):
        restore_version(root, "v-nope")

    assert current_version(root) == live


def test_prune_versions_never_removes_the_live_version_after_a_restore(tmp_path, demo_articles, fake_embedder):
    root = versions_root(tmp_path, demo_articles, fake_embedder)
    newest, _, oldest = [v.name for v in list_versions(root)]
    restore_version(root, oldest)

    prune_versions(root, keep=1)

    assert [v.name for v in list_versions(root)] == [newest, oldest]
    assert current_version(root) == oldest
    assert len(load_index(root, fake_embedder).manifest.articles) == 30


def test_build_after_a_restore_keeps_the_restored_version_among_the_newest(tmp_path, demo_articles, fake_embedder):
    root = versions_root(tmp_path, demo_articles, fake_embedder)
    _, middle, _ = [v.name for v in list_versions(root)]
    restore_version(root)

    report = build_articles(demo_articles, root, fake_embedder)

    names = [v.name for v in list_versions(root)]
    assert names[0] == report.version == current_version(root)
    assert middle in names and len(names) == 3


# -- the versions and restore commands ------------------------------------------------------------------
def test_versions_cli_lists_the_versions_and_marks_the_live_one(tmp_path, demo_articles, fake_embedder, capsys):
    root = versions_root(tmp_path, demo_articles, fake_embedder, builds=2)
    live = current_version(root)

    assert knowledge_main(["versions", "--index", str(root)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"* {live}") and "31 articles" in lines[0] and "(live)" in lines[0]
    assert lines[1].startswith("  v") and "30 articles" in lines[1]


def test_versions_cli_json_lists_every_field(tmp_path, demo_articles, fake_embedder, capsys):
    root = versions_root(tmp_path, demo_articles, fake_embedder, builds=2)

    assert knowledge_main(["versions", "--json", "--index", str(root)]) == 0

    rows = json.loads(capsys.readouterr().out)
    assert [(r["articles"], r["live"]) for r in rows] == [(31, True), (30, False)]
    assert set(rows[0]) == {"name", "created", "articles", "chunks", "live"}


def test_restore_cli_goes_back_one_version_and_says_so(tmp_path, demo_articles, fake_embedder, capsys):
    root = versions_root(tmp_path, demo_articles, fake_embedder, builds=2)
    newest, previous = [v.name for v in list_versions(root)]

    assert knowledge_main(["restore", "--index", str(root)]) == 0

    out = capsys.readouterr().out
    assert f"Restored {previous}" in out and newest in out
    assert current_version(root) == previous
    assert len(load_index(root, fake_embedder).manifest.articles) == 30


def test_restore_cli_by_name_makes_that_version_live(tmp_path, demo_articles, fake_embedder, capsys):
    root = versions_root(tmp_path, demo_articles, fake_embedder)
    oldest = list_versions(root)[-1].name

    assert knowledge_main(["restore", oldest, "--index", str(root)]) == 0

    assert current_version(root) == oldest


@pytest.mark.parametrize("argv, message", [
    (["restore", "v-nope"], "No readable version 'v-nope'"),
    (["restore"], "no version older than the live one"),
])
def test_restore_cli_errors_are_one_line_and_exit_1(tmp_path, demo_articles, fake_embedder, capsys, argv, message):
    root = live_root(tmp_path, demo_articles, fake_embedder)
    live = current_version(root)

    code = knowledge_main([*argv, "--index", str(root)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert current_version(root) == live


@pytest.mark.parametrize("command", ["versions", "restore"])
def test_versions_and_restore_cli_on_a_missing_index_folder_exit_1(tmp_path, capsys, command):
    code = knowledge_main([command, "--index", str(tmp_path / "nowhere")])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: No index versions at {tmp_path / 'nowhere'}") and "Traceback" not in err
