"""events: walk-ins allowed, live code only

Revision ID: 239d37e7cb41
Revises: 6503d1e9e6d6
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '239d37e7cb41'
down_revision = '6503d1e9e6d6'
branch_labels = None
depends_on = None


def upgrade():
    # table_kwargs: if SQLite rebuilds the table, it stays AUTOINCREMENT (ids never reused, 36babf5c662a).
    with op.batch_alter_table('event', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('walk_ins_allowed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('live_code_only', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # table_kwargs: if SQLite rebuilds the table, it stays AUTOINCREMENT (ids never reused, 36babf5c662a).
    with op.batch_alter_table('event', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('live_code_only')
        batch_op.drop_column('walk_ins_allowed')
