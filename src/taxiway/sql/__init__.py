"""Report SQL in Athena/Trino dialect (``*.sql``) and its translation (:mod:`.transpile`)."""
