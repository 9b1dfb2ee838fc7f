"""Jobs that run outside the taxiway process: spark-submit entry points for EMR steps.

Everything in this package imports only the standard library, pyspark and other modules of
this package, so it can be shipped to a cluster without installing taxiway: see
:func:`taxiway.jobs.bundle.build_bundle` and ``docs/spark.md``. It must stay compatible with
the Python and Spark of the EMR release in ``taxiway.yaml`` (EMR 7: Python 3.9, Spark 3.5).
"""
