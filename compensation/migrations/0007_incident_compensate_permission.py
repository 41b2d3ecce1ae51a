"""Only managers apologise and compensate for an incident; incidents that had ended are marked resolved."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

COMPENSATE = ["compensate_incident"]


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0)  # type: ignore[arg-type]
        app_config.models_module = None
    group = apps.get_model("auth", "Group")
    permission = apps.get_model("auth", "Permission")
    managers, _ = group.objects.get_or_create(name="Managers")
    managers.permissions.add(
        *permission.objects.filter(content_type__app_label="compensation", codename__in=COMPENSATE)
    )
    incident = apps.get_model("compensation", "Incident")
    incident.objects.filter(ended_at__isnull=False).update(status="resolved")


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0006_incident_lifecycle_and_apologies"),
        ("complaints", "0014_incident_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
