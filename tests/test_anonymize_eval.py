"""The PII eval: the corpus loads cleanly and the held-out split meets the recall targets."""

from __future__ import annotations

import pytest

from evals.pii import load_split, run_pii_eval


def test_corpus_is_large_bilingual_and_well_formed():
    lines = load_split("dev") + load_split("heldout") + load_split("heldout_hard")
    assert len(lines) >= 150
    assert {x.lang for x in lines} == {"zh", "en"}
    kinds = [s.kind for x in lines for s in x.spans]
    for kind in ("person", "company", "phone", "email", "id_card", "bank_card", "address",
                 "wechat", "url", "plate", "amount"):
        assert kinds.count(kind) >= 5, kind


@pytest.fixture(scope="module", params=["heldout", "heldout_hard"])
def heldout(request) -> dict:
    return run_pii_eval(splits=(request.param,))[request.param]


@pytest.mark.parametrize("kind", ["phone", "email", "id_card", "bank_card"])
def test_heldout_recall_on_numbers_and_emails(heldout, kind):
    assert heldout["per_kind"][kind]["recall"] >= 0.99


@pytest.mark.parametrize("kind", ["person", "company"])
def test_heldout_recall_on_names(heldout, kind):
    assert heldout["per_kind"][kind]["recall"] >= 0.95


def test_heldout_overall_precision(heldout):
    assert heldout["overall"]["precision"] >= 0.9
