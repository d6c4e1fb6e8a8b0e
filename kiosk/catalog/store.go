package catalog

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// Store holds the catalog in use and replaces it only with one that parses and validates,
// so a bad push from the platform leaves the kiosk on its last good catalog. Sessions take
// Current once when they start and keep that catalog to their end.
type Store struct {
	cur atomic.Pointer[Catalog]
	log *slog.Logger
}

// NewStore starts a store on a catalog already parsed (the shipped one, or the last good
// push kept on disk). log may be nil.
func NewStore(initial *Catalog, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{log: log}
	s.cur.Store(initial)
	return s
}

// Current returns the catalog in use.
func (s *Store) Current() *Catalog { return s.cur.Load() }

// Replace parses data and, when it is a valid catalog, makes it current and returns it.
// Otherwise it keeps the current catalog and returns the error (a *ValidationError
// listing every problem, for the reply to the platform).
func (s *Store) Replace(data []byte) (*Catalog, error) {
	c, err := Parse(data)
	if err != nil {
		old := ""
		if cur := s.Current(); cur != nil {
			old = cur.Version
		}
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "catalog push refused; keeping the current catalog",
			slog.String("current_version", old), slog.String("error", err.Error()))
		return nil, err
	}
	prev := s.cur.Swap(c)
	from := ""
	if prev != nil {
		from = prev.Version
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "catalog replaced",
		slog.String("from_version", from), slog.String("to_version", c.Version),
		slog.Int("services", len(c.services)))
	return c, nil
}
