"""The journal: runs, sites, hosts, results.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("wave", sa.String(32)),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("controller", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("git_commit", sa.String(40)),
        sa.Column("git_dirty", sa.Boolean),
        sa.Column("inventory_digest", sa.String(64), nullable=False),
        sa.Column("arguments", sa.JSON, nullable=False),
        sa.Column("dry", sa.Boolean, nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("log_path", sa.String(1024)),
        sa.Column("resumed_from", sa.Integer, sa.ForeignKey("runs.id")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code", sa.Integer, nullable=False),
        sa.Column("wave", sa.String(32)),
        sa.Column("batch", sa.Integer),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(2048)),
        sa.Column("started_at", WHEN),
        sa.Column("deployed_at", WHEN),
        sa.Column("ended_at", WHEN),
        sa.Column("operations_changed", sa.Integer, nullable=False),
        sa.Column("verify", sa.JSON),
        sa.UniqueConstraint("run_id", "code"),
    )
    op.create_index("ix_sites_run_id", "sites", ["run_id"])
    op.create_index("ix_sites_code", "sites", ["code"])
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "site_id", sa.Integer, sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
    )
    op.create_index("ix_hosts_site_id", "hosts", ["site_id"])
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "host_id", sa.Integer, sa.ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("detail", sa.String(4096)),
    )
    op.create_index("ix_results_host_id", "results", ["host_id"])


def downgrade() -> None:
    for table in ("results", "hosts", "sites", "runs"):
        op.drop_table(table)
