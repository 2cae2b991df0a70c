"""``zhenggai token``: bearer tokens for the report API (only their hashes are stored)."""

from __future__ import annotations

from datetime import datetime

import typer

from flows.cli.app import app, make_app
from flows.cli.common import console, database, err_console, local_time, settings

token_app = make_app(
    "API tokens: one per unit, coordinator or leader.\n\nExample: [bold]zhenggai token issue --unit jiedao[/bold]"
)
app.add_typer(token_app, name="token")


@token_app.command("issue")
def issue(
    unit: str | None = typer.Option(None, "--unit", help="The unit's code: a token that reports for it."),
    role: str | None = typer.Option(
        None, "--role", help="coordinator (read, review, close) or leader (read only)."
    ),
    label: str | None = typer.Option(
        None, "--label", help="A name for logs and history (default: unit or role)."
    ),
    expires: str | None = typer.Option(
        None,
        "--expires",
        help="When it stops working: a date (2027-06-30, end of that day) or a lifetime (90d, 12h). "
        "Default: unit tokens 180 days, others 30 (ZHENGGAI_UNIT_TOKEN_DAYS, ZHENGGAI_ROLE_TOKEN_DAYS).",
    ),
    link: bool = typer.Option(
        False,
        "--link",
        help="Print a sign-in link (on ZHENGGAI_PUBLIC_URL) instead of the token: a unit's opens the "
        "portal, a coordinator's or leader's the desk (/desk).",
    ),
) -> None:
    """Issue a token and print it once: it cannot be shown again.

    Example: zhenggai token issue --unit jiedao --label 街道联络员

    Example: zhenggai token issue --role coordinator --label 督查室 --link
    """
    from datetime import UTC, datetime

    from models.enums import TokenRole
    from tasks.reports.signin import sign_in_link
    from tasks.reports.tokens import default_lifetime, issue_token

    if (unit is None) == (role is None):
        raise typer.BadParameter(
            "give either --unit U or --role coordinator|leader", param_hint="--unit/--role"
        )
    if role is not None and role not in (TokenRole.COORDINATOR.value, TokenRole.LEADER.value):
        raise typer.BadParameter(f"'{role}' is not coordinator or leader", param_hint="--role")
    token_role = TokenRole(role) if role is not None else TokenRole.UNIT
    config = settings()
    if link and not config.public_url:
        raise typer.BadParameter(
            "set ZHENGGAI_PUBLIC_URL (where the portal and the desk are reached) to make sign-in links",
            param_hint="--link",
        )
    now = datetime.now(UTC)
    expires_at = _expiry(expires, now) or now + default_lifetime(
        token_role, unit_days=config.unit_token_days, role_days=config.role_token_days
    )
    with database().unit_of_work() as session:
        issued = issue_token(
            session, role=token_role, unit_code=unit, label=label, now=now, expires_at=expires_at
        )
        path = "" if token_role == TokenRole.UNIT else "/desk"
        url = sign_in_link(session, config, issued.token_id, now=now, path=path) if link else None
        session.commit()
    who = f"unit {issued.unit_code}" if issued.unit_code else issued.role.value
    until = local_time(expires_at)
    if url is not None:
        typer.echo(url)
        err_console.print(
            f"sign-in link for token #{issued.token_id} '{issued.label}' ({who}): works until "
            f"{local_time(min(expires_at, now + config.link_ttl))}; the token expires {until}"
        )
        return
    typer.echo(issued.secret)
    err_console.print(
        f"token #{issued.token_id} '{issued.label}' for {who}: shown once, only its hash is stored; "
        f"expires {until}"
    )


def _expiry(value: str | None, now: datetime) -> datetime | None:
    """``--expires``: a date (the end of that day in the configured zone) or a lifetime (90d, 12h)."""
    if value is None:
        return None
    from datetime import date, timedelta

    text = value.strip().lower()
    units = {"d": "days", "h": "hours"}
    if text[-1:] in units and text[:-1].isdigit() and int(text[:-1]) > 0:
        return now + timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is neither a date (2027-06-30) nor a lifetime (90d, 12h)", param_hint="--expires"
        ) from None
    return settings().clock().end_of_day(day)


@token_app.command("revoke")
def revoke(token: str = typer.Argument(..., help="The token's id (#7 or 7) or its label.")) -> None:
    """Revoke a token: requests with it are refused from now on.

    Example: zhenggai token revoke 7
    """
    from datetime import UTC, datetime

    from tasks.reports.tokens import revoke_token

    with database().unit_of_work() as session:
        revoked = revoke_token(session, token, now=datetime.now(UTC))
        session.commit()
        console.print(f"revoked token #{revoked.id} '{revoked.label}'")


@token_app.command("list")
def list_(all_: bool = typer.Option(False, "--all", help="Include revoked tokens.")) -> None:
    """List tokens: id, label, role, unit, times in the configured zone (never a secret).

    Example: zhenggai token list --all
    """
    from tasks.reports.tokens import list_tokens

    zone = settings().timezone
    with database().unit_of_work() as session:
        tokens = list_tokens(session, include_revoked=all_)
        for t in tokens:
            parts = [
                f"#{t.id} '{t.label}' {t.role.value}" + (f" {t.unit.code}" if t.unit else ""),
                f"created {local_time(t.created_at)}",
                f"last used {local_time(t.last_used_at)}",
                f"expires {local_time(t.expires_at) if t.expires_at else 'never'}",
            ]
            if t.revoked_at:
                parts.append(f"revoked {local_time(t.revoked_at)}")
            console.print(" · ".join(parts))
    console.print(f"{len(tokens)} token(s); times in {zone}")
