# Sourced by install-deps.sh and run.sh: the Debian packages `swift build` needs, and a helper that
# installs whichever of a list are missing (idempotent).
#  - libsqlite3-dev: the SQLite C API the keeper stores its data with
#  - zlib1g-dev, libsnappy-dev, liblz4-dev, libzstd-dev: the codecs of Kafka record batches
#    (gzip, snappy, lz4, zstd), which the broker decompresses to answer ListOffsets by timestamp
BUILD_APT_PACKAGES=(libsqlite3-dev zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev)

# apt-get installs those of "$@" that dpkg does not know as installed.
install_missing_apt() {
  local need=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  ((${#need[@]})) || return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
