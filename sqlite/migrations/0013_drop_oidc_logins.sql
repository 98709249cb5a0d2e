-- Sign-ins under way at a provider are kept by the browsers now, sealed
-- under the server's key (library.BeginOIDC): anonymous sign-in starts
-- no longer add rows. Those under way at the upgrade are started again.
DROP TABLE oidc_logins;
