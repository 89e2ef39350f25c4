#!/usr/bin/env bash
# TLS and SCRAM material for the local broker's SASL_SSL listener, generated once into $1:
#   ca.pem            self-signed CA certificate: what clients trust (KYMAROS_KAFKA_TLS_CA_FILE)
#   ca.key            the CA's private key (600), kept to sign a new broker certificate
#   broker.pem        the broker's unencrypted PKCS#8 key and certificate chain, a PEM keystore
#                     (600); SAN IP:127.0.0.1 and DNS:localhost
#   client.pem        a client certificate and key signed by the CA (600), for mutual TLS tests
#   kymaros.password  the SCRAM-SHA-512 password of user kymaros, random (600)
# Development material only: never use it outside this machine.
set -euo pipefail

dir=${1:?usage: material.sh DIR}
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
cd "$dir"

quiet() { "$@" >/dev/null 2>&1 || { printf 'kafka: %s failed\n' "$*" >&2; exit 1; }; }

if [ ! -s ca.pem ] || [ ! -s ca.key ]; then
  rm -f ca.pem ca.key broker.pem client.pem
  quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
    -subj "/CN=kymaros local development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  chmod 644 ca.pem
fi

# issue NAME SUBJECT EXTENSIONS: NAME.pem = unencrypted PKCS#8 key + certificate + CA certificate.
issue() {
  local name=$1 subject=$2 ext=$3
  [ -s "$name.pem" ] && return 0
  local work
  work=$(mktemp -d "$dir/.issue.XXXXXX")
  printf '%b' "$ext" >"$work/ext.cnf"
  quiet openssl req -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/req.csr" -subj "$subject"
  quiet openssl x509 -req -in "$work/req.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out "$work/cert.pem" -days 825 -extfile "$work/ext.cnf"
  cat "$work/key.pem" "$work/cert.pem" ca.pem >"$work/bundle.pem"
  mv "$work/bundle.pem" "$name.pem"
  rm -rf "$work"
}

issue broker "/CN=localhost" \
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'
issue client "/CN=kymaros" \
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'

if [ ! -s kymaros.password ]; then
  # Hex: no character needs quoting in a SCRAM credential, a properties file or a shell.
  openssl rand -hex 24 >kymaros.password.tmp
  mv kymaros.password.tmp kymaros.password
fi
chmod 600 ca.key broker.pem client.pem kymaros.password
