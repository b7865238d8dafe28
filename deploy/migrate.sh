#!/bin/sh
# Before the portal starts (portal.service's ExecStartPre): migrate as the schema's owner,
# then grant the app's least-privilege role its rights on every table, new ones included
# (deploy/sql/app_role.sql; SECURITY.md checklist 29). Without MIGRATION_DATABASE_URL the
# app's own DATABASE_URL migrates and no role is granted (one role for everything).
set -eu
owner="${MIGRATION_DATABASE_URL:-$DATABASE_URL}"
DATABASE_URL="$owner" .venv/bin/flask --app wsgi db upgrade
if [ -n "${MIGRATION_DATABASE_URL:-}" ]; then
    psql -X -q -v role="${APP_DB_ROLE:-portal_app}" -d "$(printf %s "$owner" | sed 's/+psycopg//')" \
        -f deploy/sql/app_role.sql
fi
