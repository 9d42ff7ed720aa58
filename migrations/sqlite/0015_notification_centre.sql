-- The notification centre lists one user's notifications newest first (by id, which grows
-- with every insert), all of them or only the unread ones, and counts the unread for the bell.
-- 0003's (user_id, read_at) serves the count; this serves the pages: a page of ids read in
-- order from the index instead of a sort of every row the user has.
CREATE INDEX notifications_user_newest ON notifications (user_id, id);
