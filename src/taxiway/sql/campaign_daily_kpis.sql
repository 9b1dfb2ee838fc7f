-- campaign_daily_kpis: one row per (event_date, campaign_id) for events that carry a campaign.
-- A user is coalesce(user_id, anonymous_id). Rates are doubles (cast first: Athena divides
-- integers as integers) and NULL when the denominator is zero.
-- CTR = clicks / impressions; CVR = conversions / clicks; revenue = sum of conversion revenue.
WITH campaign_events AS (
  SELECT
    event_date,
    campaign_id,
    event_type,
    COALESCE(user_id, anonymous_id) AS user_key,
    revenue
  FROM events
  WHERE campaign_id IS NOT NULL
), daily AS (
  SELECT
    event_date,
    campaign_id,
    SUM(CASE WHEN event_type = 'impression' THEN 1 ELSE 0 END) AS impressions,
    SUM(CASE WHEN event_type = 'click' THEN 1 ELSE 0 END) AS clicks,
    COUNT(DISTINCT user_key) AS unique_users,
    SUM(CASE WHEN event_type = 'conversion' THEN 1 ELSE 0 END) AS conversions,
    COALESCE(SUM(CASE WHEN event_type = 'conversion' THEN revenue END), 0) AS revenue
  FROM campaign_events
  GROUP BY event_date, campaign_id
)
SELECT
  event_date,
  campaign_id,
  CAST(impressions AS BIGINT) AS impressions,
  CAST(clicks AS BIGINT) AS clicks,
  CAST(clicks AS DOUBLE) / NULLIF(impressions, 0) AS ctr,
  CAST(unique_users AS BIGINT) AS unique_users,
  CAST(conversions AS BIGINT) AS conversions,
  CAST(conversions AS DOUBLE) / NULLIF(clicks, 0) AS cvr,
  CAST(revenue AS DECIMAL(18, 4)) AS revenue
FROM daily
ORDER BY event_date, campaign_id
