-- Placeholder for the number another branch takes: drop this file at merge.
SELECT 1;
