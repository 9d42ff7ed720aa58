-- The back office's lists show rows that are not soft-deleted, so every list query of courses
-- says `deleted_at IS NULL`. 0008's index on (updated_at, id) gave the order but not that
-- condition: the last of 200 pages fetched 10,000 heap rows to check and skip them (18 ms),
-- and the page's COUNT(*) scanned the table. A partial index holds only the rows lists show:
-- the page walks index entries, and the count is an index-only scan (about 1 ms each).
DROP INDEX courses_updated;
CREATE INDEX courses_updated ON courses (updated_at, id) WHERE deleted_at IS NULL;
