#!/usr/bin/env bash
# One backup of every grantflowd's stores, copied off the host, with old
# local backups pruned. Run by grantflow-backup.timer; by hand, as the
# grantflow user, with the same environment:
#
#   GRANTFLOW_TOKEN      an admin token (BackupService.CreateBackup is admin's)
#   GRANTFLOW_ADDR       grantflowd's address (all-in-one), or
#   GRANTFLOW_ADDR_<SERVICE>  each process's (split), as grantctl reads them
#   GRANTFLOW_TLS_CA     the CA, when grantflowd serves TLS
#   GRANTFLOW_DATA_DIR   the data directory (default /var/lib/grantflow)
#   BACKUP_COPY_TO       where the night's tarball goes (another disk or a
#                        mounted remote); empty: kept on this disk only
#   BACKUP_KEEP_DAYS     local backups older than this are removed (default 7)
#
# Prints the tarball's path. Restore: deploy/README.md ("Restore").
set -euo pipefail
GRANTCTL=${GRANTCTL:-/usr/local/bin/grantctl}
DATA=${GRANTFLOW_DATA_DIR:-/var/lib/grantflow}
KEEP=${BACKUP_KEEP_DAYS:-7}
id=$(date -u +%Y%m%d-%H%M%S)

# Every grantflowd checkpoints its own stores into its backups/ directory,
# all under the same id.
"$GRANTCTL" backup create --id "$id" --request-id "nightly-$id"

# The night's backup directories, relative to the data directory:
# backups/ID (all-in-one) or SERVICE/backups/ID (split on this host).
mapfile -t made < <(cd "$DATA" && find . -type d -path "*/backups/$id" -prune | sort)
if [ ${#made[@]} -eq 0 ]; then
  echo "nightly: grantctl made backup $id but no backups/$id is under $DATA" >&2
  exit 1
fi
if [ -n "${BACKUP_COPY_TO:-}" ]; then
  mkdir -p "$BACKUP_COPY_TO"
  tarball="$BACKUP_COPY_TO/grantflow-$id.tar.gz"
  tar -C "$DATA" -czf "$tarball.partial" "${made[@]}"
  mv "$tarball.partial" "$tarball"
  echo "$tarball"
fi

# Local backups share their files with the live stores (hard links), so
# they cost little at first and more as the stores compact away from them.
find "$DATA" -mindepth 2 -maxdepth 3 -type d -path '*/backups/*' -prune \
  -mtime +"$KEEP" -exec rm -rf {} +
