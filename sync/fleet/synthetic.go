package fleet

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// fictionalNames are the names synthetic residents carry: placeholders no person has.
var fictionalNames = []string{"测试甲", "测试乙", "测试丙", "测试丁", "样例戊", "样例己"}

// SyntheticIDNumber returns the i-th synthetic ID number: region 990101 (not assigned
// in GB/T 2260), a birth date in 1990, a sequence, and a correct GB 11643 check digit,
// so forms validate it like a real one while it can belong to nobody.
func SyntheticIDNumber(i int) string {
	i = ((i % 336_000) + 336_000) % 336_000 // 28 days × 12 months × 1000 sequences
	first17 := fmt.Sprintf("990101%04d%02d%02d%03d", 1990, 1+i/28_000, 1+(i/1000)%28, i%1000)
	check, _ := identity.CheckDigit(first17)
	return first17 + string(check)
}

// SyntheticBytes returns n pseudo-random bytes derived from id: the content of a
// synthetic scan, reproducible from the submission id alone so a checker can recompute
// what the hub must hold without being told.
func SyntheticBytes(id string, n int) []byte {
	h := fnv.New64a()
	h.Write([]byte(id))
	var seed [32]byte
	s := h.Sum64()
	for i := range 8 {
		seed[i] = byte(s >> (8 * i))
	}
	b := make([]byte, n)
	rand.NewChaCha8(seed).Read(b)
	return b
}

// Synthetic returns the i-th synthetic submission with the given id: a fictional
// resident's form and, when attachmentSize > 0, one scan of that many bytes
// (SyntheticBytes(id, attachmentSize)).
func Synthetic(id string, i, attachmentSize int) queue.NewSubmission {
	s := queue.NewSubmission{
		ID: id, Item: "fleet.load-test", ItemTitle: "负载测试事项",
		Fields: map[string]string{
			"name":      fictionalNames[i%len(fictionalNames)],
			"id_number": SyntheticIDNumber(i),
			"note":      "synthetic load-test submission",
		},
	}
	if attachmentSize > 0 {
		s.Attachments = []queue.NewAttachment{{Name: "scan.jpg", ContentType: "image/jpeg",
			Data: SyntheticBytes(id, attachmentSize)}}
	}
	return s
}
