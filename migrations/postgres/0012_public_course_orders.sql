-- The course list page and the public API now share one query (`db/catalog.rs`): the public
-- rule `status = 'published' AND deleted_at IS NULL` as two equalities, then the order. 0010
-- gave the API's default order (`-updated_at`) such an index; these give the page's orders the
-- same, so a page's ids are read in order from the index (skipping OFFSET entries there, not
-- whole rows) and its count stays in the index, whichever order the visitor picked. The 0002
-- indexes on (status, <order>) needed a table read per course to check `deleted_at`.
CREATE INDEX courses_public_published ON courses (status, deleted_at, published_at, id);
CREATE INDEX courses_public_popular ON courses (status, deleted_at, enrollment_count, id);
CREATE INDEX courses_public_price ON courses (status, deleted_at, price_cents, id);
