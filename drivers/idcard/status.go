package idcard

import (
	"errors"
	"fmt"
)

// Status is the reader's own status byte, SW3 of every response.
//
// The table below was checked against three public sources that agree on every code: the
// SAM protocol manual as published by reader vendors ("状态" table: 90 操作成功, 9F 寻找证/卡
// 成功, 10 接收数据校验和错, 11 接收数据长度错, 21 命令错误, 23 越权操作, 24 无法识别的错误,
// 31 证/卡认证 SAM 失败, 32 SAM 认证证/卡失败, 33 信息验证错误, 40 无法识别的卡类型, 41 读证/卡
// 操作失败, 47 取随机数失败, 60 SAM 自检失败, 66 SAM 未经授权, 80 寻找证/卡失败, 81 选取证/卡
// 失败, 91 证/卡中此项无内容), HslCommunication's SAM status strings, and the SW3 enum of
// the libsamv C library.
type Status byte

// The reader's status codes.
const (
	StatusOK            Status = 0x90 // success
	StatusCardFound     Status = 0x9F // find card: a card is in the field
	StatusNoContent     Status = 0x91 // the card holds nothing for this item
	StatusBadChecksum   Status = 0x10 // the reader got a command with a bad checksum
	StatusBadLength     Status = 0x11 // the reader got a command with a bad length
	StatusBadCommand    Status = 0x21 // unknown command, or bad values in it
	StatusUnauthorised  Status = 0x23 // operation not permitted (越权操作)
	StatusUnknownError  Status = 0x24 // error the reader cannot classify
	StatusCardAuthSAM   Status = 0x31 // the card failed to authenticate the SAM
	StatusSAMAuthCard   Status = 0x32 // the SAM failed to authenticate the card
	StatusInfoVerify    Status = 0x33 // the card's data failed verification
	StatusCardType      Status = 0x40 // card type not recognised
	StatusReadFailed    Status = 0x41 // reading the card failed
	StatusRandom        Status = 0x47 // getting a random number from the card failed
	StatusSelfTest      Status = 0x60 // SAM self-test failed; it accepts no command
	StatusNotAuthorised Status = 0x66 // SAM not authorised; it cannot be used
	StatusNoCard        Status = 0x80 // find card: no card in the field
	StatusSelectFailed  Status = 0x81 // select card failed
)

// Errors for the reader's status codes, one per code, for errors.Is. A *StatusError
// matches its code's error and the group it belongs to (ErrSAMFault, ErrCardFault,
// ErrRejected).
var (
	ErrNoCard           = errors.New("no card on the reader")
	ErrSelectFailed     = errors.New("selecting the card failed")
	ErrReadFailed       = errors.New("reading the card failed")
	ErrNoContent        = errors.New("the card holds nothing for this item")
	ErrCommandChecksum  = errors.New("the reader got a command with a bad checksum")
	ErrCommandLength    = errors.New("the reader got a command with a bad length")
	ErrUnknownCommand   = errors.New("the reader does not know the command")
	ErrUnauthorised     = errors.New("operation not permitted by the reader")
	ErrReaderError      = errors.New("the reader reports an unclassified error")
	ErrCardAuthSAM      = errors.New("the card failed to authenticate the security module")
	ErrSAMAuthCard      = errors.New("the security module failed to authenticate the card")
	ErrInfoVerify       = errors.New("the card's data failed verification")
	ErrCardType         = errors.New("card type not recognised by the reader")
	ErrRandom           = errors.New("getting a random number from the card failed")
	ErrSAMSelfTest      = errors.New("security module self-test failed")
	ErrSAMNotAuthorised = errors.New("security module not authorised")
	ErrUnknownStatus    = errors.New("unknown reader status")

	// ErrSAMFault groups the codes that mean the reader cannot work until serviced.
	ErrSAMFault = errors.New("security module fault")
	// ErrCardFault groups the codes that mean this card could not be read now: placed
	// badly, lifted too early, damaged or not a genuine card. Placing it again may help.
	ErrCardFault = errors.New("card could not be read")
	// ErrRejected groups the codes that mean the reader refused a command we sent.
	ErrRejected = errors.New("command rejected by the reader")
)

type statusInfo struct {
	err   error
	group error
}

var statusTable = map[Status]statusInfo{
	StatusNoContent:     {ErrNoContent, nil},
	StatusBadChecksum:   {ErrCommandChecksum, ErrRejected},
	StatusBadLength:     {ErrCommandLength, ErrRejected},
	StatusBadCommand:    {ErrUnknownCommand, ErrRejected},
	StatusUnauthorised:  {ErrUnauthorised, ErrRejected},
	StatusUnknownError:  {ErrReaderError, nil},
	StatusCardAuthSAM:   {ErrCardAuthSAM, ErrCardFault},
	StatusSAMAuthCard:   {ErrSAMAuthCard, ErrCardFault},
	StatusInfoVerify:    {ErrInfoVerify, ErrCardFault},
	StatusCardType:      {ErrCardType, ErrCardFault},
	StatusReadFailed:    {ErrReadFailed, ErrCardFault},
	StatusRandom:        {ErrRandom, ErrCardFault},
	StatusSelfTest:      {ErrSAMSelfTest, ErrSAMFault},
	StatusNotAuthorised: {ErrSAMNotAuthorised, ErrSAMFault},
	StatusNoCard:        {ErrNoCard, nil},
	StatusSelectFailed:  {ErrSelectFailed, ErrCardFault},
}

// OK reports whether the status is one of the two success codes.
func (s Status) OK() bool { return s == StatusOK || s == StatusCardFound }

// String gives the code and its meaning, e.g. "80 (no card on the reader)".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "90 (success)"
	case StatusCardFound:
		return "9f (card found)"
	}
	if i, ok := statusTable[s]; ok {
		return fmt.Sprintf("%02x (%v)", byte(s), i.err)
	}
	return fmt.Sprintf("%02x (unknown)", byte(s))
}

// StatusError is a response whose SW3 was not success.
type StatusError struct {
	// Op is the command that was answered.
	Op Op
	// SW1 and SW2 are the card's status words as the reader passed them on.
	SW1, SW2 byte
	Status   Status
}

// Error gives the command and the status, e.g. "idcard: find card: reader status 80 (no
// card on the reader)".
func (e *StatusError) Error() string {
	return fmt.Sprintf("idcard: %v: reader status %v", e.Op, e.Status)
}

// Unwrap returns the status's own error (ErrNoCard, ErrSAMSelfTest, ...) and its group's.
func (e *StatusError) Unwrap() []error {
	i, ok := statusTable[e.Status]
	if !ok {
		return []error{ErrUnknownStatus}
	}
	if i.group == nil {
		return []error{i.err}
	}
	return []error{i.err, i.group}
}

// Err returns nil for a success status, else a *StatusError for op.
func (r Response) Err(op Op) error {
	if r.Status.OK() {
		return nil
	}
	return &StatusError{Op: op, SW1: r.SW1, SW2: r.SW2, Status: r.Status}
}
