"""The intent classifier predicts with numpy what scikit-learn's fitted objects would, keeps its fit in a checked
file, and the process that loads that file never imports scikit-learn or pandas."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chains.offline import intent_store
from chains.offline.intent import CHAR_NGRAMS, WORD_NGRAMS, IntentClassifier, IntentModel, NgramFeatures

REPO = Path(__file__).resolve().parents[2]
TEXTS = [
    "I want a REFUND for order #4521, please!", "Where is my parcel?  It was due on Monday.",
    "비밀번호를 잊어버렸어요. 계정에 로그인이 안 됩니다", "환불 요청합니다 주문번호 4521", "a b c", "",
    "Cancel my subscription\tnow", "Can I change the delivery address?", "배송지를 바꿀 수 있나요?",
    "Card declined at checkout — twice", "x", "refund refund refund",
]
LABELS = ["refund", "delivery", "account", "refund", "other", "other",
          "cancel", "delivery", "delivery", "payment", "other", "refund"]


def vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return (TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2))


@pytest.mark.parametrize("which", [0, 1], ids=["word", "char_wb"])
def test_ngram_features_equal_the_fitted_vectorizers_transform(which):
    vectorizer = vectorizers()[which].fit(TEXTS)
    unseen = ["A refund for my parcel", "로그인 계정 비밀번호", "   ", "zz top", "Delivery!!  address??"]

    ours = NgramFeatures.from_vectorizer(vectorizer).transform(TEXTS + unseen)
    theirs = vectorizer.transform(TEXTS + unseen)

    assert ours.shape == theirs.shape
    assert (ours != theirs).nnz == 0 or np.abs((ours - theirs).toarray()).max() < 1e-12
    assert sorted(map(tuple, np.argwhere(ours.toarray()))) == sorted(map(tuple, np.argwhere(theirs.toarray())))


def test_ngram_features_refuse_an_analyzer_they_do_not_implement():
    with pytest.raises(ValueError, match="char"):
        NgramFeatures("char", (2, 3), [], np.zeros(0))


def classifier(fake_embedder) -> IntentClassifier:
    return IntentClassifier(fake_embedder).fit(TEXTS, LABELS)


def test_intent_classifier_probabilities_equal_logistic_regression_predict_proba(fake_embedder):
    from sklearn.linear_model import LogisticRegression

    model = classifier(fake_embedder)
    words, chars = (NgramFeatures.from_vectorizer(v.fit(TEXTS)) for v in vectorizers())
    features = model._hstack(words.transform(TEXTS), chars.transform(TEXTS), fake_embedder.encode(TEXTS))
    regression = LogisticRegression(C=model.c, max_iter=3000).fit(features, LABELS)
    queries = ["refund for my order", "주소 변경", "card declined"]
    query_features = model._hstack(words.transform(queries), chars.transform(queries), fake_embedder.encode(queries))

    assert model.labels == list(regression.classes_)
    assert np.allclose(model._regression_probabilities(queries, fake_embedder.encode(queries)),
                       regression.predict_proba(query_features), atol=1e-9)


def test_intent_classifier_two_labels_use_the_logistic_like_scikit_learn(fake_embedder):
    from sklearn.linear_model import LogisticRegression

    labels = ["refund" if label == "refund" else "other" for label in LABELS]
    model = IntentClassifier(fake_embedder).fit(TEXTS, labels)
    features = model._hstack(model.model.words.transform(TEXTS), model.model.chars.transform(TEXTS),
                             fake_embedder.encode(TEXTS))
    regression = LogisticRegression(C=model.c, max_iter=3000).fit(features, labels)

    assert np.allclose(model._regression_probabilities(TEXTS, fake_embedder.encode(TEXTS)),
                       regression.predict_proba(features), atol=1e-9)


def test_intent_model_saved_and_loaded_predicts_the_same(fake_embedder, tmp_path):
    model = classifier(fake_embedder)
    model.model.save(tmp_path / "intent.npz")

    loaded = IntentClassifier.load(tmp_path / "intent.npz", fake_embedder)

    queries = ["I need my money back", "비밀번호 재설정", "where is the package"]
    assert loaded.labels == model.labels
    assert [(p.label, round(p.confidence, 12)) for p in loaded.predict(queries)] == \
           [(p.label, round(p.confidence, 12)) for p in model.predict(queries)]
    assert not list(tmp_path.glob("*.part"))


def test_intent_model_save_by_two_processes_at_once_both_complete(fake_embedder, tmp_path, monkeypatch):
    import chains.offline.intent as intent_module

    target, model = tmp_path / "intent.npz", classifier(fake_embedder).model
    real_savez, pids = np.savez, iter([1001, 1002])
    monkeypatch.setattr(intent_module.os, "getpid", lambda: next(pids))

    def savez_while_another_process_saves(fh, **arrays):
        monkeypatch.setattr(intent_module.np, "savez", real_savez)
        model.save(target)  # the second process finishes while the first is still writing
        real_savez(fh, **arrays)

    monkeypatch.setattr(intent_module.np, "savez", savez_while_another_process_saves)
    model.save(target)

    assert IntentClassifier.load(target, fake_embedder).labels == classifier(fake_embedder).labels
    assert not list(tmp_path.glob("*.part"))


def test_intent_model_key_changes_with_the_examples_and_the_embedding_model(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text('{"text": "refund please", "intent": "refund"}\n', encoding="utf-8")
    second.write_text('{"text": "refund now", "intent": "refund"}\n', encoding="utf-8")

    keys = {intent_store.model_key(first, "m1"), intent_store.model_key(second, "m1"), intent_store.model_key(first, "m2")}

    assert len(keys) == 3 and intent_store.model_key(first, "m1") == intent_store.model_key(first, "m1")


LOAD_IN_A_FRESH_PROCESS = """
import sys
from chains.offline.intent_store import load_classifier
classifier = load_classifier("onnx-int8")
print(classifier.predict(["I want a refund for my order"])[0].label)
print("sklearn" in sys.modules, "pandas" in sys.modules)
"""


def load_in_fresh_process(model_cache: Path) -> list[str]:
    env = dict(os.environ, ASSIST_MODEL_CACHE=str(model_cache), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", LOAD_IN_A_FRESH_PROCESS], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split("\n")


def test_intent_store_fits_once_in_a_child_and_the_app_process_never_imports_scikit_learn(tmp_path):
    from knowledge.embeddings import onnx_model_folder

    cache = tmp_path / "models"
    cache.mkdir()
    (cache / onnx_model_folder().name).symlink_to(onnx_model_folder(), target_is_directory=True)

    label, imported, _ = load_in_fresh_process(cache)
    saved = list(cache.glob("intent-*.npz"))
    first_write = saved[0].stat().st_mtime_ns

    assert label == "refund_status" and imported == "False False"
    assert len(saved) == 1 and saved[0].with_name(saved[0].name + ".sha256").is_file()
    assert load_in_fresh_process(cache)[0] == "refund_status"
    assert saved[0].stat().st_mtime_ns == first_write  # loaded, not fitted again

    saved[0].write_bytes(saved[0].read_bytes()[:-100])  # damaged: fitted again rather than trusted
    assert load_in_fresh_process(cache)[0] == "refund_status"
    assert IntentModel.load(saved[0]).classes.size > 5


def test_intent_store_reports_a_failed_fit_with_its_last_error_line(tmp_path, monkeypatch):
    monkeypatch.setattr(intent_store, "FIT_TIMEOUT_SECONDS", 120)
    missing = tmp_path / "none.jsonl"

    with pytest.raises(intent_store.IntentModelError, match="FileNotFoundError"):
        intent_store.fit_in_child("onnx-int8", missing, tmp_path / "intent.npz")


def test_intent_store_prepare_command_fits_once_and_the_app_then_only_loads(tmp_path, monkeypatch):
    from chains.runtime import INTENT_EMBEDDINGS
    from knowledge.embeddings import onnx_model_folder

    cache = tmp_path / "models"
    cache.mkdir()
    (cache / onnx_model_folder().name).symlink_to(onnx_model_folder(), target_is_directory=True)
    env = dict(os.environ, ASSIST_MODEL_CACHE=str(cache), PYTHONPATH=str(REPO))

    def prepare() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "chains", "prepare-intent"], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=600)

    first = prepare()
    saved = list(cache.glob("intent-*.npz"))
    written = saved[0].stat().st_mtime_ns
    second = prepare()

    assert first.returncode == 0 and second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    assert first.stdout.strip() == f"ready: {saved[0]}" == second.stdout.strip()
    assert saved[0].stat().st_mtime_ns == written
    monkeypatch.setenv("ASSIST_MODEL_CACHE", str(cache))
    monkeypatch.setattr(intent_store, "fit_in_child", lambda *args: pytest.fail("fitted again"))
    assert intent_store.load_classifier(INTENT_EMBEDDINGS).predict(["I want my money back"])[0].label


def test_intent_store_prepare_command_says_why_a_fit_failed(tmp_path, monkeypatch, capsys):
    from chains.__main__ import main

    def unreadable(*_args):
        raise OSError("examples.jsonl: permission denied")

    monkeypatch.setattr(intent_store, "model_key", unreadable)

    assert main(["prepare-intent"]) == 1
    assert "the intent model could not be fitted: examples.jsonl: permission denied" in capsys.readouterr().err
