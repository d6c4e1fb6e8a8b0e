// Package ipp drives an A4 document printer over driverless IPP Everywhere (PWG 5100.14):
// a network printer, or a USB one that ipp-usb serves on loopback, reached with IPP/1.1
// requests over HTTP. It asks the printer for its state (Get-Printer-Attributes), prints a
// PDF (Print-Job with document-format application/pdf), follows the job to its end
// (Get-Job-Attributes) and keeps a health.Tracker current: paper out, paper jam, door open
// and toner low join the kiosk's one health model.
//
// The wire format (RFC 8010) is encoded and decoded here: a small codec, bounded in size
// and depth and fuzzed, since no IPP library could be had for the build. It never logs
// document content.
package ipp
