# CPack settings for `make deb`: one Debian package holding the shared and static library, the
# header, remotes.pc, the CMake package and the `remotes` CLI. It is a package for deploying
# this project's own builds, not one for the Debian archive, which would split it into
# libremotes0.N / libremotes-dev / remotes (docs/abi.md says what that split would follow).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME remotes)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Roblox-style RemoteEvents, RemoteFunctions and players over ENet")
set(CPACK_PACKAGE_DESCRIPTION
  "libremotes (C11, shared and static), its header, pkg-config file and CMake package,\n\
and the remotes command that runs Roblox-style Lua places as a server and players.")
set(REMOTES_DEB_MAINTAINER "remotes maintainers <maintainers@users.noreply.b-seed-b9fcbded.example>"
  CACHE STRING "Maintainer field of the .deb built by `make deb`")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${REMOTES_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Run-time dependencies (libenet7, libsodium23, libluajit, libc6 with their minimum versions)
# come from dpkg-shlibdeps reading the ELF files, so they cannot drift from what was linked.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# What the development files need and no ELF file can tell: remotes.pc's Requires.private and
# the CMake package resolve ENet and libsodium through pkg-config, so their -dev packages
# (the .pc files, and the .a/.so for linking) must be there.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libenet-dev, libsodium-dev, pkg-config")
include(CPack)
