"""``python manage.py bench --complaints N``: the HTTP benchmark (see ``complaints.benchmarks.harness``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from complaints.benchmarks.harness import benchmark_run
from complaints.benchmarks.seeding import DEFAULT_BATCH


class Command(BaseCommand):
    help = (
        "Benchmark the web app over HTTP: top the PostgreSQL database up to N complaints, start gunicorn, "
        "and time the complaint form, the staff queue (first, later, filtered and deep pages, search), the complaint"
        " page and the API list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--complaints", type=int, required=True, help="Complaints the database should hold.")
        parser.add_argument("--requests", type=int, default=300, help="Timed requests per workload (default 300).")
        parser.add_argument("--concurrency", type=int, default=8, help="Client threads (default 8).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2).")
        parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker (default 4).")
        parser.add_argument(
            "--worker-class",
            choices=["gthread", "sync"],
            default="sync",
            help=(
                "gunicorn worker class (default sync, the configuration to deploy on a small machine). 'sync' serves"
                " one request at a time per process and closes each connection, so every request goes to an idle"
                " worker; 'gthread' shares each process among --threads requests."
            ),
        )
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="Seeding batch size.")
        parser.add_argument(
            "--only",
            default="",
            help="Comma-separated workloads to run, e.g. b,b3,b4,b5 (default: all of a, b, b2, b3, b4, b5, c, d).",
        )
        parser.add_argument(
            "--keep-data",
            action="store_true",
            help="Keep the complaints submitted by the benchmark (by default they are deleted afterwards).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        benchmark_run(
            complaints=options["complaints"],
            requests=options["requests"],
            concurrency=options["concurrency"],
            workers=options["workers"],
            threads=options["threads"],
            batch=options["batch"],
            keep_data=options["keep_data"],
            out=self.stdout.write,
            only=tuple(key.strip() for key in options["only"].split(",") if key.strip()),
            worker_class=options["worker_class"],
        )
