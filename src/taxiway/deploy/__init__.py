"""The toolkit's deploy: any Airflow project onto an MWAA environment found by name.

::

    files.py        what the project sends: requirements, plugins.zip (built
                    deterministically from a plugins folder), startup script, DAG files
    environment.py  GetEnvironment's answer as plain data: bucket, paths, versions, status
    plan.py         pure: local files + remote state -> each object's action and reason,
                    and whether (and why) UpdateEnvironment is needed
    aws.py          every AWS call (S3 heads, listings, puts, deletes; MWAA get, list,
                    update, wait), errors as one line naming the IAM action and resource
    run.py          the order of work (doctor, plan, parts, update and wait, DAGs), chosen
                    so that a rerun after a crash at any point finishes the deploy

It imports nothing of the reference platform; :mod:`taxiway.platform.deploy` uses it for
taxiway's own pipeline.
"""
