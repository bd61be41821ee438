"""The shared, heavy collaborators of live assist, built once per process; one LiveAssist per call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from coach.live.assist import LiveAssist, LiveConfig, ObjectionDetector, SearchIndex
from coach.live.handling import ReplyJudge, default_judge
from coach.live.keywords import KeywordMatcher
from knowledge.playbooks import Playbook


@dataclass
class LiveKit:
    """Everything a call needs that is expensive to build (the detector loads the understanding model and its
    embedder); its detections also carry the decision signals and the mood reading."""

    detector: ObjectionDetector
    playbooks: dict[str, Playbook]
    index: SearchIndex | None = None
    keywords: KeywordMatcher | None = None
    judge: ReplyJudge | None = None
    reload: Callable[[], tuple[ObjectionDetector, dict[str, Playbook]]] | None = None  # current detector, playbooks

    def __post_init__(self) -> None:
        self.keywords = self.keywords or KeywordMatcher()
        self.judge = self.judge or default_judge(self.playbooks)

    def warm_up(self) -> None:
        """Load models and open the index now, so the first utterance of a call is not the slow one."""
        self.detector.detect("warm up", None)
        if self.index is not None:
            warm = getattr(self.index, "warm", None)
            if warm is not None:
                warm()
            self.index.search("warm up", k=1, filters={"speaker": "customer", "outcome": "won"})

    def new_call(self, config: LiveConfig | None = None) -> LiveAssist:
        if self.reload is not None:  # a trainer may have saved a playbook or retrained the model since the last call
            detector, playbooks = self.reload()
            self.detector = detector
            if playbooks is not self.playbooks:
                self.playbooks, self.judge = playbooks, default_judge(playbooks)
        return LiveAssist(self.detector, self.playbooks, index=self.index, keywords=self.keywords, judge=self.judge,
                          config=config)


@lru_cache(maxsize=2)
def default_kit(with_index: bool = True) -> LiveKit:
    """The configured detector, the shipped playbooks and the index of the current COACH_HOME."""
    from knowledge.detect import get_detector
    from knowledge.playbooks import load_playbooks

    index = None
    if with_index:
        from knowledge.index import get_index

        index = get_index()
    return LiveKit(detector=get_detector(), playbooks=load_playbooks(), index=index,
                   reload=lambda: (get_detector(), load_playbooks()))
