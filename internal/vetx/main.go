// Command vetx is go vet with the analyzers of golang.org/x/tools that vet leaves out but
// this project wants: `make lint` builds it and runs `go vet -vettool=bin/vetx ./...`.
//
// Chosen, each with zero findings on the tree when added:
//   - nilness: a nil pointer dereferenced, or a nil check that is always true or false
//     (after SSA), the crash a kiosk must not have in front of a resident;
//   - unusedwrite: a field written to a copy of a struct and never read, usually a missed
//     pointer receiver or range-by-value;
//   - deepequalerrors: reflect.DeepEqual over errors, which compares how an error is laid
//     out instead of which error it is (tests use errors.Is);
//   - reflectvaluecompare: == between reflect.Values, which compares the wrappers;
//   - sortslice: sort.Slice on something that is not a slice.
//
// Left out: shadow. It reported 126 declarations, nearly all the idiomatic `err :=` or
// `code, out :=` in an inner if/for scope whose outer variable is not used afterwards;
// none was a bug, and renaming them would only churn code. fieldalignment trades
// readable field order for bytes nobody measures here.
package main

import (
	"golang.org/x/tools/go/analysis/passes/deepequalerrors"
	"golang.org/x/tools/go/analysis/passes/nilness"
	"golang.org/x/tools/go/analysis/passes/reflectvaluecompare"
	"golang.org/x/tools/go/analysis/passes/sortslice"
	"golang.org/x/tools/go/analysis/passes/unusedwrite"
	"golang.org/x/tools/go/analysis/unitchecker"
)

func main() {
	unitchecker.Main(
		nilness.Analyzer,
		unusedwrite.Analyzer,
		deepequalerrors.Analyzer,
		reflectvaluecompare.Analyzer,
		sortslice.Analyzer,
	)
}
