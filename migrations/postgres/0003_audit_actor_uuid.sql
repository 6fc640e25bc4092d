-- audit_log.actor_id holds the acting user's id (store::audit, always a users.id), so on
-- Postgres it is a uuid like the id it names: the audit page's `LEFT JOIN users u ON u.id =
-- l.actor_id` then compares uuid with uuid and uses the users primary key. The actor filter's
-- client input that is not a uuid finds no row, as on D1 (the adapter answers "no row").
-- ALTER COLUMN TYPE fires no row trigger, so the append-only triggers do not refuse it.
ALTER TABLE audit_log ALTER COLUMN actor_id TYPE uuid USING actor_id::uuid;
