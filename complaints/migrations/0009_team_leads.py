"""Three staff roles: agents, team leads (an agent who also runs the duty rota and the team's workload) and
managers (everything a team lead does, plus the managers' pages)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TEAM_LEAD_EXTRA = {"complaints": ["lead_team", "view_team", "view_teammember"]}
MANAGER_EXTRA = {
    "complaints": [
        "lead_team",
        "view_reports",
        "view_team",
        "add_team",
        "change_team",
        "delete_team",
        "view_teammember",
        "add_teammember",
        "change_teammember",
        "delete_teammember",
    ]
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
    leads, _ = group.objects.get_or_create(name="Team leads")
    leads.permissions.add(*agents.permissions.all(), *_permissions(apps, TEAM_LEAD_EXTRA))
    managers, _ = group.objects.get_or_create(name="Managers")
    managers.permissions.add(*_permissions(apps, MANAGER_EXTRA))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_closing_teams_merge"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
