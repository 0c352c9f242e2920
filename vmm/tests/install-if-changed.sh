#!/bin/sh
# install-if-changed.sh SRC DST: copies SRC to DST unless DST already has
# the same bytes; the copy goes to a temporary name beside DST and is
# renamed over it, so a reader sees the old file or the new one, whole.
set -e
src=$1 dst=$2
cmp -s "$src" "$dst" 2>/dev/null && exit 0
cp "$src" "$dst.tmp.$$"
mv -f "$dst.tmp.$$" "$dst"
