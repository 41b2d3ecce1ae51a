"""Managers add customers one by one through the API, as they already may import them and change them."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ADD_CUSTOMER = ["add_customer"]


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0)  # type: ignore[arg-type]
        app_config.models_module = None
    group = apps.get_model("auth", "Group")
    permission = apps.get_model("auth", "Permission")
    managers, _ = group.objects.get_or_create(name="Managers")
    managers.permissions.add(
        *permission.objects.filter(content_type__app_label="customers", codename__in=ADD_CUSTOMER)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("complaints", "0002_roles_and_sla"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
