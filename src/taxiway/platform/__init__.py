"""The reference platform's use of the toolkit.

taxiway's own event pipeline is one user of the MWAA toolkit, like any team's project:
:mod:`taxiway.platform.bundle` builds what its MWAA environment and EMR cluster receive
from ``taxiway.yaml`` (a folder laid out like an MWAA project, plus the Spark job), and
:mod:`taxiway.platform.deploy` hands the MWAA part to the toolkit's own deploy
(:mod:`taxiway.deploy`). The dependency runs one way: the platform imports the toolkit,
never the reverse.
"""
