"""ledger: the console's background builds of the inspection pack

Revision ID: b7e2c4d91f3a
Revises: 5e1c7a93b2d4
Create Date: 2026-12-02 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b7e2c4d91f3a'
down_revision = '5e1c7a93b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('started_by', sa.String(length=50), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_export')),
    sa.UniqueConstraint('year', name=op.f('uq_ledger_export_year')),
    sqlite_autoincrement=True
    )


def downgrade():
    op.drop_table('ledger_export')
