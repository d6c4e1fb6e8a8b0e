// Package escl speaks eSCL ("AirScan", the Mopria/Apple driverless scan protocol, which
// ipp-usb exposes on Linux for USB scanners): an HTTP client that reads a scanner's
// capabilities and status and scans pages (Client.Scan), and a simulator (Sim) that serves
// the same protocol with generated A4 pages and injectable faults.
//
// The protocol: GET {root}/ScannerCapabilities and {root}/ScannerStatus return XML;
// POST {root}/ScanJobs with an XML ScanSettings body answers 201 Created with the job's
// Location; GET {job}/NextDocument returns one page per call until 404; DELETE {job}
// cancels. 503 means busy: try again later. Elements live in two namespaces, "scan"
// (http://schemas.hp.com/imaging/escl/2011/05/03) and "pwg"
// (http://www.pwg.org/schemas/2010/12/sm); lengths are in three-hundredths of an inch.
// (Mopria eSCL Technical Specification; the element names also match sane-airscan and
// the PWG Semantic Model 2.0 scan schema.)
//
// Scanned pages are personal data: this package never logs or keeps them; pages live
// only in what Scan returns.
package escl
