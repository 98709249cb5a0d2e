package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"damask/library"
)

const oidcUse = "account oidc NAME --issuer URL --client-id ID [--client-secret-file F] --domains a.com,b.com [--auto-create member|guest|admin] [--allow-outgoing CIDR,...] | account oidc NAME off"

// account oidc NAME ... | account oidc NAME off: sign-in with an OpenID
// Connect provider. The client secret comes from a file, never a flag.
// The provider's discovery document is read and checked now; a provider
// on an inside address needs --allow-outgoing here as on `damask serve`.
func accountOIDC(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("account oidc", flag.ContinueOnError)
	var st storage
	st.register(fs)
	st.registerOutgoing(fs)
	issuer := fs.String("issuer", "", "the provider's issuer URL (https)")
	clientID := fs.String("client-id", "", "the client id Damask has at the provider")
	secretFile := fs.String("client-secret-file", "", "file holding the client secret (none: a public client, PKCE only)")
	domains := fs.String("domains", "", "comma-separated e-mail domains allowed to sign in")
	autoCreate := fs.String("auto-create", "", "role of users created at their first sign-in: member, guest or admin (default: create nobody)")
	pos, err := interleaved(fs, args, env.getenv)
	if err != nil {
		return err
	}
	off := len(pos) == 2 && pos[1] == "off"
	// A mistyped command must not open, let alone create, a data folder.
	if !(off || len(pos) == 1 && *issuer != "" && *clientID != "" && *domains != "") {
		return usageError(oidcUse)
	}
	var secret string
	if !off && *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			return fmt.Errorf("client secret file: %w", err)
		}
		secret = strings.TrimRight(string(b), "\r\n")
	}
	return withLibrary(ctx, env, &st, func(lib *openLibrary) error {
		if off {
			if err := lib.svc.DisableOIDC(ctx, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Sign-in with OpenID Connect is off for account %s; signed-in sessions stay until they end.\n", pos[0])
			return nil
		}
		err := lib.svc.SetOIDC(ctx, pos[0], library.OIDCSettings{Issuer: *issuer, ClientID: *clientID,
			ClientSecret: secret, Domains: strings.Split(*domains, ","), AutoCreate: *autoCreate})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Account %s signs in with %s (domains %s).\n", pos[0], *issuer, *domains)
		fmt.Fprintln(env.stdout, "Register this redirect URI at the provider: https://ACCOUNT-HOST/auth/oidc/callback")
		return nil
	})
}
