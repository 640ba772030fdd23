-- bench/stats_gen.sql: :N synthetic complaints over the 365 days up to now, with the
-- cardinalities and skew of a large deployment (15 channels, 8/30/80 categories, 50
-- products, 200 stores, 31 regions, 4 segments, 5 teams, 40 agents). Used by bench/stats.sh
-- to build a 10,000,000-record store quickly; the rollups are then built by kesu stats rebuild.
-- Rows are written in time order (as intake writes them), received_at spread evenly with
-- up to an hour of jitter.
-- skew(n): a small index is likelier (products, stores and categories follow a long tail).
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :N),
r AS (SELECT i,
        abs(random()) AS a, abs(random()) AS b, abs(random()) AS c, abs(random()) AS d
      FROM seq)
INSERT INTO feedback(channel, received_at, recorded_at, created_by, text, customer_segment,
                     product, store, region, category_l1, category_l2, category_l3, severity,
                     sentiment, status, team, assignee, acknowledged_at, closed_at, duplicate_of,
                     repeat_count, updated_at)
SELECT
  json_extract('["web","app","hotline","email","sms","store","ecommerce","social","survey","qr","partner","employee","association","iot","other"]',
               '$[' || ((a % 15) * (b % 15) / 15) || ']'),
  :T1 - 31536000000 + i * (31536000000 / :N) + (a % 3600000),
  :T1 - 31536000000 + i * (31536000000 / :N) + 3600000,
  'bench', 'bench complaint ' || i,
  json_extract('["regular","vip","new","enterprise"]', '$[' || ((c % 4) * (c % 3) / 3) || ']'),
  'P' || ((b % 50) * (c % 50) / 50),
  'S' || ((c % 200) * (d % 200) / 200),
  'R' || (d % 31),
  json_extract('["物流","质量","服务","价格","售后","退款","安全","其他"]', '$[' || ((a % 8) * (d % 8) / 8) || ']'),
  'L2-' || ((b % 30) * (a % 30) / 30),
  'L3-' || ((c % 80) * (b % 80) / 80),
  json_extract('["low","medium","high","critical"]', '$[' || ((d % 4) * (a % 4) / 4) || ']'),
  json_extract('["negative","neutral","positive"]', '$[' || (b % 3) || ']'),
  CASE WHEN c % 10 < 7 THEN 'closed' WHEN c % 10 < 9 THEN 'investigating' ELSE 'reopened' END,
  'team' || (d % 5),
  'agent' || (d % 40),
  :T1 - 31536000000 + i * (31536000000 / :N) + 3600000 + (b % 86400000),
  CASE WHEN c % 10 < 7 THEN :T1 - 31536000000 + i * (31536000000 / :N) + 3600000 + (b % 86400000) * 3 END,
  CASE WHEN d % 50 = 0 THEN 1 END,
  CASE WHEN d % 50 = 1 THEN 1 END,
  :T1
FROM r;
COMMIT;
