package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/internal/update"
)

// release: the release manager signs a .deb with the release key, and anyone checks a
// signed release with the public key that ships in the package.

// defaultReleasePub is where the package installs the release public key.
const defaultReleasePub = "/usr/share/govkiosk/release-key.pub"

func init() {
	register(command{
		name:    "release keygen",
		summary: "make a release key pair: KEY (secret, keep it off terminals) and KEY.pub (ships in the package)",
		usage:   "KEY",
		setup: func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give the private key file to write")
				}
				if _, err := os.Stat(args[0]); err == nil {
					return fmt.Errorf("%s exists: not overwriting a release key", args[0])
				}
				priv, pub, err := update.GenerateKey()
				if err != nil {
					return err
				}
				if err := atomicfile.Write(args[0], 0o600, func(w io.Writer) error { _, err := w.Write(priv); return err }); err != nil {
					return err
				}
				if err := atomicfile.Write(args[0]+".pub", 0o644, func(w io.Writer) error { _, err := w.Write(pub); return err }); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "wrote %s and %s.pub\n", args[0], args[0])
				return nil
			}
		},
	})
	register(command{
		name:    "release sign",
		summary: "sign a .deb for a channel: writes FILE.deb.release (package, version, arch, size, SHA-256, signature)",
		usage:   "--key KEY --channel pilot|all [--package P --version V --arch A] FILE.deb",
		setup:   setupReleaseSign,
	})
	register(command{
		name:    "release verify",
		summary: "check FILE.deb against FILE.deb.release with the release public key",
		usage:   "[--pub KEY.pub] [--installed VERSION] FILE.deb",
		setup:   setupReleaseVerify,
	})
}

func setupReleaseSign(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error {
	keyFile := fs.String("key", "", "release private key file (from release keygen)")
	channel := fs.String("channel", "", "channel: pilot or all")
	pkg := fs.String("package", "", "package name (default: read from the .deb with dpkg-deb)")
	version := fs.String("version", "", "version (default: read from the .deb)")
	arch := fs.String("arch", "", "architecture (default: read from the .deb)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 1 || *keyFile == "" || *channel == "" {
			return usagef("give --key, --channel and one .deb")
		}
		kb, err := os.ReadFile(*keyFile)
		if err != nil {
			return err
		}
		key, err := update.ParsePrivateKey(kb)
		if err != nil {
			return err
		}
		if *pkg == "" || *version == "" || *arch == "" {
			fields, err := debFields(ctx, args[0])
			if err != nil {
				return err
			}
			for p, v := range map[*string]string{pkg: fields[0], version: fields[1], arch: fields[2]} {
				if *p == "" {
					*p = v
				}
			}
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		m, err := update.Describe(f, *pkg, *version, *arch, *channel)
		if err != nil {
			return err
		}
		r, err := update.Sign(m, key)
		if err != nil {
			return err
		}
		out := args[0] + ".release"
		if err := atomicfile.Write(out, 0o644, func(w io.Writer) error { _, err := w.Write(r.Marshal()); return err }); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "signed %s %s %s for channel %s: %s\n", m.Package, m.Version, m.Arch, m.Channel, out)
		return nil
	}
}

// debFields reads Package, Version and Architecture from a .deb's control file.
func debFields(ctx context.Context, deb string) ([3]string, error) {
	out, err := exec.CommandContext(ctx, "dpkg-deb", "--field", deb, "Package", "Version", "Architecture").Output()
	if err != nil {
		return [3]string{}, fmt.Errorf("read the .deb's control fields (or give --package, --version, --arch): %w", err)
	}
	var f [3]string
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "Package":
			f[0] = v
		case "Version":
			f[1] = v
		case "Architecture":
			f[2] = v
		}
	}
	return f, nil
}

func setupReleaseVerify(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error {
	pubFile := fs.String("pub", defaultReleasePub, "release public key file")
	installed := fs.String("installed", "", "refuse the release unless it is newer than this version")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 1 {
			return usagef("give one .deb (its .release file beside it)")
		}
		pb, err := os.ReadFile(*pubFile)
		if err != nil {
			return err
		}
		pub, err := update.ParsePublicKey(pb)
		if err != nil {
			return err
		}
		mb, err := os.ReadFile(args[0] + ".release")
		if err != nil {
			return err
		}
		r, err := update.Parse(mb)
		if err != nil {
			return err
		}
		if *installed != "" {
			err = r.Accept(pub, update.Installed{Package: r.Package, Version: *installed, Arch: r.Arch})
		} else {
			err = r.VerifySignature(pub)
		}
		if err != nil {
			return err
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		if err := r.VerifyPackage(f); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "verified %s %s %s (channel %s)\n", r.Package, r.Version, r.Arch, r.Channel)
		return nil
	}
}
