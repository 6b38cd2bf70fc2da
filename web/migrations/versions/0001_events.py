"""Reader feedback: events, shown-list counts, daily aggregates, the daily salt.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PAGE = 400
SLUG = 300


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column("page", sa.String(PAGE)),
        sa.Column("list", sa.String(16)),
        sa.Column("slot", sa.SmallInteger),
        sa.Column("rank", sa.SmallInteger),
        sa.Column("arm", sa.String(16)),
        sa.Column("team", sa.String(1)),
        sa.Column("target", sa.String(SLUG)),
    ]


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(32), nullable=False),
        sa.Column("dedupe", sa.String(64), nullable=False),
        *_event_columns(),
        sa.Column("impression", sa.String(32)),
        sa.Column("comparison", sa.String(SLUG)),
        sa.Column("agree", sa.Boolean),
        sa.Column("comment", sa.Text),
        sa.Column("query", sa.String(200)),
        sa.UniqueConstraint("dedupe", name="events_dedupe"),
    )
    # the rate limit counts a client's last minute; retention deletes by day
    op.create_index("events_client_at", "events", ["client", "at"])
    op.create_index("events_day", "events", ["day"])
    op.create_index("events_kind_page", "events", ["kind", "page"])
    op.create_table(
        "impressions",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("page", sa.String(PAGE), primary_key=True),
        sa.Column("list", sa.String(16), primary_key=True),
        sa.Column("arm", sa.String(16), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "daily",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        *_event_columns(),
        sa.Column("comparison", sa.String(SLUG)),
        sa.Column("agree", sa.Boolean),
        sa.Column("query", sa.String(200)),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_index("daily_kind_day", "daily", ["kind", "day"])
    op.create_table(
        "salts",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("salts")
    op.drop_index("daily_kind_day", table_name="daily")
    op.drop_table("daily")
    op.drop_table("impressions")
    op.drop_index("events_kind_page", table_name="events")
    op.drop_index("events_day", table_name="events")
    op.drop_index("events_client_at", table_name="events")
    op.drop_table("events")
