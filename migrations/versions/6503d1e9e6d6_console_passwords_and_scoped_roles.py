"""console: password credentials and department-scoped roles

Revision ID: 6503d1e9e6d6
Revises: a79ad551ee74
Create Date: 2026-12-01 23:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6503d1e9e6d6'
down_revision = 'a79ad551ee74'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('console_credential',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_console_credential_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_console_credential'))
    )
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_role_department_id_department'), 'department', ['department_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_role_department_id_department'), type_='foreignkey')
        batch_op.drop_column('department_id')
    op.drop_table('console_credential')
