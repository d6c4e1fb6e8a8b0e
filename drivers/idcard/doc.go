// Package idcard drives second-generation ID-card readers that speak the SAM protocol
// (the security module's serial protocol used by every certified reader): the frame codec,
// the reader's status codes, the card's text layouts (resident card, foreigner permanent
// residence cards 2017 and 2023, residence permit for Hong Kong, Macao and Taiwan
// residents), a driver that polls for cards and survives unplugging, and a simulator that
// plays the reader on a pseudo-terminal.
//
// The codec and the text layouts are pure and fuzzed. The driver talks only through
// transport.Port. The simulator speaks the same bytes from the device side, with the
// synthetic sample cards every binary carries (SampleCards) or cards from a directory.
//
// What this package must never do: put a name, ID number, address, photo or fingerprint
// in a log line or an error message (errors name fields and byte offsets, never values;
// ID numbers appear only masked), or keep a copy of a card's data after handing it to
// the receiver of a CardRead event: its receive buffers are wiped after each read.
//
// Protocol facts and where they were checked are noted where they are used; the sources
// are public reader documentation: the "身份证阅读器模块 SAM 通讯协议" manual published by
// reader vendors (frame format, commands, SW3 table, UART settings), open-source reader
// code that implements it (HslCommunication's SAMSerial, the libsamv C library), and the
// published machine-readable layouts of the 2017 and 2023 foreigner permanent residence
// cards and of the residence permit.
package idcard
