-- daily_funnel: per event_date, distinct users (coalesce(user_id, anonymous_id)) who had a
-- page_view, an add_to_cart and a conversion that day, and the step rates between them
-- (doubles, NULL when the earlier step has no users). Each step counts its users on its own:
-- a user who converts without a recorded page view still counts as a converter.
WITH users AS (
  SELECT
    event_date,
    COUNT(DISTINCT CASE WHEN event_type = 'page_view' THEN user_key END) AS page_view_users,
    COUNT(DISTINCT CASE WHEN event_type = 'add_to_cart' THEN user_key END) AS add_to_cart_users,
    COUNT(DISTINCT CASE WHEN event_type = 'conversion' THEN user_key END) AS conversion_users
  FROM (
    SELECT event_date, event_type, COALESCE(user_id, anonymous_id) AS user_key
    FROM events
    WHERE event_type IN ('page_view', 'add_to_cart', 'conversion')
  ) AS funnel_events
  GROUP BY event_date
)
SELECT
  event_date,
  CAST(page_view_users AS BIGINT) AS page_view_users,
  CAST(add_to_cart_users AS BIGINT) AS add_to_cart_users,
  CAST(conversion_users AS BIGINT) AS conversion_users,
  CAST(add_to_cart_users AS DOUBLE) / NULLIF(page_view_users, 0) AS view_to_cart_rate,
  CAST(conversion_users AS DOUBLE) / NULLIF(add_to_cart_users, 0) AS cart_to_conversion_rate,
  CAST(conversion_users AS DOUBLE) / NULLIF(page_view_users, 0) AS view_to_conversion_rate
FROM users
ORDER BY event_date
