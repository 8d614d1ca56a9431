#!/usr/bin/env bash
# Regenerates the manual pages from the command tree (swift-argument-parser's generate-manual
# plugin) and the command-tree dump that Tests/CommandsTests/ManualTests compares against.
# Run after changing any command, flag or help text: bash Man/regenerate.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -f Man/*.1
swift package --allow-writing-to-package-directory generate-manual \
  --multi-page --date 2026-11-22 --authors "The Berth developers" --output-directory Man
swift build --product berth
.build/debug/berth --experimental-dump-help > Man/command-tree.json
echo "Man/: $(ls Man/*.1 | wc -l) pages"
