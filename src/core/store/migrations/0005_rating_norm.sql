-- 0005: the rating on one scale (0-100) beside the raw rating and its scale.
ALTER TABLE feedback ADD COLUMN rating_norm REAL;
