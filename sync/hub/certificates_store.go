package hub

import (
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"
)

// The certificate records in the embedded (bbolt) store.

func (s *store) putCertificate(rec *certificateRecord) (out *certificateRecord, existed bool, err error) {
	err = s.db.Batch(func(tx *bolt.Tx) error {
		certs, codes := tx.Bucket(bucketCerts), tx.Bucket(bucketCertCodes)
		var cur certificateRecord
		ok, err := getJSON(certs, []byte(rec.SubmissionID), &cur)
		if err != nil {
			return err
		}
		if ok {
			out, existed = &cur, true
			return nil
		}
		if codes.Get([]byte(rec.Code)) != nil {
			return errCodeTaken
		}
		r := *rec
		if err := codes.Put([]byte(r.Code), []byte(r.SubmissionID)); err != nil {
			return err
		}
		out, existed = &r, false
		return putJSON(certs, []byte(r.SubmissionID), &r)
	})
	if err != nil {
		return nil, false, err
	}
	return out, existed, nil
}

func (s *store) certificateFor(submissionID string) (*certificateRecord, error) {
	var out *certificateRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var r certificateRecord
		ok, err := getJSON(tx.Bucket(bucketCerts), []byte(submissionID), &r)
		if ok {
			out = &r
		}
		return err
	})
	return out, err
}

func (s *store) certificateByCode(code string) (*certificateRecord, error) {
	var out *certificateRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketCertCodes).Get([]byte(code))
		if id == nil {
			return nil
		}
		var r certificateRecord
		ok, err := getJSON(tx.Bucket(bucketCerts), id, &r)
		if ok {
			out = &r
		}
		return err
	})
	return out, err
}

// The same in PostgreSQL (migrations/0008_certificates.sql).

func (s *pgStore) putCertificate(rec *certificateRecord) (*certificateRecord, bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, false, err
	}
	var out *certificateRecord
	existed := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO certificates (submission_id, code, rec) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			rec.SubmissionID, rec.Code, raw)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			r := *rec
			out = &r
			return nil
		}
		out, err = scanJSON[certificateRecord](tx.QueryRow(ctx, "SELECT rec FROM certificates WHERE submission_id = $1", rec.SubmissionID))
		if err != nil {
			return err
		}
		if out == nil {
			return errCodeTaken // the conflict was on the code
		}
		existed = true
		return nil
	})
	if err != nil {
		if errors.Is(err, errCodeTaken) {
			return nil, false, errCodeTaken
		}
		return nil, false, err
	}
	return out, existed, nil
}

func (s *pgStore) certificateFor(submissionID string) (*certificateRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[certificateRecord](s.pool.QueryRow(ctx, "SELECT rec FROM certificates WHERE submission_id = $1", submissionID))
}

func (s *pgStore) certificateByCode(code string) (*certificateRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[certificateRecord](s.pool.QueryRow(ctx, "SELECT rec FROM certificates WHERE code = $1", code))
}
