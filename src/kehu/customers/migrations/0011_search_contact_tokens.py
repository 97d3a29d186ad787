"""E-mails and WeChat ids are indexed as contact tokens ("e" + the whole value) apart
from the words of names ("w"): search matches a part of them only where the user may
see the customer's contact data. Move the tokens written before."""

import re

from django.db import migrations

MAX_TOKEN = 64
CHUNK = 2000
WORD = re.compile(r"[0-9a-z]+")


def _name_words(*names):
    return {("w" + word)[:MAX_TOKEN] for name in names for word in WORD.findall(name.lower())}


def move_contact_tokens(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    Contact = apps.get_model("customers", "Contact")
    table = apps.get_model("customers", "SearchToken")._meta.db_table
    values = {}  # customer id -> its e-mails and WeChat ids
    customers = Customer.objects.exclude(email="", wechat_id="")
    for pk, email, wechat_id in customers.values_list("pk", "email", "wechat_id").iterator():
        values.setdefault(pk, set()).update(v for v in (email, wechat_id) if v)
    for pk, email in Contact.objects.exclude(email="").values_list("customer_id", "email"):
        values.setdefault(pk, set()).add(email)
    ids = sorted(values)
    insert = f"INSERT INTO {table} (token, customer_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            names = {
                pk: [name]
                for pk, name in Customer.objects.filter(pk__in=chunk).values_list("pk", "name")
            }
            for pk, name in Contact.objects.filter(customer_id__in=chunk).values_list(
                "customer_id", "name"
            ):
                names[pk].append(name)
            stale, fresh = [], []
            for pk in chunk:
                words = _name_words(*names.get(pk, []))
                for value in values[pk]:
                    old = ("w" + value.lower())[:MAX_TOKEN]
                    if old not in words:
                        stale.append((old, pk))
                    fresh.append((("e" + value.lower())[:MAX_TOKEN], pk))
            cursor.executemany(f"DELETE FROM {table} WHERE token = %s AND customer_id = %s", stale)
            cursor.executemany(insert, fresh)


def move_back(apps, schema_editor):
    table = apps.get_model("customers", "SearchToken")._meta.db_table
    connection = schema_editor.connection
    select = f"SELECT 'w' || substr(token, 2), customer_id FROM {table} WHERE token >= 'e' AND token < 'f'"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (token, customer_id) {select} ON CONFLICT DO NOTHING"
            )
        else:
            cursor.execute(f"INSERT OR IGNORE INTO {table} (token, customer_id) {select}")
        cursor.execute(f"DELETE FROM {table} WHERE token >= 'e' AND token < 'f'")


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_change_contact_data")]

    operations = [migrations.RunPython(move_contact_tokens, move_back)]
