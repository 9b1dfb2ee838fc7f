-- attribution_last_click: each conversion is credited to the campaign of the same user's last
-- click at or before the conversion and at most {attribution_window_days} days before it.
-- A user is coalesce(user_id, anonymous_id). Ties on click time go to the greater event_id so
-- the result is deterministic. Conversions with no such click are reported with
-- campaign_id NULL (unattributed). One row per (conversion_date, campaign_id).
WITH conversions AS (
  SELECT
    event_id,
    event_ts,
    event_date,
    COALESCE(user_id, anonymous_id) AS user_key,
    revenue
  FROM events
  WHERE event_type = 'conversion'
), clicks AS (
  SELECT
    event_id,
    event_ts,
    COALESCE(user_id, anonymous_id) AS user_key,
    campaign_id
  FROM events
  WHERE event_type = 'click' AND campaign_id IS NOT NULL
), ranked AS (
  SELECT
    cv.event_id AS conversion_id,
    ck.campaign_id,
    ROW_NUMBER() OVER (
      PARTITION BY cv.event_id
      ORDER BY ck.event_ts DESC, ck.event_id DESC
    ) AS click_rank
  FROM conversions AS cv
  JOIN clicks AS ck
    ON ck.user_key = cv.user_key
    AND ck.event_ts <= cv.event_ts
    AND ck.event_ts >= cv.event_ts - INTERVAL '{attribution_window_days}' DAY
), credited AS (
  SELECT
    cv.event_date,
    r.campaign_id,
    cv.revenue
  FROM conversions AS cv
  LEFT JOIN ranked AS r
    ON r.conversion_id = cv.event_id AND r.click_rank = 1
)
SELECT
  event_date AS conversion_date,
  campaign_id,
  CAST(COUNT(*) AS BIGINT) AS conversions,
  CAST(COALESCE(SUM(revenue), 0) AS DECIMAL(18, 4)) AS revenue
FROM credited
GROUP BY event_date, campaign_id
ORDER BY conversion_date, campaign_id
