"""``python manage.py bench --complaints N``: the HTTP benchmark (see ``complaints.benchmarks.harness``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from complaints.benchmarks.harness import BACKGROUND_WORKLOADS, BackgroundSizes, benchmark_run
from complaints.benchmarks.seeding import DEFAULT_BATCH


class Command(BaseCommand):
    help = (
        "Benchmark the web app over HTTP: top the PostgreSQL database up to N complaints, start gunicorn, "
        "and time the complaint form, the staff queue (first, later, filtered and deep pages, search), the complaint"
        " page and the API list; then the background side: letters per second of one worker to a local SMTP sink,"
        " submission to acknowledgement, and the promise sweep with every complaint open."
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
            help=(
                "Comma-separated workloads to run, e.g. b,b3,b4,b5 (default: all of a, b, b2, b3, b4, b5, c, d, "
                + ", ".join(BACKGROUND_WORKLOADS)
                + ")."
            ),
        )
        parser.add_argument("--letters", type=int, default=2000, help="Letters for the throughput workload.")
        parser.add_argument("--acks", type=int, default=200, help="Submissions for the acknowledgement latency.")
        parser.add_argument("--due", type=int, default=1000, help="Complaints due in the promise sweep workload.")
        parser.add_argument(
            "--worker-concurrency",
            type=int,
            default=2,
            help="Processes of the Celery worker of the letters workloads (default 2, as the Procfile; 1: solo pool).",
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
            background_sizes=BackgroundSizes(
                letters=options["letters"],
                acknowledgements=options["acks"],
                due=options["due"],
                worker_concurrency=options["worker_concurrency"],
            ),
        )
