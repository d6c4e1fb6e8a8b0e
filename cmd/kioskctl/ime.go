package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
)

// IME commands: the kiosk's Chinese input engine without the screen, for a technician
// checking an install (is the dictionary there? the model?) and for tests.

func init() {
	register(command{
		name:    "ime pinyin",
		summary: "print the candidates for pinyin input, best first, one per line",
		usage:   "[--limit N] [--json] [--dict FILE] [--kind KIND] PINYIN",
		setup:   setupIMEPinyin,
	})
	register(command{
		name:    "ime recognize",
		summary: `recognise one handwritten character from strokes in JSON ({"width":W,"height":H,"strokes":[[[x,y],...],...]}; - for stdin)`,
		usage:   "[--limit N] [--json] [--model FILE] FILE",
		setup:   setupIMERecognize,
	})
}

// imeCandidate is one line of --json output.
type imeCandidate struct {
	Text     string  `json:"text"`
	Consumed int     `json:"consumed,omitempty"`
	Score    float64 `json:"score,omitempty"`
}

func printCandidates(w io.Writer, cands []imeCandidate, asJSON bool) error {
	if asJSON {
		if cands == nil {
			cands = []imeCandidate{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cands)
	}
	for _, c := range cands {
		if _, err := fmt.Fprintln(w, c.Text); err != nil {
			return err
		}
	}
	return nil
}

func setupIMEPinyin(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	limit := fs.Int("limit", 10, "print at most N candidates")
	asJSON := fs.Bool("json", false, "print JSON: text and how many input letters each covers")
	dict := fs.String("dict", pinyin.DefaultDictPath, "the Rime pinyin dictionary")
	kind := fs.String("kind", "", "rank as in a field of this kind: address, business_scope, organization, name, purpose (default free text)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 1 {
			return usagef("want one PINYIN argument")
		}
		if *limit <= 0 {
			return usagef("--limit must be positive")
		}
		if k := pinyin.Kind(*kind); !k.Valid() {
			return usagef("--kind %q: use address, business_scope, organization, name or purpose", *kind)
		}
		d, err := pinyin.Load(*dict)
		if err != nil {
			if errors.Is(err, pinyin.ErrNoDictionary) {
				return fmt.Errorf("%w (install rime-data-pinyin-simp)", err)
			}
			return err
		}
		var out []imeCandidate
		sess := pinyin.NewSession(d)
		sess.SetKind(pinyin.Kind(*kind))
		for _, c := range sess.Candidates(args[0], *limit) {
			out = append(out, imeCandidate{Text: c.Text, Consumed: c.Consumed})
		}
		return printCandidates(e.stdout, out, *asJSON)
	}
}

func setupIMERecognize(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	limit := fs.Int("limit", 10, "print at most N candidates")
	asJSON := fs.Bool("json", false, "print JSON: text and the recognizer's score")
	model := fs.String("model", handwriting.DefaultModelPath, "the Zinnia handwriting model")
	second := fs.String("second-model", handwriting.JapaneseModelPath, "the second Zinnia model, whose templates of the first one's characters are combined with it (empty: none)")
	dict := fs.String("dict", pinyin.DefaultDictPath, "the Rime pinyin dictionary, whose character counts rank the candidates (empty: none)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 1 {
			return usagef("want one FILE argument (- for standard input)")
		}
		if *limit <= 0 {
			return usagef("--limit must be positive")
		}
		var data []byte
		var err error
		if args[0] == "-" {
			data, err = io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
		} else {
			data, err = os.ReadFile(args[0])
		}
		if err != nil {
			return fmt.Errorf("read strokes: %w", err)
		}
		ink, err := handwriting.ParseInk(data)
		if err != nil {
			return err
		}
		// As the kiosk recognizes: both models, ranked by the dictionary's counts.
		z, err := handwriting.OpenEnsemble(*model, *second)
		if err != nil {
			if errors.Is(err, handwriting.ErrNoModel) {
				return fmt.Errorf("%w (install tegaki-zinnia-simplified-chinese)", err)
			}
			return err
		}
		defer z.Close()
		if z.Degraded != nil && *second != "" {
			fmt.Fprintf(e.stderr, "warning: %v (install tegaki-zinnia-japanese)\n", z.Degraded)
		}
		if *dict != "" {
			d, err := pinyin.Load(*dict)
			if err != nil {
				fmt.Fprintf(e.stderr, "warning: candidates not ranked by frequency: %v\n", err)
			} else {
				z.SetFrequencies(d.CharCounts())
			}
		}
		cands, err := z.Recognize(ink, *limit)
		if err != nil {
			return err
		}
		var out []imeCandidate
		for _, c := range cands {
			out = append(out, imeCandidate{Text: c.Text, Score: c.Score})
		}
		return printCandidates(e.stdout, out, *asJSON)
	}
}
