#!/usr/bin/env bash
# Regenerates DejaVuSans-subset.ttf, the font that PNG charts are drawn with.
# Needs Debian's fonts-dejavu-core and fonttools (pip install fonttools).
set -euo pipefail
cd "$(dirname "$0")"
pyftsubset /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
  --unicodes="U+0020-007E,U+00A0-00FF,U+2013,U+2014,U+2019,U+2026,U+2192,U+2212" \
  --no-hinting --name-IDs='*' --name-languages='*' \
  --output-file=DejaVuSans-subset.ttf
