#!/bin/sh
# Generates the Python FlatBuffers code of every schema in schemas/ into a folder (default
# examples/python-agent/generated, which git ignores): the package `vf` the agent imports.
# Usage: examples/python-agent/generate.sh [OUT_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
schemas="$here/../../schemas"
out="${1:-$here/generated}"
command -v flatc >/dev/null 2>&1 || { echo "flatc is not installed (apt-get install flatbuffers-compiler)" >&2; exit 1; }
mkdir -p "$out"
flatc --python -o "$out" -I "$schemas" "$schemas"/*.fbs
echo "generated $out/vf"
