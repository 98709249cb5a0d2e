package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"damask"
	"damask/library"
)

const accountUse = "account create NAME --holder LOGIN --email E [--plan PLAN] | account api NAME on|off | account plan NAME PLAN | " + oidcUse

// account create|api|plan
func account(ctx context.Context, env environment, args []string) error {
	if len(args) == 0 {
		return usageError("account: create, api, plan or oidc?")
	}
	if args[0] == "oidc" {
		return accountOIDC(ctx, env, args[1:])
	}
	fs := flag.NewFlagSet("account "+args[0], flag.ContinueOnError)
	var st storage
	st.register(fs)
	holder := fs.String("holder", "", "login of the account holder")
	email := fs.String("email", "", "e-mail of the account holder")
	plan := fs.String("plan", "basic", "plan: basic, private, pro or deluxe")
	pwFile := fs.String("password-file", "", "file holding the holder's password")
	pos, err := interleaved(fs, args[1:], env.getenv)
	if err != nil {
		return err
	}
	// A mistyped command must not open, let alone create, a data folder.
	if !(args[0] == "create" && len(pos) == 1 ||
		args[0] == "api" && len(pos) == 2 && (pos[1] == "on" || pos[1] == "off") ||
		args[0] == "plan" && len(pos) == 2) {
		return usageError(accountUse)
	}
	return withLibrary(ctx, env, &st, func(lib *openLibrary) error {
		switch {
		case args[0] == "create" && len(pos) == 1:
			if *holder == "" || *email == "" {
				return usageError("account create NAME --holder LOGIN --email E [--plan PLAN]")
			}
			pw, err := readPassword(env, *pwFile)
			if err != nil {
				return err
			}
			a, _, err := lib.svc.CreateAccount(ctx, library.NewAccount{Name: pos[0], Plan: *plan,
				HolderLogin: *holder, HolderEmail: *email, Password: pw})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Created account %s (plan %s, API off) with holder %s.\n", a.Name, a.Plan, *holder)
		case args[0] == "api" && len(pos) == 2 && (pos[1] == "on" || pos[1] == "off"):
			if err := lib.svc.SetAPI(ctx, pos[0], pos[1] == "on"); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "The API of account %s is %s.\n", pos[0], pos[1])
		case args[0] == "plan" && len(pos) == 2:
			if err := lib.svc.SetPlan(ctx, pos[0], pos[1]); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Account %s is on the %s plan.\n", pos[0], pos[1])
		default:
			return usageError(accountUse)
		}
		return nil
	})
}

const (
	userAddUse    = "user add ACCOUNT LOGIN --email E [--role admin|member|guest] [--first-name F] [--last-name L]"
	userUpdateUse = "user update ACCOUNT LOGIN [--email E] [--role admin|member|guest] [--first-name F] [--last-name L]"
	userUse       = userAddUse + " | " + userUpdateUse + " | user password ACCOUNT LOGIN | user disable|enable ACCOUNT LOGIN"
)

// user add ACCOUNT LOGIN --email E [--role R] [--first-name F] [--last-name L],
// user update ACCOUNT LOGIN [--email E] [--role R] [--first-name F] [--last-name L],
// user password ACCOUNT LOGIN, user disable|enable ACCOUNT LOGIN
func user(ctx context.Context, env environment, args []string) error {
	if len(args) == 0 {
		return usageError(userUse)
	}
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	var st storage
	st.register(fs)
	var email, role, pwFile *string
	var first, last *string
	switch args[0] {
	case "add":
		email = fs.String("email", "", "e-mail of the user")
		role = fs.String("role", "member", "admin, member or guest")
		first = fs.String("first-name", "", "first name of the user")
		last = fs.String("last-name", "", "last name of the user")
		pwFile = fs.String("password-file", "", "file holding the user's password")
	case "update":
		email = fs.String("email", "", "new e-mail of the user")
		role = fs.String("role", "", "new role: admin, member or guest")
		first = fs.String("first-name", "", "new first name of the user (\"\" clears it)")
		last = fs.String("last-name", "", "new last name of the user (\"\" clears it)")
	case "password":
		pwFile = fs.String("password-file", "", "file holding the user's new password")
	case "disable", "enable":
	default:
		return usageError(userUse)
	}
	pos, err := interleaved(fs, args[1:], env.getenv)
	if err != nil {
		return err
	}
	// A mistyped command must not open, let alone create, a data folder.
	if len(pos) != 2 {
		return usageError(userUse)
	}
	if args[0] == "add" && *email == "" {
		return usageError(userAddUse)
	}
	// update changes the fields whose flags are given, and no other: an
	// empty name clears it.
	var changes library.UserChanges
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "email":
			changes.Email = email
		case "role":
			changes.Role = role
		case "first-name":
			changes.FirstName = first
		case "last-name":
			changes.LastName = last
		}
	})
	if args[0] == "update" && changes == (library.UserChanges{}) {
		return usageError(userUpdateUse + ": name at least one field to change")
	}
	return withLibrary(ctx, env, &st, func(lib *openLibrary) error {
		switch args[0] {
		case "add":
			pw, err := readPassword(env, *pwFile)
			if err != nil {
				return err
			}
			u, err := lib.svc.AddUser(ctx, pos[0], library.UserChanges{Login: &pos[1], Email: email, Role: role,
				FirstName: first, LastName: last, Password: &pw})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Added %s (%s) to account %s with id %d.\n", u.Login, u.Role, pos[0], u.ID)
		case "update":
			u, err := lib.svc.ChangeUser(ctx, pos[0], pos[1], changes)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "User %s of account %s: e-mail %q, role %s, first name %q, last name %q.\n",
				u.Login, pos[0], u.Email, u.Role, u.FirstName, u.LastName)
		case "password":
			pw, err := readPassword(env, *pwFile)
			if err != nil {
				return err
			}
			u, err := lib.svc.SetPassword(ctx, pos[0], pos[1], pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Set the password of %s in account %s; the old one no longer works, and the user's web sessions and API tokens are ended.\n", u.Login, pos[0])
		case "disable", "enable":
			u, err := lib.svc.SetDisabled(ctx, pos[0], pos[1], args[0] == "disable")
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "User %s of account %s is %sd.\n", u.Login, pos[0], args[0])
		}
		return nil
	})
}

// trash list|empty ACCOUNT, trash restore ACCOUNT ID
func trash(ctx context.Context, env environment, args []string) error {
	const use = "trash list ACCOUNT | trash restore ACCOUNT ID | trash empty ACCOUNT"
	if len(args) == 0 {
		return usageError(use)
	}
	fs := flag.NewFlagSet("trash "+args[0], flag.ContinueOnError)
	var st storage
	st.register(fs)
	pos, err := interleaved(fs, args[1:], env.getenv)
	if err != nil {
		return err
	}
	// A mistyped command must not open, let alone create, a data folder.
	if !((args[0] == "list" || args[0] == "empty") && len(pos) == 1 || args[0] == "restore" && len(pos) == 2) {
		return usageError(use)
	}
	return withLibrary(ctx, env, &st, func(lib *openLibrary) error {
		switch {
		case args[0] == "list" && len(pos) == 1:
			for page := 1; ; page++ {
				as, _, err := lib.svc.Trash(ctx, pos[0], damask.Page{Number: page, Size: 100})
				if err != nil {
					return err
				}
				if len(as) == 0 {
					return nil
				}
				for _, a := range as {
					fmt.Fprintf(env.stdout, "%d\t%s\t%s\t%d bytes\tdeleted %s\n", a.ID, a.Title, a.Filename, a.Size, a.DeletedAt.Format("2006-01-02 15:04"))
				}
			}
		case args[0] == "restore" && len(pos) == 2:
			id, err := strconv.ParseInt(pos[1], 10, 64)
			if err != nil {
				return usageError("trash restore ACCOUNT ID: ID is a number")
			}
			if err := lib.svc.Restore(ctx, pos[0], id); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Restored asset %d.\n", id)
		case args[0] == "empty" && len(pos) == 1:
			n, err := lib.svc.EmptyTrash(ctx, pos[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Removed %d assets for good; their files are released by the next housework.\n", n)
		default:
			return usageError(use)
		}
		return nil
	})
}

// check verifies the database and every stored file.
func check(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var st storage
	st.register(fs)
	if err := parse(fs, args, env.getenv); err != nil {
		return err
	}
	// "damask check DIR" would otherwise check (and create) ./damask-data
	// and report it sound.
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("check takes no arguments (got %q): name the folder with --data DIR", fs.Arg(0)))
	}
	return withLibrary(ctx, env, &st, func(lib *openLibrary) error {
		if err := lib.db.IntegrityCheck(ctx); err != nil {
			return fmt.Errorf("database: %w", err)
		}
		bad := 0
		n, err := lib.svc.Check(ctx, func(p library.Problem) {
			bad++
			fmt.Fprintf(env.stdout, "DAMAGED %s\n", p)
		})
		if err != nil {
			return fmt.Errorf("check files: %w", err)
		}
		if bad > 0 {
			return fmt.Errorf("%d of %d stored files are damaged", bad, n)
		}
		fmt.Fprintf(env.stdout, "ok: database intact, %d stored files match their SHA-256\n", n)
		return nil
	})
}

func withLibrary(ctx context.Context, env environment, st *storage, fn func(*openLibrary) error) error {
	st.getenv = env.getenv
	lib, err := st.open(ctx, st.logger(env.stderr))
	if err != nil {
		return err
	}
	defer lib.Close()
	return fn(lib)
}
