-- 0003: what the intake pipeline adds to a record: quality bits, masked personal data kinds,
-- the encrypted originals, duplicate hashes and the repeat count.
ALTER TABLE feedback ADD COLUMN quality INTEGER;
ALTER TABLE feedback ADD COLUMN pii_types INTEGER;
ALTER TABLE feedback ADD COLUMN pii_vault TEXT;
ALTER TABLE feedback ADD COLUMN simhash INTEGER;
ALTER TABLE feedback ADD COLUMN dup_key INTEGER;
ALTER TABLE feedback ADD COLUMN repeat_count INTEGER;
