"""The job worker: runs the scheduled jobs the capabilities declare, once per slot.

Each declared :class:`~klaremont.capabilities.Job` is triggered by APScheduler 3 on its
interval; a ``job_runs`` row per (job, slot) is the lease that makes a slot run once across
every worker, and the record of what the run did (see DESIGN-NOTES, "Job worker").
"""
