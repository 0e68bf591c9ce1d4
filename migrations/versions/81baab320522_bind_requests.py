"""bind requests: name + 工号 binds waiting for an admin

Revision ID: 81baab320522
Revises: a312bfc9169a
Create Date: 2026-12-01 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '81baab320522'
down_revision = 'a312bfc9169a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bind_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('pending_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_ip', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['mp_account.id'], name=op.f('fk_bind_request_account_id_mp_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_bind_request_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bind_request')),
    sa.UniqueConstraint('pending_account_id', name=op.f('uq_bind_request_pending_account_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('bind_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bind_request_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bind_request_staff_id'), ['staff_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bind_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bind_request_staff_id'))
        batch_op.drop_index(batch_op.f('ix_bind_request_account_id'))

    op.drop_table('bind_request')
