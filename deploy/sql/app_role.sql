-- The portal's least-privilege database role (SECURITY.md "nothing lost" 5, checklist 29).
--
-- The audit log and the case history are append-only: besides their trigger (migration
-- 0001), the role the portal connects as may only read and add rows there — no UPDATE,
-- DELETE or TRUNCATE. Everywhere else it has ordinary DML; it owns nothing, so it cannot
-- drop or alter a table, nor disable a trigger. Migrations run as the owner, not as it.
--
-- Run as the database owner after every `flask --app wsgi db upgrade` (new tables need
-- their grants; running it again changes nothing else):
--   psql -v role=portal_app -v password='…' -d portal -f deploy/sql/app_role.sql
-- `role` defaults to portal_app; without `password` the role's password is left as it is.
\set ON_ERROR_STOP on
\if :{?role}
\else
\set role portal_app
\endif

SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
\if :{?password}
ALTER ROLE :"role" PASSWORD :'password';
\endif
ALTER ROLE :"role" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

GRANT CONNECT ON DATABASE :"DBNAME" TO :"role";
GRANT USAGE ON SCHEMA public TO :"role";
REVOKE CREATE ON SCHEMA public FROM :"role";

-- Ordinary tables: read and write.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"role";
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM :"role";

-- Append-only: read and add, nothing else.
REVOKE ALL ON audit_log, case_event FROM :"role";
GRANT SELECT, INSERT ON audit_log, case_event TO :"role";

-- The schema's version is the migrations' business.
REVOKE ALL ON alembic_version FROM :"role";
GRANT SELECT ON alembic_version TO :"role";
