-- The language of a user's pages: "en" or "de", checked by the library;
-- '' for none chosen (the browser's Accept-Language, else English).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
