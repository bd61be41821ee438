"""The off-topic gate on the reply score (knowledge/understanding/model.Combiner): a reply the model reads as
off topic or deflecting loses points however confident and well-worded it is; a direct answer keeps them."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.taxonomy import ANTI_PATTERNS
from knowledge.understanding import get_understanding
from knowledge.understanding.model import Combiner

CASES = {  # (customer line, in-domain non-answer, direct answer)
    "zh": ("地址填错了，能帮我改一下吗", "亲，店里新上了夏季凉席，买一送一，要不要看看呀？",
           "能改的亲，您把新地址发我，我马上帮您改好。"),
    "en": ("Can I still return the lamp if I've opened the box?", "Returns are handled according to our policy, "
           "which you can find in the help centre.", "Yes, opened is fine within 30 days as long as nothing's broken; "
           "I'll email you a free return label."),
}


def test_the_gate_multiplies_the_score_and_an_artefact_without_one_reads_as_before():
    params = np.array([-0.5, 1.4, 1.5, 0.5, *([-0.5] * len(ANTI_PATTERNS))])
    anti = np.zeros((3, len(ANTI_PATTERNS)))
    args = (np.array([0.3, 0.3, 0.3]), np.array([0.8, 0.8, 0.8]), np.array([0.5, 0.5, 0.5]), anti)
    off = np.array([0.0, 0.36, 0.75])
    plain = Combiner(params).score(*args, off)
    assert Combiner(params).gate == 0.0 and np.allclose(plain, plain[0])  # no gate: P(off topic) is not read
    gated = Combiner(np.append(params, 0.5)).score(*args, off)
    assert np.allclose(gated, plain * np.array([1.0, 0.8, 0.5]))


def test_the_shipped_gate_is_the_fitted_one_capped_as_recorded():
    from evals.understanding.train import OFF_TOPIC_GATE_CAP

    model = get_understanding()
    fitted = model.meta["figures"]["off_topic_gate_fitted"]
    assert fitted > 0  # the team's out-of-fold readings ask for a gate
    assert model.combiner.gate == pytest.approx(min(fitted, OFF_TOPIC_GATE_CAP))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_in_domain_non_answer_loses_points_a_direct_answer_keeps(lang):
    customer, non_answer, answer = CASES[lang]
    model = get_understanding()
    readings = model.read_replies([(customer, non_answer), (customer, answer)])
    gated = model.score(readings)
    gate, model.combiner = model.combiner, Combiner(model.combiner.params[:4 + len(ANTI_PATTERNS)])
    try:
        ungated = model.score(readings)
    finally:
        model.combiner = gate
    assert readings[0].off_topic > 0.5 > 0.2 > readings[1].off_topic
    assert abs(gated[0] - ungated[0] * (1 - readings[0].off_topic) ** gate.gate) <= 1  # rounding only
    assert gated[0] <= 0.85 * ungated[0]  # the non-answer loses at least 15 % of its points
    assert gated[1] >= 0.95 * ungated[1] and gated[1] >= 2 * gated[0]  # the direct answer keeps 95 % or more
