#!/usr/bin/env bash
# Makes a local certificate authority and one certificate per grantflowd
# process, for a split deployment over mutual TLS.
#
#   deploy/tls/make-certs.sh DIR [NAME ...] [--host HOSTNAME ...]
#
# DIR gets ca.pem and ca.key (keep the key offline once the certificates are
# made) and, for each NAME (default: the nine services), NAME.pem and
# NAME.key. Each certificate names its process as its common name
# (grantflowd-NAME, the identity its peers see) and is valid for
# localhost, 127.0.0.1 and every --host given, as server and as client.
# Existing files are kept, so running it again adds only what is missing.
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,12p' "$0"
  exit 2
fi
dir=$1
shift
names=()
hosts=(localhost)
while [ $# -gt 0 ]; do
  case "$1" in
    --host) hosts+=("$2"); shift 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  names=(programmes applications workflow assessment duediligence
         safeguarding awards agreements payments reports)
fi
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 825 \
    -subj "/CN=grantflow local CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
san="IP:127.0.0.1"
for h in "${hosts[@]}"; do san="$san,DNS:$h"; done
for name in "${names[@]}"; do
  [ -f "$dir/$name.pem" ] && continue
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" \
    -subj "/CN=grantflowd-$name" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" \
    -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/$name.pem" -days 397 \
    -extfile <(printf '%s\n' \
      "subjectAltName=$san" \
      "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth,clientAuth") 2>/dev/null
  rm -f "$dir/$name.csr"
done
chmod 644 "$dir"/*.pem
echo "certificates for ${names[*]} in $dir (CA: $dir/ca.pem)"
