-- Whether IPTC/XMP keywords found in a file become tags of its asset: an
-- account setting, on by default.
ALTER TABLE accounts ADD COLUMN keywords_to_tags INTEGER NOT NULL DEFAULT 1;
