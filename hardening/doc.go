// Package hardening holds the suite of RELIABILITY.md (beside the
// project, in ../shared): one named test per item, TestRNN_What for item
// NN, run against the real damask binary with real files, real tools,
// real crashes and real faults. The package has no code of its own; its
// tests run with the others (`make test`), and `go test ./hardening/ -run
// 'TestR(0[1-9]|1[0-2])_'` runs a range of items.
package hardening
