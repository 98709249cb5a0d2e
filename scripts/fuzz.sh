#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (10s by
# default). Go's fuzzing engine sometimes gives up with "context deadline
# exceeded" when a busy machine starves its workers as the time runs out;
# that is not a finding (no failing input is written), so such a run is
# tried again, three times in all, and a target whose every run ends so is
# reported and passed over (its corpus grows with each run on the same
# machine, and FuzzNew of package mail met this twice in a row). A finding,
# or any other failure, stops at once.
set -uo pipefail
time=${1:-10s}
for pkg in $(go list ./...); do
	for f in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		for try in 1 2 3; do
			echo "fuzz $pkg $f ($time)"
			out=$(go test -run '^$' -fuzz "^$f\$" -fuzztime "$time" "$pkg" 2>&1)
			rc=$?
			echo "$out"
			[ $rc -eq 0 ] && break
			if grep -q "context deadline exceeded" <<<"$out" && ! grep -q "Failing input" <<<"$out"; then
				if [ $try -lt 3 ]; then
					echo "fuzz: the engine timed out without a finding; once more"
				else
					echo "fuzz: WARNING: $pkg $f: the engine timed out without a finding in all three runs"
				fi
				continue
			fi
			exit 1
		done
	done
done
