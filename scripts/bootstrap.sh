#!/usr/bin/env bash
# Set up this checkout on a fresh Debian/Ubuntu machine: a virtualenv in .venv with the
# kit and tcenter, Graphviz for diagrams, and with --test everything the test suite
# needs (debootstrap for the host tests, checkov in its own virtualenv).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=true ;;
    -h|--help) echo "usage: scripts/bootstrap.sh [--test]"; exit 0 ;;
    *) echo "bootstrap: unknown option $arg (use --test or nothing)" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-python3}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
# pip notes about local mirror folders that do not exist are noise, not errors; pip's
# own exit status is kept.
pip_install() {
  local venv=$1; shift
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  return "${PIPESTATUS[0]}"
}

apt_packages=()
command -v dot >/dev/null || apt_packages+=(graphviz)
command -v ssh-keygen >/dev/null || apt_packages+=(openssh-client)
if $with_tests; then
  command -v debootstrap >/dev/null || apt_packages+=(debootstrap)
  # the signing and rebuild tests: openssl stands in for KMS and the HSM; a reviewer's rebuild uses git and make
  command -v openssl >/dev/null || apt_packages+=(openssl)
  command -v git >/dev/null || apt_packages+=(git)
  command -v make >/dev/null || apt_packages+=(make)
fi
if ((${#apt_packages[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${apt_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  else
    echo "bootstrap: please install ${apt_packages[*]} (e.g. sudo apt-get install ${apt_packages[*]});" \
         "without graphviz tcenter renders everything but the diagram" >&2
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv"
  "$python" -m venv .venv
fi
extras=""
$with_tests && extras="[test]"
say "installing the kit into .venv (extras: ${extras:-none})"
pip_install .venv -e ".$extras"

if $with_tests; then
  if [[ ! -x .venv-checkov/bin/checkov ]]; then
    say "installing checkov into .venv-checkov (its pins stay out of the kit's environment)"
    "$python" -m venv .venv-checkov
    pip_install .venv-checkov "checkov==3.3.*"
    [[ -x .venv-checkov/bin/checkov ]] || { echo "bootstrap: checkov did not install" >&2; exit 1; }
  fi
fi
say "ready"
