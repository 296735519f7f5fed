#!/bin/sh
# scripts/setup.sh must stop with one sentence and a non-zero status when a
# requirement is not met, and pass on this machine: a stub meson that is
# too old, and a chromedriver whose major version is not Chromium's.
set -u
cd "$(dirname "$0")/.."
stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT
status=0

# expect_failure WHAT PATTERN COMMAND...: the command fails, says PATTERN.
expect_failure() {
  what=$1 pattern=$2
  shift 2
  out=$("$@" 2>&1) && { echo "FAIL: $what: setup.sh succeeded"; status=1; return; }
  if printf '%s\n' "$out" | grep -q -E "$pattern"; then
    echo "ok: $what: $out"
  else
    echo "FAIL: $what: setup.sh failed without saying /$pattern/: $out"
    status=1
  fi
}

printf '#!/bin/sh\necho 0.61.5\n' >"$stubs/meson"
printf '#!/bin/sh\necho "ChromeDriver 114.0.5735.90 (stub)"\n' >"$stubs/chromedriver"
chmod +x "$stubs/meson" "$stubs/chromedriver"

expect_failure "meson 0.61.5 first in PATH" \
  "^setup.sh: meson 0.61.5 is too old: this project needs meson >= 1.0" \
  env PATH="$stubs:$PATH" scripts/setup.sh --check
expect_failure "chromedriver 114 beside another chromium" \
  "^setup.sh: chromium [0-9.]+ and chromedriver 114.0.5735.90 differ" \
  env CHROMEDRIVER="$stubs/chromedriver" scripts/setup.sh --check --tests
expect_failure "no chromium" "^setup.sh: $stubs/none is missing; apt-get install chromium" \
  env CHROMIUM="$stubs/none" scripts/setup.sh --check --tests

if out=$(scripts/setup.sh --check --tests 2>&1); then
  echo "ok: this machine: $out"
else
  echo "FAIL: this machine does not pass setup.sh --check --tests: $out"
  status=1
fi
exit $status
