"""The WireGuard public-key registry moves into the journal (it was a JSON file in the state
folder: tcd.journal.keys imports that file once).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hub_keys",
        sa.Column("office", sa.String(16), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "spoke_keys",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("office", sa.String(16), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("spoke_keys")
    op.drop_table("hub_keys")
