-- The language a user chose (a BCP 47 tag the app speaks: zh-CN, en), kept in the profile so
-- every device and every mail and reminder use it. NULL until they choose: their browser's
-- language applies then.
ALTER TABLE users ADD COLUMN locale TEXT CHECK (locale IS NULL OR locale IN ('zh-CN', 'en'));
