#!/usr/bin/env bash
# Fetches the CPython 3.11 sources from Debian into corpus/ (git-ignored) for the triage run and the
# benchmark. Uses a throwaway apt configuration with deb-src enabled so the machine's own apt setup is
# left untouched. The mirror is taken from the machine's existing apt sources.
#   bash scripts/fetch-cpython.sh [PACKAGE]     (default python3.11)
set -euo pipefail
pkg="${1:-python3.11}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/corpus"
if [ -d "$dest/$pkg/Modules" ]; then echo "corpus already present: corpus/$pkg"; exit 0; fi
command -v dpkg-source >/dev/null || { echo "fetch-cpython: dpkg-source is missing (apt-get install dpkg-dev)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial"

# deb-src twins of every deb stanza/line the machine already uses
src="$work/sources.list.d"; mkdir -p "$src"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -e "$f" ] || continue
  sed -e 's/^Types:.*/Types: deb-src/' "$f" > "$src/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -e "$f" ] || continue
  grep -E '^deb ' "$f" | sed -e 's/^deb /deb-src /' > "$src/$(basename "$f").list" || true
done

opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$src" -o "Dir::State::Lists=$work/lists"
      -o "Dir::Cache::Archives=$work/archives" -o "Debug::NoLocking=1")
echo "== apt-get update (deb-src, temporary lists)"
apt-get "${opts[@]}" update -qq
mkdir -p "$work/dl" && cd "$work/dl"
# The newest version listed is not always on the mirror (security pool lag): try each listed version.
versions=$(apt-cache "${opts[@]}" showsrc "$pkg" | awk '/^Version:/{print $2}' | sort -urV)
[ -n "$versions" ] || { echo "fetch-cpython: no source package $pkg found" >&2; exit 2; }
ok=
for v in $versions; do
  echo "== apt-get source --download-only $pkg=$v"
  if apt-get "${opts[@]}" source --download-only "$pkg=$v"; then ok=1; break; fi
  rm -f ./*
done
[ -n "$ok" ] || { echo "fetch-cpython: could not download any version of $pkg" >&2; exit 2; }
echo "== unpack"
dsc=$(ls ./*.dsc | head -1)
dpkg-source --no-check -x "$dsc" "$work/tree" >/dev/null
mkdir -p "$dest"
rm -rf "${dest:?}/$pkg"
mv "$work/tree" "$dest/$pkg"
echo "corpus ready: corpus/$pkg ($(find "$dest/$pkg" -name '*.c' | wc -l) .c files)"
