"""The replay eval on a subset of the agentune calls (skips when ../shared/datasets is absent)."""

from __future__ import annotations

import pytest
from conftest import shared_dataset


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    from coach.live import LiveKit
    from coach.live.fakes import CueJudge, tiny_index
    from knowledge.detect import get_detector
    from knowledge.playbooks import load_playbooks

    playbooks = load_playbooks()  # the real understanding layer reads the lines; a cue judge stands in for the grader
    return LiveKit(detector=get_detector(), playbooks=playbooks, index=tiny_index(tmp_path_factory.mktemp("idx")),
                   judge=CueJudge(playbooks))


@pytest.mark.slow
def test_replay_subset_counts_cards_by_outcome(kit):
    from evals.live.replay import NOT_HANDLED, load_calls, replay_call, summarise

    folder = shared_dataset("agentune-insurance-calls")
    calls = load_calls(folder)
    assert len(calls) >= 100
    subset = [c for c in calls if c[1] == NOT_HANDLED][:4] + [c for c in calls if c[1] != NOT_HANDLED][:6]
    results = [replay_call(kit, *call) for call in subset]
    summary = summarise(results)
    assert summary["calls"] == 10 and summary["utterances"] == sum(len(c[2]) for c in subset)
    assert all(r.customer_utterances > 0 for r in results)
    assert summary["cards_per_call"]["mood"] > 0 and summary["cards_per_call"]["objection_card"] > 0
    assert "error" not in summary["cards_per_call"]  # every dataset row is a valid event
    assert all(r.unhandled_objection_cards <= r.objection_cards <= r.objections_raised for r in results)
    comparison = summary["comparison"]
    assert comparison[NOT_HANDLED]["calls"] == 4 and comparison["all other outcomes"]["calls"] == 6
    assert isinstance(comparison["more_unhandled_in_not_handled_calls"], bool)
