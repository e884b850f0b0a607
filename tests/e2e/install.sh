#!/bin/sh
# make install / uninstall honour PREFIX and DESTDIR; the installed
# program runs and pkg-config finds the installed library.
set -eu
dest="$TMPDIR_E2E/dest"
make -s install DESTDIR="$dest" PREFIX=/opt/sh >/dev/null
test -x "$dest/opt/sh/bin/semhash" || { echo "no installed program"; exit 1; }
test -f "$dest/opt/sh/lib/libsemhash.a" || { echo "no static library"; exit 1; }
test -f "$dest/opt/sh/lib/libsemhash.so.0" || { echo "no soname link"; exit 1; }
test -f "$dest/opt/sh/lib/pkgconfig/semhash.pc" || { echo "no semhash.pc"; exit 1; }
grep -q '^prefix=/opt/sh$' "$dest/opt/sh/lib/pkgconfig/semhash.pc" || { echo "pc prefix wrong"; exit 1; }
version=$("$dest/opt/sh/bin/semhash" --version)
case "$version" in
    "semhash "[0-9]*) ;;
    *) echo "unexpected version output: $version"; exit 1 ;;
esac
libs=$(PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$dest/opt/sh/lib/pkgconfig" pkg-config --libs semhash)
case "$libs" in
    *-lsemhash*) ;;
    *) echo "pkg-config --libs semhash gave: $libs"; exit 1 ;;
esac
make -s uninstall DESTDIR="$dest" PREFIX=/opt/sh >/dev/null
left=$(find "$dest" -type f -o -type l | wc -l)
test "$left" -eq 0 || { echo "uninstall left $left files"; find "$dest" -type f -o -type l; exit 1; }
echo "install ok"
