-- Issued documents (certificates printed at the kiosk): one per submission, found by its
-- verification code for GET /verify/CODE. The PDF inside rec is sealed.
CREATE TABLE certificates (
	submission_id text PRIMARY KEY,
	code          text NOT NULL UNIQUE,
	rec           jsonb NOT NULL
);
