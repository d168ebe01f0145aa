"""Imports too large for one request (more than `importing.BACKGROUND_ROWS` rows) run as a
background job, which tells its progress as it goes."""

from __future__ import annotations

import secrets
from typing import Any

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus, get_current_job

from service.actors import Actor, ActorKind
from service.jobs import job_context
from service.participants import importing
from service.queue import DEFAULT_QUEUE, redis_connection

# How long a finished import's report stays readable.
REPORT_KEPT_SECONDS = 7 * 24 * 3600


def enqueue_import(
    data: bytes,
    filename: str,
    *,
    program_id: int,
    actor: Actor,
    mapping: dict[str, str | None] | None,
    role: str | None,
    as_applications: bool,
    rows: int,
) -> str:
    """Start a background import; its id, to follow with `import_status`."""
    job_id = f"import-{secrets.token_hex(8)}"
    Queue(DEFAULT_QUEUE, connection=redis_connection()).enqueue(
        run_import,
        kwargs={
            "data": data,
            "filename": filename,
            "program_id": program_id,
            "actor": [actor.kind.value, actor.id, actor.label],
            "mapping": mapping,
            "role": role,
            "as_applications": as_applications,
        },
        job_id=job_id,
        job_timeout=1800,
        result_ttl=REPORT_KEPT_SECONDS,
        failure_ttl=REPORT_KEPT_SECONDS,
        meta={"done": 0, "total": rows, "program_id": program_id},
    )
    return job_id


def run_import(
    *,
    data: bytes,
    filename: str,
    program_id: int,
    actor: list[Any],
    mapping: dict[str, str | None] | None,
    role: str | None,
    as_applications: bool,
) -> dict[str, Any]:
    job = get_current_job()

    def progress(done: int, total: int) -> None:
        if job is not None:
            job.meta.update(done=done, total=total)
            job.save_meta()

    kind, actor_id, label = actor
    with job_context():
        report = importing.run(
            data,
            filename,
            program_id=program_id,
            actor=Actor(ActorKind(kind), actor_id, label),
            mapping=mapping,
            role=role,
            as_applications=as_applications,
            progress=progress,
        )
        return report.as_dict()


def import_status(job_id: str) -> dict[str, Any] | None:
    """Where a background import is: queued, started, finished (with its report) or failed;
    None for an id that is not an import's, or whose report has expired."""
    if not job_id.startswith("import-"):
        return None
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return None
    status = job.get_status()
    meta = job.get_meta()
    return {
        "job_id": job_id,
        "status": str(status.value if status else "unknown"),
        "done": int(meta.get("done", 0)),
        "total": int(meta.get("total", 0)),
        "program_id": meta.get("program_id"),
        "report": job.return_value() if status == JobStatus.FINISHED else None,
        "failed": status == JobStatus.FAILED,
    }
