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
		usage:   "[--limit N] [--json] [--dict FILE] [--essay-index FILE | --no-essay] [--kind KIND] PINYIN",
		setup:   setupIMEPinyin,
	})
	register(command{
		name:    "ime build-index",
		summary: "convert rime-essay with OpenCC t2s into the essay index pinyin input adds to its dictionary (the package runs it at install)",
		usage:   "[--out FILE] [--dict FILE] [--essay FILE]",
		setup:   setupIMEBuildIndex,
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
	index := fs.String("essay-index", "", "the essay index to add (default: the kiosk's, built into the user's cache if missing)")
	noEssay := fs.Bool("no-essay", false, "the dictionary alone, without rime-essay's words")
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
		if *noEssay && *index != "" {
			return usagef("--essay-index and --no-essay exclude each other")
		}
		s := pinyin.DefaultSources()
		s.Dict = *dict
		switch {
		case *noEssay:
			s.Essay = ""
		case *index != "":
			s.Index, s.Build = []string{*index}, false
		}
		d, essayErr, err := pinyin.Open(ctx, s)
		if err != nil {
			if errors.Is(err, pinyin.ErrNoDictionary) {
				return fmt.Errorf("%w (install rime-data-pinyin-simp)", err)
			}
			return err
		}
		if essayErr != nil {
			fmt.Fprintf(e.stderr, "kioskctl: without rime-essay's words (%v): %s\n", essayErr, pinyin.EssayRemedy(essayErr))
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

func setupIMEBuildIndex(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	def := pinyin.DefaultSources()
	out := fs.String("out", "", "where to write the index (default: "+pinyin.SystemEssayIndex+" as root, else the user's cache)")
	dict := fs.String("dict", def.Dict, "the Rime pinyin dictionary (readings, weight scale)")
	essay := fs.String("essay", def.Essay, "rime-essay's word list (traditional characters)")
	lexicon := fs.String("lexicon", def.Lexicon, "jieba's lexicon, whose nouns are added too (empty: none)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 0 {
			return usagef("no arguments")
		}
		path := *out
		if path == "" {
			path = def.Index[len(def.Index)-1]
			if os.Geteuid() == 0 {
				path = pinyin.SystemEssayIndex
			}
		}
		st, err := pinyin.BuildEssayIndex(ctx, pinyin.EssaySources{Dict: *dict, Essay: *essay, Lexicon: *lexicon}, path)
		if err != nil {
			if errors.Is(err, pinyin.ErrNoEssay) || errors.Is(err, pinyin.ErrNoOpenCC) {
				return fmt.Errorf("%w (%s)", err, pinyin.EssayRemedy(err))
			}
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s: %d words added (%d essay lines, %d words shared, weight scale %.4g)\n",
			path, st.Added, st.Lines, st.Shared, st.Scale)
		if err != nil || *lexicon == "" {
			return err
		}
		if st.LexiconErr != nil {
			remedy := ""
			if errors.Is(st.LexiconErr, pinyin.ErrNoLexicon) {
				remedy = ": install python3-jieba"
			}
			_, err = fmt.Fprintf(e.stderr, "kioskctl: without jieba's nouns (%v)%s\n", st.LexiconErr, remedy)
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s: %d nouns of jieba's lexicon added (%d noun lines, %d shared, weight scale %.4g)\n",
			path, st.Lexicon.Added, st.Lexicon.Lines, st.Lexicon.Shared, st.Lexicon.Scale)
		return err
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
