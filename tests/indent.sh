#!/bin/sh
# The C sources must be formatted as GStreamer's gst-indent formats them.
# Fix with: tests/indent.sh --fix
set -eu
cd "$(dirname "$0")/.."
fix=no
[ "${1:-}" = --fix ] && fix=yes
command -v indent >/dev/null || { echo "indent not found: apt-get install indent"; exit 1; }
status=0
for f in gst/*.c tests/check/*.c tests/check/elements/*.c tests/fuzz/*.c examples/c/*.c bench/*.c; do
  [ -f "$f" ] || continue
  out=$(mktemp)
  indent --braces-on-if-line --case-brace-indentation0 --case-indentation2 \
    --braces-after-struct-decl-line --line-length80 --no-tabs --cuddle-else \
    --dont-line-up-parentheses --continuation-indentation4 --honour-newlines \
    --tab-size8 --indent-level2 --leave-preprocessor-space "$f" -o "$out"
  if ! cmp -s "$f" "$out"; then
    if [ $fix = yes ]; then
      cp "$out" "$f"
    else
      echo "$f is not formatted as gst-indent does:"
      diff -u "$f" "$out" | head -20
      status=1
    fi
  fi
  rm -f "$out"
done
exit $status
