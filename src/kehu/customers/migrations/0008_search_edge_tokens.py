"""Initials are indexed as exact edge tokens ("j" + the first 2–4 initials) next to
the full initials ("i" + all of them): derive them for customers indexed before."""

from django.db import migrations


def add_edge_tokens(apps, schema_editor):
    table = apps.get_model("customers", "SearchToken")._meta.db_table
    edge_tokens_derive(schema_editor.connection, table)


def edge_tokens_derive(connection, table):
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for k in (2, 3, 4):
            select = (
                f"SELECT 'j' || substr(token, 2, {k}), customer_id FROM {table} "
                f"WHERE token >= 'i' AND token < 'j' AND length(token) >= {k + 1}"
            )
            if postgres:
                cursor.execute(
                    f"INSERT INTO {table} (token, customer_id) {select} ON CONFLICT DO NOTHING"
                )
            else:
                cursor.execute(f"INSERT OR IGNORE INTO {table} (token, customer_id) {select}")


def remove_edge_tokens(apps, schema_editor):
    table = apps.get_model("customers", "SearchToken")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE token >= 'j' AND token < 'k'")


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_text_limits")]

    operations = [migrations.RunPython(add_edge_tokens, remove_edge_tokens)]
