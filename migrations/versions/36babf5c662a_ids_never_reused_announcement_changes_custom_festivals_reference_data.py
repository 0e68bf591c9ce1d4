"""ids never reused on SQLite, announcements withdrawn or corrected, festivals admins add, reference data

- SQLite: every table with a single INTEGER key becomes AUTOINCREMENT (the audit log names rows by id;
  SQLite would reuse the largest id after a delete). PostgreSQL's sequences never reuse one.
- announcement: corrected_at, corrections, withdrawn_at, withdraw_reason.
- festival_setting: calendar, month, day (the date rule of a festival an admin added).
- Reference data that ships with the project: the civility tip library and the catalogued festivals'
  notice settings, inserted if missing (the scheduler and ``flask seed-reference`` add later ones).

Revision ID: 36babf5c662a
Revises: c5a84f8ddead
Create Date: 2026-12-01 23:00:00

"""
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '36babf5c662a'
down_revision = 'c5a84f8ddead'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('corrections', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdraw_reason', sa.String(length=200), nullable=True))

    with op.batch_alter_table('festival_setting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('month', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('day', sa.Integer(), nullable=True))

    _install_reference_data()
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_autoincrement()


def downgrade():
    with op.batch_alter_table('festival_setting', schema=None) as batch_op:
        batch_op.drop_column('day')
        batch_op.drop_column('month')
        batch_op.drop_column('calendar')

    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_column('withdraw_reason')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('corrections')
        batch_op.drop_column('corrected_at')
    # AUTOINCREMENT stays: it changes no data, and going back to reusing ids helps nobody.


def _install_reference_data():
    """The shipped tip library and festival settings, with explicit columns (not the models, which move on)."""
    from app.civility_tips import TIPS
    from app.services.festivals import DEFAULTS

    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)
    tip = sa.table('civility_tip', sa.column('theme'), sa.column('content'), sa.column('enabled'),
                   sa.column('created_at'))
    known = set(bind.execute(sa.select(tip.c.content)).scalars())
    rows = [dict(theme=theme, content=content, enabled=True, created_at=now)
            for theme, content in TIPS if content not in known]
    if rows:
        op.bulk_insert(tip, rows)
    setting = sa.table('festival_setting', sa.column('name'), sa.column('enabled'), sa.column('lead_days', sa.JSON),
                       sa.column('template'), sa.column('create_draft_event'), sa.column('updated_at'))
    named = set(bind.execute(sa.select(setting.c.name)).scalars())
    rows = [dict(name=name, enabled=True, lead_days=list(default.lead_days), template=default.template,
                 create_draft_event=False, updated_at=now)
            for name, default in DEFAULTS.items() if name not in named]
    if rows:
        op.bulk_insert(setting, rows)


def _sqlite_autoincrement():
    """SQLite's documented way to change a table's definition: a new table, copy, drop, rename, indexes
    again, with foreign key enforcement off (a DROP TABLE would otherwise cascade into the children)."""
    connection = op.get_bind().connection.dbapi_connection
    connection.commit()  # PRAGMA foreign_keys is ignored inside a transaction
    connection.execute('PRAGMA foreign_keys=OFF')
    try:
        tables = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version' ORDER BY name"
        ).fetchall()
        for name, sql in tables:
            keys = [row for row in connection.execute(f'PRAGMA table_info("{name}")') if row[5]]
            if len(keys) != 1 or keys[0][2].upper() != 'INTEGER' or 'AUTOINCREMENT' in sql.upper():
                continue
            column = keys[0][1]
            table_key = re.compile(rf',\s*CONSTRAINT (\w+) PRIMARY KEY \({column}\)')
            found = table_key.search(sql)
            definition = re.compile(rf'(\n\s*{column} INTEGER NOT NULL)(,)')
            if found is None or definition.search(sql) is None:
                raise RuntimeError(f'unexpected definition of table {name}: {sql}')
            new_sql = table_key.sub('', sql, count=1)
            new_sql = definition.sub(rf'\1 CONSTRAINT {found.group(1)} PRIMARY KEY AUTOINCREMENT\2', new_sql, count=1)
            new_sql = re.sub(rf'^CREATE TABLE "?{name}"?', f'CREATE TABLE "_new_{name}"', new_sql, count=1)
            indexes = [row[0] for row in connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (name,)
            )]
            connection.execute(new_sql)
            connection.execute(f'INSERT INTO "_new_{name}" SELECT * FROM "{name}"')
            connection.execute(f'DROP TABLE "{name}"')
            connection.execute(f'ALTER TABLE "_new_{name}" RENAME TO "{name}"')
            for index in indexes:
                connection.execute(index)
        problems = connection.execute('PRAGMA foreign_key_check').fetchall()
        if problems:
            raise RuntimeError(f'foreign keys broken by the rebuild: {problems}')
        connection.commit()
    finally:
        connection.execute('PRAGMA foreign_keys=ON')
