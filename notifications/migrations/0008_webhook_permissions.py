"""Managers manage webhook subscribers (the admin, the API) and retry their deliveries."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MANAGE = ["manage_webhooks"]


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0)  # type: ignore[arg-type]
        app_config.models_module = None
    group = apps.get_model("auth", "Group")
    permission = apps.get_model("auth", "Permission")
    managers, _ = group.objects.get_or_create(name="Managers")
    managers.permissions.add(
        *permission.objects.filter(content_type__app_label="notifications", codename__in=MANAGE)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0007_webhooks"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
