-- data_quality_hourly: one row per landing hour from the latest run's counts (hourly_counts),
-- with the quarantine broken down by reason code from the quarantine table. `balanced` is the
-- run invariant received = curated + duplicates + quarantined; `quarantine_rows` should equal
-- `quarantined` (a difference means the quarantine table and the run counts disagree).
WITH reasons AS (
  SELECT
    landing_hour,
    COUNT(*) AS quarantine_rows,
    SUM(CASE WHEN reason = 'malformed-json' THEN 1 ELSE 0 END) AS malformed_json,
    SUM(CASE WHEN reason = 'missing-required-field' THEN 1 ELSE 0 END) AS missing_required_field,
    SUM(CASE WHEN reason = 'wrong-type' THEN 1 ELSE 0 END) AS wrong_type,
    SUM(CASE WHEN reason = 'unknown-event-type' THEN 1 ELSE 0 END) AS unknown_event_type,
    SUM(CASE WHEN reason = 'bad-timestamp' THEN 1 ELSE 0 END) AS bad_timestamp,
    SUM(CASE WHEN reason = 'too-late' THEN 1 ELSE 0 END) AS too_late,
    SUM(CASE WHEN reason = 'future-timestamp' THEN 1 ELSE 0 END) AS future_timestamp,
    SUM(CASE WHEN reason = 'corrupt-file' THEN 1 ELSE 0 END) AS corrupt_file,
    SUM(CASE WHEN reason = 'line-too-long' THEN 1 ELSE 0 END) AS line_too_long
  FROM quarantine
  GROUP BY landing_hour
)
SELECT
  h.landing_hour,
  h.run_id,
  CAST(h.input_records AS BIGINT) AS received,
  CAST(h.curated_new AS BIGINT) AS curated,
  CAST(h.duplicates AS BIGINT) AS duplicates,
  CAST(h.quarantined AS BIGINT) AS quarantined,
  CAST(h.quarantined AS DOUBLE) / NULLIF(h.input_records, 0) AS quarantine_rate,
  h.input_records = h.curated_new + h.duplicates + h.quarantined AS balanced,
  CAST(COALESCE(r.quarantine_rows, 0) AS BIGINT) AS quarantine_rows,
  CAST(COALESCE(r.malformed_json, 0) AS BIGINT) AS quarantined_malformed_json,
  CAST(COALESCE(r.missing_required_field, 0) AS BIGINT) AS quarantined_missing_required_field,
  CAST(COALESCE(r.wrong_type, 0) AS BIGINT) AS quarantined_wrong_type,
  CAST(COALESCE(r.unknown_event_type, 0) AS BIGINT) AS quarantined_unknown_event_type,
  CAST(COALESCE(r.bad_timestamp, 0) AS BIGINT) AS quarantined_bad_timestamp,
  CAST(COALESCE(r.too_late, 0) AS BIGINT) AS quarantined_too_late,
  CAST(COALESCE(r.future_timestamp, 0) AS BIGINT) AS quarantined_future_timestamp,
  CAST(COALESCE(r.corrupt_file, 0) AS BIGINT) AS quarantined_corrupt_file,
  CAST(COALESCE(r.line_too_long, 0) AS BIGINT) AS quarantined_line_too_long
FROM hourly_counts AS h
LEFT JOIN reasons AS r
  ON r.landing_hour = h.landing_hour
ORDER BY h.landing_hour
