"""The two staff roles and the default response-time promises."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

AGENT_PERMISSIONS = {
    "complaints": ["view_complaint", "change_complaint", "view_complaintevent", "add_complaintevent"],
    "customers": ["view_customer", "view_product", "view_purchase"],
    "compensation": ["view_compensationoffer", "add_compensationoffer", "change_compensationoffer"],
    "notifications": ["view_letter"],
}
MANAGER_EXTRA = {
    "complaints": ["view_slapolicy", "change_slapolicy"],
    "customers": ["change_customer", "add_product", "change_product", "add_purchase", "change_purchase"],
    "notifications": ["change_letter"],
}
SLA_MINUTES = {
    "urgent": (60, 8 * 60),
    "high": (4 * 60, 24 * 60),
    "normal": (8 * 60, 3 * 24 * 60),
    "low": (24 * 60, 7 * 24 * 60),
}


def _permissions(apps: Apps, spec: dict[str, list[str]]) -> list[object]:
    permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, codenames in spec.items():
        found += list(permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    return found


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0)  # type: ignore[arg-type]
        app_config.models_module = None
    group = apps.get_model("auth", "Group")
    agents, _ = group.objects.get_or_create(name="Support agents")
    agents.permissions.add(*_permissions(apps, AGENT_PERMISSIONS))
    managers, _ = group.objects.get_or_create(name="Managers")
    managers.permissions.add(*_permissions(apps, AGENT_PERMISSIONS), *_permissions(apps, MANAGER_EXTRA))

    policy = apps.get_model("complaints", "SlaPolicy")
    for priority, (first, resolution) in SLA_MINUTES.items():
        policy.objects.get_or_create(
            priority=priority, defaults={"first_response_minutes": first, "resolution_minutes": resolution}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("customers", "0001_initial"),
        ("compensation", "0001_initial"),
        ("notifications", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
