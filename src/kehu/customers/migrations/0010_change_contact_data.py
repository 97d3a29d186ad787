"""History entries say whether they carry contact data (``CustomerChange.contact_data``),
so every surface can show them through the detail view's rule. Entries written before
are marked from the field they are about."""

from django.db import migrations, models

# CONTACT_DATA_FIELDS as of this migration (phones, e-mail, WeChat, address, contacts).
CONTACT_DATA_FIELDS = ("phones", "email", "wechat_id", "address", "contacts")


def mark_contact_data(apps, schema_editor):
    CustomerChange = apps.get_model("customers", "CustomerChange")
    CustomerChange.objects.filter(field__in=CONTACT_DATA_FIELDS).update(contact_data=True)


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_customer_last_deal_from_orders")]

    operations = [
        migrations.AddField(
            model_name="customerchange",
            name="contact_data",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_contact_data, migrations.RunPython.noop, elidable=True),
    ]
