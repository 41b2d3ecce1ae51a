"""The embedded mode of `make run` (SQLite, no Redis) must keep migrating as the schema grows, and its demo data
(an outage apologised for, computed with SQL written for both databases) must load."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def _embedded_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "REDIS_URL": "",
        "AMENDS_VAR_DIR": str(tmp_path / "var"),
    }


def _manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=_embedded_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_migration_applies_on_sqlite(tmp_path: Path) -> None:
    result = _manage(tmp_path, "migrate", "--noinput")

    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "embedded.sqlite3").exists()


def test_the_demo_outage_is_worked_out_on_sqlite(tmp_path: Path) -> None:
    assert _manage(tmp_path, "migrate", "--noinput").returncode == 0
    seeded = _manage(tmp_path, "seed_demo")
    assert seeded.returncode == 0, seeded.stderr[-3000:]

    # What the worker does with the file broker's task, done here: apologise and credit, on SQLite.
    script = (
        "from compensation.incidents.services import incident_batch_process\n"
        "from compensation.models import IncidentAffected, IncidentBatch, IncidentCredit\n"
        "print(sorted(IncidentAffected.objects.values_list('overlap_seconds', flat=True)))\n"
        "print(sum(incident_batch_process(batch_id=b.pk) for b in IncidentBatch.objects.filter(done=False)))\n"
        "print(sorted(str(a) for a in IncidentCredit.objects.values_list('amount', flat=True)))\n"
    )
    worked = _manage(tmp_path, "shell", "-c", script)

    assert worked.returncode == 0, worked.stderr[-3000:]
    # Two Web Hosting Pro customers, four hours each of a 1,490 RUB month (30 days): 1490 x 4 / 720 = 8.28.
    assert worked.stdout.splitlines()[-3:] == ["[14400, 14400]", "2", "['8.28', '8.28']"]


def test_every_report_is_built_on_sqlite_from_the_demo_data(tmp_path: Path) -> None:
    assert _manage(tmp_path, "migrate", "--noinput").returncode == 0
    assert _manage(tmp_path, "seed_demo").returncode == 0

    # Percentiles are worked out in Python there, retention windows with SQLite's date arithmetic.
    script = (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from complaints.reports.base import Period\n"
        "from complaints.reports.registry import REPORTS, report_build\n"
        "now = timezone.now(); today = timezone.localdate(now)\n"
        "period = Period(today - timedelta(days=89), today, 'week')\n"
        "for slug in REPORTS:\n"
        "    report = report_build(slug=slug, period=period, now=now)\n"
        "    print(slug, len(report.tables), sum(len(t.rows) for t in report.tables))\n"
        "volume = report_build(slug='volume', period=period, now=now)\n"
        "print('received', volume.figures[0].value)\n"
    )
    built = _manage(tmp_path, "shell", "-c", script)

    assert built.returncode == 0, built.stderr[-3000:]
    lines = built.stdout.splitlines()
    assert [line.split()[0] for line in lines[-8:-1]] == [
        "volume",
        "sla",
        "times",
        "outcomes",
        "compensation",
        "people",
        "retention",
    ]
    assert all(int(line.split()[2]) > 0 for line in lines[-8:-1])
    assert int(lines[-1].split()[1]) > 0
