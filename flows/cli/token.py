"""``zhenggai token``: bearer tokens for the report API (only their hashes are stored)."""

from __future__ import annotations

import typer

from flows.cli.app import app, make_app
from flows.cli.common import console, database, err_console

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
) -> None:
    """Issue a token and print it once: it cannot be shown again.

    Example: zhenggai token issue --unit jiedao --label 街道联络员
    """
    from datetime import UTC, datetime

    from models.enums import TokenRole
    from tasks.reports.tokens import issue_token

    if (unit is None) == (role is None):
        raise typer.BadParameter(
            "give either --unit U or --role coordinator|leader", param_hint="--unit/--role"
        )
    if role is not None and role not in (TokenRole.COORDINATOR.value, TokenRole.LEADER.value):
        raise typer.BadParameter(f"'{role}' is not coordinator or leader", param_hint="--role")
    token_role = TokenRole(role) if role is not None else TokenRole.UNIT
    with database().unit_of_work() as session:
        issued = issue_token(session, role=token_role, unit_code=unit, label=label, now=datetime.now(UTC))
        session.commit()
    who = f"unit {issued.unit_code}" if issued.unit_code else issued.role.value
    typer.echo(issued.secret)
    err_console.print(
        f"token #{issued.token_id} '{issued.label}' for {who}: shown once, only its hash is stored"
    )


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
    """List tokens: id, label, role, unit, last use (never a secret).

    Example: zhenggai token list --all
    """
    from rich.table import Table

    from tasks.reports.tokens import list_tokens

    table = Table(title="API tokens")
    for column in ("id", "label", "role", "unit", "created", "last used", "revoked"):
        table.add_column(column)
    with database().unit_of_work() as session:
        for t in list_tokens(session, include_revoked=all_):
            table.add_row(
                str(t.id),
                t.label,
                t.role.value,
                t.unit.code if t.unit else "",
                t.created_at.isoformat(timespec="seconds"),
                t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "",
                t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "",
            )
    console.print(table)
