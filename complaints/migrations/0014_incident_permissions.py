"""Everyone on staff reads incidents; team leads and managers declare and update them."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

VIEW = ["view_incident"]
MANAGE = ["view_incident", "add_incident", "change_incident"]


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0)  # type: ignore[arg-type]
        app_config.models_module = None
    group = apps.get_model("auth", "Group")
    permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Support agents", VIEW), ("Team leads", MANAGE), ("Managers", MANAGE)):
        role, _ = group.objects.get_or_create(name=name)
        role.permissions.add(
            *permission.objects.filter(content_type__app_label="compensation", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0013_complaint_incident"),
        ("compensation", "0003_incidents"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
