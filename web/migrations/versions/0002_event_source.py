"""Events: the source (a daily hash of the address alone), for the rate limit.

The client hash covers the address and the user agent, so changing the agent made a
new client; the rate limit and vote deduplication now go by the source instead.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("source", sa.String(32)))
    op.create_index("events_source_at", "events", ["source", "at"])


def downgrade() -> None:
    op.drop_index("events_source_at", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("source")
