"""What MWAA and EMR receive, and getting it there: ``taxiway bundle`` and ``taxiway deploy``.

:mod:`taxiway.deploy.bundle` builds the folder (pure, offline); :mod:`taxiway.deploy.upload`
makes the AWS calls (STS, S3, MWAA) and uploads only what changed.
"""
