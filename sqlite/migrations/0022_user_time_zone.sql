-- The zone a user's pages show times in: an IANA name ("Europe/Vienna"),
-- checked by the library; '' for none chosen (the browser's, else UTC).
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
