"""The messages a closed assessment period sends: the ranking to the leaders, each unit its own score.

Pure: the planned messages carry their idempotency keys (``models.notifications.message_key``) so a
repeated run records each once, and are due at the next allowed moment (quiet hours, working days).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.assessment import LIST_LABEL, ListKind, Ranking, UnitScore
from models.assessment_formula import RULE_LABEL, format_points, format_score
from models.clock import Clock
from models.enums import MessageKind
from models.notifications import PlannedMessage, Policy, Recipient, message_key, next_allowed


def _messages(
    recipients: Sequence[Recipient],
    *,
    subject: str,
    period: str,
    template: str,
    context: dict[str, Any],
    clock: Clock,
    policy: Policy,
    unit_id: int | None = None,
) -> list[PlannedMessage]:
    due_at = next_allowed(clock, policy)
    out = []
    for recipient in recipients:
        for index, _url in enumerate(recipient.urls):
            out.append(
                PlannedMessage(
                    key=message_key(subject, MessageKind.ASSESSMENT, recipient, index, period),
                    kind=MessageKind.ASSESSMENT,
                    template=template,
                    context={**context, "recipient": recipient.person, "_held": due_at > clock.now},
                    recipient=recipient,
                    url_index=index,
                    due_at=due_at,
                    unit_id=unit_id if unit_id is not None else recipient.unit_id,
                )
            )
    return out


def _names(scores: Sequence[UnitScore]) -> str:
    return "、".join(s.name for s in scores)


def ranking_context(ranking: Ranking) -> dict[str, Any]:
    """What the leaders' message shows: every ranked unit, the lists, the formula."""
    return {
        "round_code": ranking.round_code,
        "period": ranking.period.label,
        "period_title": ranking.period.title,
        "formula": f"{ranking.formula_name}（{ranking.formula_version}）",
        "rows": [
            {
                "rank": f"{s.rank}" + ("（并列）" if s.tied else ""),
                "name": s.name,
                "total": format_score(s.total),
                "change": format_points(s.change) if s.change is not None else "",
                "list": LIST_LABEL[s.list] if s.list else "",
            }
            for s in ranking.ranked
        ],
        "red": _names(ranking.on_list(ListKind.RED)),
        "black": _names(ranking.on_list(ListKind.BLACK)),
    }


def unit_context(score: UnitScore, ranking: Ranking) -> dict[str, Any]:
    """What a unit's own message shows: its score, rank and list, each deduction, its 加减分."""
    return {
        "unit": score.name,
        "period_title": ranking.period.title,
        "base": format_score(score.base_score),
        "adjustment": format_points(score.adjustment),
        "total": format_score(score.total),
        "rank": score.rank,
        "ranked": len(ranking.ranked),
        "list": LIST_LABEL[score.list] if score.list else "",
        "unranked_reason": score.unranked_reason,
        "deductions": [
            {
                "measure": line.measure_code or "—",
                "day": line.day.isoformat(),
                "rule": RULE_LABEL[line.rule],
                "points": format_points(line.points),
                "detail": line.detail,
            }
            for line in score.lines
            if line.points < 0
        ],
        "adjustments": [{"points": format_points(a.points), "reason": a.reason} for a in score.adjustments],
    }


def plan_assessment_messages(
    ranking: Ranking,
    *,
    leaders: Sequence[Recipient],
    units: Mapping[str, tuple[int | None, Sequence[Recipient]]],
    clock: Clock,
    policy: Policy,
) -> list[PlannedMessage]:
    """The ranking to each leader; to each unit scored in the period (asked something) its own score."""
    period = ranking.period.label
    subject = f"assess:{ranking.round_code}"
    out = _messages(
        leaders,
        subject=subject,
        period=period,
        template="assessment_ranking",
        context=ranking_context(ranking),
        clock=clock,
        policy=policy,
    )
    for score in ranking.scores:
        if not score.asked or score.code not in units:
            continue
        unit_id, recipients = units[score.code]
        out += _messages(
            recipients,
            subject=f"{subject}:{score.code}",
            period=period,
            template="assessment_unit",
            context=unit_context(score, ranking),
            clock=clock,
            policy=policy,
            unit_id=unit_id,
        )
    return out
