"""Kafka -> landing: a small sink that writes the Kafka Connect S3 sink layout exactly once.

- :mod:`taxiway.ingest.store`: where objects go (a local folder or an S3 bucket), object
  names, and recovery of each partition's next offset from the objects already written.
- :mod:`taxiway.ingest.sink`: the consume loop (explicit partition assignment, buffers per
  partition and landing hour, rotation by record count and time, flush on stop).
- :mod:`taxiway.ingest.broker`: a local Kafka-protocol broker (tansu) for the demo and tests.

confluent-kafka and boto3 are imported inside functions: ``taxiway --help`` stays fast and
the package imports without the ``kafka``/``aws`` extras.
"""
