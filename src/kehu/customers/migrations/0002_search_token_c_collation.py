"""On PostgreSQL, compare search tokens bytewise whatever the database's locale.

Prefix lookups are ranges (``token >= 'pzs' AND token < 'pzt'``); under a
linguistic collation (en_US.UTF-8, zh_CN.UTF-8) punctuation is ignored at the first
level and a range can miss e-mail tokens. SQLite already compares bytewise.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE customers_searchtoken ALTER COLUMN token TYPE varchar(64) COLLATE "C"'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE customers_searchtoken ALTER COLUMN token TYPE varchar(64) "
            'COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
