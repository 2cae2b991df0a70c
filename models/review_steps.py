"""A round's review steps before 销号 (审核步骤) and where a done claim stands on them: pure rules.

A round may require a confirmation before a measure is closed (the plan's ``review_steps``, e.g.
``[分管领导确认, 销号]``: the 分管领导's confirmation is recorded, then 督查 closes). Without the setting
(or with ``[销号]``) a done claim is closed in one step, as it always was.

Where a claim stands is read from the measure's history: the confirmations (review events ``confirm``)
since the last status move or report. A new report (new evidence) or a move (退回, reopen, a new done
claim) sets the claim back to its first step. Four-eyes: one person (a token's label, or the CLI's
``--actor``) takes at most one step of a claim. Who may review at all is the access module's rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.errors import ReviewStepMissing, SameReviewer

CLOSE_STEP = "销号"
CONFIRM = "confirm"  # a review event's ``to_value`` for a confirmation step
MAX_STEPS = 4  # 销号 and at most three confirmations before it
MAX_STEP_NAME = 20
# How the history names a token's holder (``tasks.reports.tokens.Principal.display``): "token #7 '督查室'".
_TOKEN_ACTOR = re.compile(r"token #\d+ '(.*)'$")


def review_steps_problem(steps: Sequence[object]) -> str | None:
    """What is wrong with a plan's ``review_steps`` (None when it is a valid list ending with 销号)."""
    if not steps:
        return f"list the steps, ending with {CLOSE_STEP} (e.g. [分管领导确认, {CLOSE_STEP}])"
    names = [str(s).strip() if isinstance(s, str) else "" for s in steps]
    if any(not name for name in names):
        return "every step is a name (text), e.g. 分管领导确认"
    if names[-1] != CLOSE_STEP:
        return f"the last step is {CLOSE_STEP} (the close itself); got '{names[-1]}'"
    if CLOSE_STEP in names[:-1]:
        return f"{CLOSE_STEP} is the last step only"
    if len(set(names)) != len(names):
        return "each step has its own name"
    if len(names) > MAX_STEPS:
        return f"at most {MAX_STEPS - 1} steps before {CLOSE_STEP}"
    if any(len(name) > MAX_STEP_NAME for name in names):
        return f"a step's name has at most {MAX_STEP_NAME} characters"
    return None


def stored_steps(steps: Sequence[str] | None) -> list[str] | None:
    """What the ledger keeps for a plan's ``review_steps``: None for one step (销号 alone, or unset)."""
    if not steps:
        return None
    names = [s.strip() for s in steps]
    return names if len(names) > 1 else None


def confirmation_steps(steps: Sequence[str] | None) -> tuple[str, ...]:
    """The steps before 销号 (none for a round that closes in one step)."""
    return tuple(s for s in (steps or ()) if s != CLOSE_STEP)


def reviewer_identity(actor: str) -> str:
    """Who took a step, for the four-eyes rule: a token's label (the same label through the desk or the
    API is one person), otherwise the actor as written (the CLI's ``--actor``)."""
    found = _TOKEN_ACTOR.search(actor)
    return (found.group(1) if found else actor).strip()


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a measure's history as this rule reads it (kind: an ``EventKind`` value)."""

    kind: str
    to_value: str | None
    actor: str
    reason: str = ""


@dataclass(frozen=True)
class StepTaken:
    """A confirmation step taken on the standing claim: which step, by whom, with what note."""

    step: str
    actor: str
    reason: str

    @property
    def who(self) -> str:
        """The person who took it (``reviewer_identity``)."""
        return reviewer_identity(self.actor)


@dataclass(frozen=True)
class ClaimStage:
    """Where a done claim stands on its round's review steps."""

    steps: tuple[str, ...]  # the confirmation steps before 销号
    taken: tuple[StepTaken, ...] = ()

    @property
    def next_step(self) -> str:
        """The step the claim awaits: a confirmation, or 销号 once every confirmation is taken."""
        return self.steps[len(self.taken)] if len(self.taken) < len(self.steps) else CLOSE_STEP

    @property
    def confirmed(self) -> bool:
        """Every confirmation is taken: the claim awaits 销号 (False for a one-step round)."""
        return bool(self.steps) and len(self.taken) >= len(self.steps)

    @property
    def label(self) -> str:
        """The stage in the desk's words: 待分管领导确认, 已分管领导确认，待销号, 待销号."""
        if not self.taken:
            return f"待{self.next_step}"
        return f"已{self.taken[-1].step}，待{self.next_step}"

    def reviewers(self) -> set[str]:
        """Who took a step of this claim already (``reviewer_identity``)."""
        return {t.who for t in self.taken}


def claim_stage(steps: Sequence[str] | None, history: Sequence[HistoryEntry]) -> ClaimStage:
    """The stage of a measure's standing claim, from its history (oldest first): the confirmations since
    the last status move or report, each named by the step it took in order."""
    before = confirmation_steps(steps)
    actors: list[HistoryEntry] = []
    for entry in history:
        if entry.kind in ("status", "report"):
            actors = []  # a new claim, new evidence or a move: the confirmations start over
        elif entry.kind == "review" and entry.to_value == CONFIRM:
            actors.append(entry)
    taken = tuple(
        StepTaken(step, entry.actor, entry.reason) for step, entry in zip(before, actors, strict=False)
    )
    return ClaimStage(before, taken)


def check_step(stage: ClaimStage, action: str, actor: str) -> str:
    """The step ``action`` (``confirm`` or ``accept``) takes for ``actor``, or raise: a confirmation in a
    one-step round or after the last one, a 销号 before every confirmation (``ReviewStepMissing``), and
    a second step by one person (``SameReviewer``). Other actions (退回, reopen) take no step: ''."""
    if action not in (CONFIRM, "accept"):
        return ""
    if action == CONFIRM and not stage.steps:
        raise ReviewStepMissing(f"this round closes in one step: {CLOSE_STEP} (accept) directly")
    if action == CONFIRM and stage.confirmed:
        raise ReviewStepMissing(f"{stage.label}: every confirmation is taken, the next step is {CLOSE_STEP}")
    if action == "accept" and stage.next_step != CLOSE_STEP:
        raise ReviewStepMissing(f"{stage.label}: {stage.next_step} comes before {CLOSE_STEP}")
    who = reviewer_identity(actor)
    if who in stage.reviewers():
        taken = next(t.step for t in stage.taken if t.who == who)
        raise SameReviewer(
            f"'{who}' took {taken} of this claim: {stage.next_step} needs another person (four-eyes)"
        )
    return stage.next_step
