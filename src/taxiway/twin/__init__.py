"""``taxiway twin``: a local AWS on 127.0.0.1 for users and tests alike.

moto's server (S3, IAM, STS, KMS, EC2, Glue, EMR, Athena, Logs, ...) plus taxiway's
emulators where moto has nothing or a fake:

* :mod:`taxiway.twin.mwaa`: an MWAA control plane whose environments change state and
  install what S3 holds, with the local runner (:mod:`taxiway.twin.install`);
* :mod:`taxiway.twin.emr`: EMR steps run with their own ``spark-submit`` arguments;
* :mod:`taxiway.twin.athena`: Athena statements run with DuckDB over Glue's tables.

:mod:`taxiway.twin.server` puts them behind one endpoint (``AWS_ENDPOINT_URL``).
"""
