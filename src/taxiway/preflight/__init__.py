"""`taxiway preflight`: non-interactive AWS checks of an MWAA environment, plus the doctor's findings.

Two modes, one report (:mod:`taxiway.preflight.run`):

* an existing environment, found by name: :mod:`~taxiway.preflight.collect_environment`
  reads GetEnvironment and everything it names into an
  :class:`~taxiway.preflight.snapshot.EnvironmentSnapshot`; ``checks_environment`` (with
  ``checks_configuration``) turns it into findings;
* a planned environment, described by plain :class:`~taxiway.preflight.snapshot.Names`
  (the reference platform derives them from ``taxiway.yaml`` in ``taxiway.platform.preflight``):
  :mod:`~taxiway.preflight.collect` reads a :class:`~taxiway.preflight.snapshot.Snapshot`.

Both share the rules (``checks_network``, ``checks_resources``, ``checks_iam`` over
``policy``), run the doctor for the environment's MWAA version, and import nothing of the
reference platform. AWS is called only by the ``collect*`` modules; the checks are pure.
"""
