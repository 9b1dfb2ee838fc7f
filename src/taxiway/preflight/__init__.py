"""`taxiway preflight`: non-interactive AWS checks of an environment, plus the doctor's findings.

Order of work (:func:`taxiway.preflight.run.preflight`): names from ``taxiway.yaml`` and
:mod:`taxiway.naming` (account id from STS) -> :mod:`~taxiway.preflight.collect` reads AWS
into a plain :class:`~taxiway.preflight.snapshot.Snapshot` -> pure checks
(``checks_network``, ``checks_resources``, ``checks_iam``) turn it into findings -> the
doctor checks the project for the environment's MWAA version -> one report.
"""
