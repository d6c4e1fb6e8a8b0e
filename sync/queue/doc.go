// Package queue is the kiosk's outbox: every submission a resident makes, and every
// rating, is written here durably before the receipt prints, and stays here until the hub
// has confirmed it. The sync client reads Pending items, sends them, and reports back with
// MarkSending, NoteAttempt, MarkDelivered and MarkFailed; the UI enqueues, looks up
// receipts by tracking code (Lookup) or by the ID card they were made with
// (LookupIdentity) and watches Changes.
//
// It must never lose a submission it has acknowledged (Enqueue returned without error),
// never send one twice as two different submissions (ids and tracking codes are unique,
// and a repeated Enqueue with the same id returns the stored one), never keep personal
// data in plain text on disk, and never write personal data to a log.
//
// # Layout on disk
//
//	DIR/queue.db        bbolt database: one small record per item plus indexes
//	DIR/files/          attachment files, one per scan, encrypted
//	Options.KeyFile     the AES-256 key, hex, mode 0600, kept outside DIR by the caller
//
// # What is encrypted
//
// Everything a resident typed or scanned: the form values, the attachments' names, types,
// sizes and SHA-256 digests (together one sealed blob in the record), the attachment
// bytes (one sealed file each) and a rating's free-text comment. Each is sealed with
// AES-256-GCM under a fresh random 96-bit nonce, with the item id (and for a file its
// index) as associated data, so a record or a file moved onto another item fails to open
// instead of showing the wrong person's data. In the clear stay only what the status
// screen, the sync client's bookkeeping and a technician need: id, tracking code, service
// item and its title, state, attempts, reason, times, the hub's reference and status, and
// a rating's stars and chosen reasons. Reasons must therefore never carry personal data.
//
// The ID number a submission was made with (NewSubmission.IdentityNumber) is not stored
// at all, sealed or not. What is stored is a keyed hash of it, HMAC-SHA256 under a key
// derived with HKDF from the queue key, so a card placed on the reader later finds its
// receipts. A plain hash would not do: ID numbers (region, birth date, sequence, check
// character) are few enough to hash every candidate and match; without the key nothing
// can be matched. The hash is in the clear and kept with the receipt, so whoever holds
// the database can tell which receipts belong to the same person, but not who.
//
// The key lives in its own file (Options.KeyFile), never in DIR, so a copied data
// directory alone reveals nothing. A key-check value sealed into the database at creation
// lets Open tell a wrong key from a missing one: both are ErrKey, never a silent fallback
// to plain text. A key file readable by group or others is refused.
//
// # What survives delivery
//
// MarkDelivered deletes the sealed personal blob from the record and deletes the
// attachment files. They are deleted, not overwritten: on a journaling filesystem or an
// SSD an overwrite lands in new blocks and the old ones stay until the device reuses
// them, so overwriting buys nothing; what protects the leftover blocks is that they only
// ever held ciphertext. The receipt record (tracking code, item, state, times, the hub's
// status, the keyed hash of the ID number) stays for Options.Retention so a resident can
// check progress at the kiosk, by tracking code or by ID card, and is then pruned with its
// index entries. A failed item keeps its sealed data and files until a technician requeues
// it: nothing the kiosk accepted is pruned before the hub has it.
//
// # Why each fsync is there
//
// Enqueue writes each attachment to a temporary file, fsyncs it, renames it to its final
// name, and after all renames fsyncs the files directory once; only then does it commit
// the bbolt record that names the files (bbolt fsyncs its commit). The file fsync makes
// sure a name never points at an empty or partial file after a power cut (delayed
// allocation can otherwise persist the rename before the data); the directory fsync makes
// the names themselves durable before the record that refers to them; the commit fsync
// makes the record durable before Enqueue returns and the receipt prints. A crash at any
// earlier point leaves at most files without a record, which Open deletes. The key file
// and a newly created directory get the same write–fsync–rename–fsync-directory
// treatment. Deletions are not fsynced: a deleted file that reappears after a crash has
// no record and is removed at the next Open.
//
// # Startup
//
// Open runs bbolt's consistency check, turns items left "sending" by a crash back into
// "queued", deletes orphan and temporary files, marks failed (with the reason) any item
// whose attachment file is missing or has the wrong size or whose sealed data cannot be
// opened, brings the ID-card index in line with the records (a version older than the
// index neither kept nor pruned it), recounts the statistics, and prunes expired receipts.
//
// # Size
//
// bbolt never shrinks its file but reuses freed pages, so the database stays at the
// size of the largest working set: the items waiting plus the receipts within Retention.
// New submissions are refused with ErrDiskFull when the filesystem has less than
// Options.MinFreeBytes free or a write fails with ENOSPC; what is already queued is kept
// and can still be delivered, which frees space.
package queue
