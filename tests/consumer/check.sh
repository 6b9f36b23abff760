#!/usr/bin/env bash
# Builds and runs tests/consumer/consumer.c the ways a user outside the project would, each
# from only what the project hands out:
#   check.sh build  BUILD_DIR  the build tree, through PKG_CONFIG_PATH=BUILD_DIR alone
#                              (remotes-uninstalled.pc)
#   check.sh prefix PREFIX     an installed copy (cmake --install / make install): pkg-config
#                              shared and static, find_package shared and static, the README
#                              example
#   check.sh deb    FILE.deb   the package's metadata and contents, then `prefix` checks on
#                              the package extracted with dpkg -x, and its `remotes` CLI
# Not a CTest test: `prefix` and `deb` need an install or a package made first (.ci/run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
mode=${1:?usage: check.sh build DIR | prefix DIR | deb FILE}
target=${2:?usage: check.sh build DIR | prefix DIR | deb FILE}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CFLAGS_STRICT=(-std=c11 -Wall -Wextra -Wpedantic -Werror)

fail() { echo "check.sh $mode: $*" >&2; exit 1; }

# The version the package claims (pkg-config) must be the one the loaded library reports.
run_consumer() {
  local exe=$1 out
  out=$("$exe") || fail "$exe failed"
  [[ "$out" =~ ^"remotes $(pkg-config --modversion remotes): encoded "[1-9][0-9]*" bytes"$ ]] ||
    fail "$exe printed '$out'"
  echo "   $(basename "$exe"): $out"
}

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

# pkg-config, shared and static; $1 is the directory holding libremotes.{so,a}.
pkgconfig_consumers() {
  local libdir=$1 static_libs
  cc "${CFLAGS_STRICT[@]}" -o "$work/pc_shared" "$here/consumer.c" \
    $(pkg-config --cflags --libs remotes) -Wl,-rpath,"$libdir"
  needed "$work/pc_shared" | grep -qx "libremotes.so.$(soversion)" ||
    fail "pc_shared does not load libremotes.so.$(soversion): $(needed "$work/pc_shared" | tr '\n' ' ')"
  run_consumer "$work/pc_shared"
  # Static: exactly what --static adds must be enough to link, and msgpack-c (header-only
  # for us) must not be in it.
  static_libs=$(pkg-config --libs --static remotes)
  case " $static_libs " in *msgpack*) fail "--static lists msgpack: $static_libs" ;; esac
  cc "${CFLAGS_STRICT[@]}" -o "$work/pc_static" "$here/consumer.c" $(pkg-config --cflags remotes) \
    "$libdir/libremotes.a" ${static_libs//-lremotes/}
  needed "$work/pc_static" | grep -q libremotes && fail "pc_static loads libremotes dynamically"
  run_consumer "$work/pc_static"
}

# 0.N before 1.0, then N (docs/abi.md), from the version pkg-config reports.
soversion() {
  local v major minor
  v=$(pkg-config --modversion remotes)
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%.*}
  if [ "$major" = 0 ]; then echo "0.$minor"; else echo "$major"; fi
}

prefix_checks() {
  local prefix=$1 libdir so
  libdir=$(dirname "$(find "$prefix" -name libremotes.a -print -quit)")
  [ -f "$libdir/libremotes.a" ] || fail "no libremotes.a under $prefix"
  export PKG_CONFIG_PATH="$libdir/pkgconfig"
  echo "-- pkg-config consumer ($libdir)"
  [ "$(pkg-config --variable=includedir remotes)" -ef "$prefix/include" ] ||
    fail "includedir $(pkg-config --variable=includedir remotes) is not $prefix/include"
  so=$(readlink -f "$libdir/libremotes.so")
  [ "$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" = "libremotes.so.$(soversion)" ] ||
    fail "SONAME of $so is not libremotes.so.$(soversion)"
  pkgconfig_consumers "$libdir"

  echo "-- find_package consumer"
  cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DREMOTES_EXPECT_VERSION="$(pkg-config --modversion remotes)" >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; fail "find_package(remotes) failed"; }
  grep -q "remotes_DIR=$(cd "$libdir" && pwd)/cmake/remotes$" "$work/cmake.log" ||
    fail "find_package found another remotes: $(grep remotes_DIR= "$work/cmake.log")"
  cmake --build "$work/cmake" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; fail "building against remotes::remotes failed"; }
  needed "$work/cmake/consumer_shared" | grep -qx "libremotes.so.$(soversion)" ||
    fail "remotes::remotes did not link the shared library"
  needed "$work/cmake/consumer_static" | grep -q libremotes && fail "remotes::remotes_static loads libremotes.so"
  run_consumer "$work/cmake/consumer_shared"
  run_consumer "$work/cmake/consumer_static"
  # A version the package cannot satisfy must be refused (the ABI rule of docs/abi.md).
  if cmake -S "$here" -B "$work/cmake-future" -DCMAKE_PREFIX_PATH="$prefix" \
    -DREMOTES_EXPECT_VERSION=99.0 >/dev/null 2>&1; then
    fail "find_package(remotes 99.0) accepted $(pkg-config --modversion remotes)"
  fi

  echo "-- README example"
  awk '/^```c$/{on=1;next} /^```$/{on=0} on' "$src/README.md" >"$work/readme.c"
  cc "${CFLAGS_STRICT[@]}" -o "$work/readme" "$work/readme.c" $(pkg-config --cflags --libs remotes) \
    -Wl,-rpath,"$libdir"
  "$work/readme" | grep -qx "Player1 performed jump with value 150" || fail "README example output"
}

case "$mode" in
build)
  build=$(cd "$target" && pwd)
  export PKG_CONFIG_PATH="$build"
  echo "-- build tree through PKG_CONFIG_PATH=$build"
  cflags=$(pkg-config --cflags remotes)
  [ "${cflags% }" = "-I$src/include" ] || fail "cflags '$cflags' are not -I$src/include"
  pkgconfig_consumers "$build"
  ;;
prefix)
  prefix_checks "$(cd "$target" && pwd)"
  ;;
deb)
  deb=$target
  version=$(sed -n 's/^#define RMT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' \
    "$src/include/remotes.h" | paste -sd.)
  echo "-- $(basename "$deb"): metadata"
  [ "$(dpkg-deb -f "$deb" Package)" = remotes ] || fail "Package is not remotes"
  [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version $(dpkg-deb -f "$deb" Version) is not $version"
  depends=$(dpkg-deb -f "$deb" Depends)
  for dep in libc6 libenet7 libsodium23 libluajit libenet-dev libsodium-dev pkg-config; do
    case "$depends" in *"$dep"*) ;; *) fail "Depends lacks $dep: $depends" ;; esac
  done
  case "$depends" in *msgpack*) fail "Depends lists msgpack: $depends" ;; esac
  echo "-- contents"
  dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
  for f in ./usr/include/remotes.h ./usr/bin/remotes "libremotes.so.$version" libremotes.a \
    pkgconfig/remotes.pc cmake/remotes/remotesConfig.cmake cmake/remotes/remotesConfigVersion.cmake \
    cmake/remotes/remotesTargets.cmake; do
    grep -q -- "$f\$" "$work/contents" || fail "the package lacks $f"
  done
  dpkg -x "$deb" "$work/root"
  echo "-- remotes CLI from the package"
  [ "$("$work/root/usr/bin/remotes" --version)" = "remotes $version" ] || fail "remotes --version"
  prefix_checks "$work/root/usr"
  ;;
*) fail "unknown mode (build, prefix or deb)" ;;
esac
echo "-- consumer checks ($mode) passed"
