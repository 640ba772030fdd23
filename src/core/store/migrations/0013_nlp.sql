-- 0013: text analysis (intake/nlp.h): which taxonomy rules decided the category, where the
-- severity came from (rule or manual) and why, plus an index for keyword and category
-- statistics over time.
ALTER TABLE feedback ADD COLUMN category_rules TEXT;
ALTER TABLE feedback ADD COLUMN severity_source TEXT;
ALTER TABLE feedback ADD COLUMN severity_reasons TEXT;
-- Corrections made before this version were people's: keep them as manual.
UPDATE feedback SET category_source = 'manual'
    WHERE category_l1 IS NOT NULL AND category_source IS NULL;
UPDATE feedback SET severity_source = 'manual' WHERE severity IS NOT NULL;
